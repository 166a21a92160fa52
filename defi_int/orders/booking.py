"""Booking: the legs of a settled fill, from the chain's event and what the plan knew. One home.

A settle logs each fill as four words of a ``FillsSettled`` log (``FillEvent``: both legs' sizes,
the internal price, the AMM leg's quote, the fee). The chain is the truth: ``legs_of`` turns one
event into its legs (internal, then AMM), each leg's notional recomputed with the Vault's rounding
(``ledger.notional``) and the fee split between the legs with the fill's fee rate. What the event
does not say comes from the plan the fill was settled with (``LegContext``: the fee rate, the oracle
mark, the AMM's mid and its quote for the internal size when the legs ran). ``book`` does a whole
settle transaction and shares its gas among the legs.

The simulator's recorder (from the keeper's ``PlannedFill``) and the bot's journal (from the
``SettleFill`` it journaled the plan with) both book through here, so a fill books the same legs
whoever settled it. ``Leg`` is one row of ``fills.csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from defi_int.market.ledger import fee_for, notional
from defi_int.orders.model import Order
from defi_int.orders.rules import average_price

Venue = Literal["internal", "amm"]


@dataclass(frozen=True)
class FillEvent:
    """One fill as the chain booked it (four words of a ``FillsSettled`` log): both legs and the fee.

    A settle logs one ``FillsSettled`` per market run, so several fills share a log: a fill is
    identified in its transaction by ``index``, its position in the batch.
    """

    digest: bytes
    trader: str
    internal_size: int
    internal_price: int
    amm_size: int
    amm_quote: int
    fee: int  # both legs' fees, as the chain charged them
    block: int
    funding: int = 0  # what the trader's book settled when the internal leg was booked (+: paid)
    is_buy: bool = False
    fee_bps: int = 0
    index: int = 0  # the fill's position in its transaction's batch (unique in the transaction)
    log_index: int = 0  # its ``FillsSettled`` log's index in the block
    tx_hash: bytes = b""


@dataclass(frozen=True)
class LegContext:
    """What the plan knew of a fill besides the chain's event (the market around the legs)."""

    fee_bps: int  # the fill's fee rate
    mark: int | None  # the oracle price the legs were judged at (None: stale)
    amm_mid: int  # the AMM's mid before the fill's legs (0: no pool)
    amm_reference: int | None  # the AMM's quote for the internal size (best execution), if compared


@dataclass(frozen=True)
class Leg:
    """One leg of one settled fill, as the chain booked it (a row of ``fills.csv``).

    A fill with an internal and an AMM leg gives two legs (``internal`` then ``amm``) with the same
    ``fill_index``, its place in its settle transaction's batch. Prices of AMM legs are averages,
    ``quote·scale/size`` rounded against the trader, exactly how the contract checks the limit.
    """

    digest: bytes  # the order's EIP-712 digest
    fill_index: int
    venue: Venue
    trader: str
    market: int
    is_buy: bool  # the trader's side
    size: int  # base units (1e18)
    quote: int  # collateral paid (buy) or received (sell) for ``size``, before the fee
    price: int  # 1e18: the internal price, or the AMM leg's average price
    limit_price: int  # the order's limit (1e18)
    fee: int  # collateral units charged on this leg
    oracle_price: int  # the oracle price the leg was judged at (0: stale)
    amm_mid: int  # the AMM's mid just before the fill's legs
    amm_quote: int  # what the AMM would have charged (buy) / paid (sell) for ``size`` just before
    amm_quote_price: int  # ``amm_quote`` as an average price, rounded like ``price`` (0: no quote)
    gas: int = 0  # this leg's share of its settle transaction's gas (shares sum to the gas used)
    block: int = 0  # the settle's block
    time: int = 0  # that block's timestamp
    step: int = 0  # the simulator's step (the bot: its sample step)

    @property
    def order_digest(self) -> str:
        """The digest as 0x-prefixed hex (the column of ``fills.csv``)."""
        return "0x" + self.digest.hex()


def legs_of(event: FillEvent, order: Order, context: LegContext, price_scale: int) -> list[Leg]:
    """The legs the chain booked for ``event`` (the fill of ``order``), internal before AMM."""
    is_buy = order.is_buy
    legs = []
    internal_fee = 0
    if event.internal_size:
        size, price = event.internal_size, event.internal_price
        quote = notional(size, price, price_scale, is_buy=is_buy)
        internal_fee = fee_for(quote, context.fee_bps)
        reference = context.amm_reference or 0
        reference_price = average_price(reference, size, price_scale, is_buy=is_buy) if reference else 0
        legs.append(
            _leg(event, order, context, "internal", size, quote, price, internal_fee, reference, reference_price)
        )
    if event.amm_size:
        size, quote = event.amm_size, event.amm_quote
        price = average_price(quote, size, price_scale, is_buy=is_buy)
        legs.append(_leg(event, order, context, "amm", size, quote, price, event.fee - internal_fee, quote, price))
    return legs


def _leg(
    event: FillEvent,
    order: Order,
    context: LegContext,
    venue: Venue,
    size: int,
    quote: int,
    price: int,
    fee: int,
    amm_quote: int,
    amm_quote_price: int,
) -> Leg:
    return Leg(
        event.digest, event.index, venue, order.trader, order.market, order.is_buy, size, quote, price,
        order.limit_price, fee, context.mark or 0, context.amm_mid, amm_quote, amm_quote_price,
    )  # fmt: skip


def book(
    fills: Iterable[tuple[FillEvent, Order, LegContext]],
    *,
    price_scale: int,
    gas_used: int,
    block: int,
    time: int,
    step: int = 0,
) -> list[Leg]:
    """The legs of one settle transaction's fills, in batch order, its gas shared among them.

    The first ``gas_used mod n`` legs carry one unit more, so the shares sum to the gas used.
    """
    legs = [leg for event, order, context in fills for leg in legs_of(event, order, context, price_scale)]
    return share(legs, gas_used, block=block, time=time, step=step)


def share(legs: Sequence[Leg], gas_used: int, *, block: int, time: int, step: int = 0) -> list[Leg]:
    """``legs`` with the transaction's gas shared among them and its block, time and step."""
    if not legs:
        return []
    each, extra = divmod(gas_used, len(legs))
    return [
        replace(leg, gas=each + (1 if i < extra else 0), block=block, time=time, step=step)
        for i, leg in enumerate(legs)
    ]
