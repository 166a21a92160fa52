"""Quotes and receipts: the price the desk would give one size now, the AMM's for the same size, and
what the desk saw when an order arrived.

``quote`` is the keeper's one quote function: the bot's ``GET /v1/quote`` answers with it, and
intake records it with every order (``receipt``), in the simulator and in the bot alike. It prices
one (market, side, size) on the desk's latest view of the market (anything shaped like
``venue.MarketState``: ``MarketLike``) with the planner's own pricing (``pricing.desk_quote``, the
batch's time included, so the paper's pricing modes quote as they fill), the planner's gate (a
service's breakers) and the desk's inventory room; the AMM's price is the average price of the
same size through the pool, rounded against the trader as the contract checks limits.

``receipt`` makes the ``book.Receipt`` of an order: what the desk saw when it arrived (DESIGN,
Transparency; the execution-quality report's "at receipt" figures): the time, the oracle, the
AMM's mid, the desk's quote and the AMM's for the order's size, and whether the order was
marketable then (its limit reached the better of the two); ``order_log`` starts the report's
record of it. Pure: plain ints and the ``Pool`` mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from defi_int.keeper.book import Receipt
from defi_int.keeper.matching import Gate, inventory_room
from defi_int.keeper.pricing import PricingParams, desk_quote
from defi_int.market.amm import AmmMathError, Pool
from defi_int.metrics.records import OrderLog
from defi_int.orders.model import Order
from defi_int.orders.rules import amm_reference, average_price, meets_limit
from defi_int.reasons import Reason


class MarketLike(Protocol):
    """What a quote reads of one market (``venue.MarketState`` and the bot's snapshot have it)."""

    @property
    def market(self) -> int: ...
    @property
    def oracle_price(self) -> int: ...
    @property
    def updated_at(self) -> int: ...
    @property
    def max_age(self) -> int: ...
    @property
    def fresh(self) -> bool: ...
    @property
    def pool(self) -> Pool | None: ...
    @property
    def inventory(self) -> int: ...
    @property
    def inventory_cap(self) -> int: ...


@dataclass(frozen=True)
class Quote:
    """A quote for ``size`` base units of ``market``; a missing price comes with the reason that bound."""

    market: int
    trader_buys: bool
    size: int
    desk_price: int | None
    desk_reason: Reason | None
    desk_detail: str
    amm_price: int | None  # average price of the same size on the AMM, 1e18
    amm_quote: int | None  # collateral units the AMM would charge (buy) or pay (sell)
    amm_reason: Reason | None
    amm_detail: str
    oracle_price: int
    oracle_fresh: bool
    amm_mid: int  # 0: no pool
    block: int
    time: int


def quote(
    state: MarketLike,
    *,
    pricing: PricingParams,
    risk_limit: int,
    trader_buys: bool,
    size: int,
    price_scale: int,
    now: int,
    block: int = 0,
    gate: Gate | None = None,
) -> Quote:
    """See the module docstring; ``now`` is the time the desk would fill at (the paper's modes read it)."""
    gate = gate or Gate()
    pool = state.pool
    amm_price = amm_quote = None
    amm_reason, amm_detail = None, ""
    if pool is None or not pool.base:
        amm_reason, amm_detail = Reason.NO_POOL, f"market {state.market} has no AMM pool"
    else:
        try:
            amm_quote = pool.quote_buy(size) if trader_buys else pool.quote_sell(size)
        except AmmMathError as exc:
            amm_reason, amm_detail = Reason.AMM_LIQUIDITY, f"the AMM cannot trade this size ({exc})"
        else:
            amm_price = average_price(amm_quote, size, price_scale, is_buy=trader_buys)
    closed = gate.market or gate.internal(trader_buys)
    price, reason, detail = None, None, ""
    room = inventory_room(trader_buys, state.inventory, risk_limit)
    if not state.fresh:
        reason, detail = Reason.STALE_ORACLE, f"market {state.market}'s oracle price is stale"
    elif closed is not None:
        reason, detail = closed.reason, closed.detail
    elif size > room:
        reason, detail = Reason.INVENTORY_CAP, f"the desk's inventory room on this side is {room} base units"
    else:
        reference = amm_reference(pool, trader_buys, size)
        priced = desk_quote(trader_buys, size, state.oracle_price, state.inventory, reference, pricing, now)
        price, reason, detail = priced.price, priced.reason, priced.detail
    mid = pool.mid(price_scale) if pool is not None and pool.base else 0
    return Quote(
        state.market, trader_buys, size, price, reason, detail, amm_price, amm_quote, amm_reason, amm_detail,
        state.oracle_price, state.fresh, mid, block, now,
    )  # fmt: skip


def order_log(order: Order, digest: bytes, *, step: int, time: int, seen: Receipt | None) -> OrderLog:
    """The execution report's record of an order received at ``time`` (``step``), with what the desk
    saw then (``seen``; the oracle only when it was fresh); the simulator's recorder and the bot's
    journal report start every order's ``OrderLog`` here."""
    log = OrderLog(
        digest, order.trader, order.market, order.is_buy, order.size, order.limit_price, order.expiry,
        order.allow_amm, order.max_fee_bps, step, time,
    )  # fmt: skip
    if seen is not None:
        log.oracle_at_receipt = seen.oracle_price if seen.oracle_fresh else None
        log.amm_mid_at_receipt = seen.amm_mid or None
        log.desk_price_at_receipt = seen.desk_price
        log.amm_price_at_receipt = seen.amm_price
        log.marketable = seen.marketable
    return log


def receipt(order: Order, seen: Quote, *, step: int = 0) -> Receipt:
    """The receipt of ``order`` from the quote for its whole size at its arrival (``seen.time``)."""
    best = [p for p in (seen.desk_price, seen.amm_price) if p is not None]
    reach = (min(best) if order.is_buy else max(best)) if best else None
    marketable = reach is not None and meets_limit(order.is_buy, reach, order.limit_price)
    return Receipt(
        seen.time,
        seen.block,
        step,
        seen.oracle_price,
        seen.oracle_fresh,
        seen.amm_mid,
        seen.desk_price,
        seen.amm_price,
        marketable,
    )
