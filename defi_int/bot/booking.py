"""Booking a mined settle: the legs the journal keeps, from the chain's fills (``FillEvent``, one per fill).

The chain is the truth: each leg's size, price, AMM quote and fee come from the event; the internal
leg's notional is recomputed with the Vault's rounding (``ledger.notional``) and split into the
internal and AMM fees with the fill's fee rate. What the event does not say (the oracle mark, the
AMM's mid and its quote for the same size when the leg ran) comes from the plan the settle was
journaled with (``SettleFill``). These are the columns of ``fills.csv`` (``FillRecord``), the same
as the simulator's recorder writes for the same fill.

``mismatches`` compares the events with the plan (the reconciliation at confirmation depth): a
difference is reported, the events are what is booked.
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.bot.journal import BookedLeg, SettleFill, SettleRecord
from defi_int.exceptions import ChainError
from defi_int.keeper.venue import FillEvent, SettleReceipt
from defi_int.market.ledger import fee_for, notional
from defi_int.orders.rules import average_price


def booked_legs(
    settle: SettleRecord, receipt: SettleReceipt, price_scale: int, is_buy: dict[bytes, bool]
) -> list[BookedLeg]:
    """The legs of ``receipt``'s fills, in batch order (internal before AMM), gas shared among them.

    ``is_buy`` is each order's side by digest. The events must be the settle's own fills (each
    digest planned once); anything else raises ``ChainError``.
    """
    planned = {f.digest: f for f in settle.fills}
    legs: list[BookedLeg] = []
    for event in receipt.events:
        fill = planned.get(event.digest)
        if fill is None:
            raise ChainError(f"settle {settle.id}: a fill of 0x{event.digest.hex()}, which it did not plan")
        legs.extend(_legs(event, fill, price_scale, is_buy[event.digest]))
    if not legs:
        return legs
    share, extra = divmod(receipt.gas_used, len(legs))
    return [_with_gas(leg, share + (1 if i < extra else 0)) for i, leg in enumerate(legs)]


def mismatches(settle: SettleRecord, events: Sequence[FillEvent]) -> list[str]:
    """How the chain's events differ from the settle's plan, one line each (empty: as planned)."""
    planned = {f.digest: f for f in settle.fills}
    problems = []
    for event in events:
        fill = planned.get(event.digest)
        if fill is None:
            problems.append(f"0x{event.digest.hex()}: filled but not planned")
            continue
        booked = (event.internal_size, event.internal_price, event.amm_size, event.amm_quote)
        expected = (fill.internal_size, fill.internal_price, fill.amm_size, fill.amm_quote)
        if booked != expected:
            problems.append(f"0x{event.digest.hex()}: booked {booked}, planned {expected}")
    return problems


def _legs(event: FillEvent, fill: SettleFill, price_scale: int, is_buy: bool) -> list[BookedLeg]:
    legs = []
    mark = fill.mark or 0
    internal_fee = 0
    if event.internal_size:
        size, price = event.internal_size, event.internal_price
        quote = notional(size, price, price_scale, is_buy=is_buy)
        internal_fee = fee_for(quote, fill.fee_bps)
        reference = fill.amm_reference or 0
        reference_price = average_price(reference, size, price_scale, is_buy=is_buy) if reference else 0
        legs.append(
            BookedLeg(
                event.digest, event.index, "internal", size, quote, price, internal_fee, mark,
                fill.amm_mid, reference, reference_price, 0,
            )
        )  # fmt: skip
    if event.amm_size:
        size, quote = event.amm_size, event.amm_quote
        price = average_price(quote, size, price_scale, is_buy=is_buy)
        legs.append(
            BookedLeg(
                event.digest, event.index, "amm", size, quote, price, event.fee - internal_fee, mark,
                fill.amm_mid, quote, price, 0,
            )
        )  # fmt: skip
    return legs


def _with_gas(leg: BookedLeg, gas: int) -> BookedLeg:
    return BookedLeg(
        leg.digest, leg.fill_index, leg.venue, leg.size, leg.quote, leg.price, leg.fee, leg.oracle_price,
        leg.amm_mid, leg.amm_quote, leg.amm_quote_price, gas,
    )  # fmt: skip
