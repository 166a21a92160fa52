"""The settle rules: what ``Settlement.settle`` requires of a fill's prices, with the contract's rounding.

One home for the price rules, used by the keeper's planner (``defi_int.keeper.pricing`` and
``matching``) to decide and by the validator (``defi_int.orders.validation``) to check, so a rule
changes in one place:

- **limit**: the internal price is no worse for the trader than the order's limit;
- **oracle band**: the internal price is within ``maxDeviationBps`` of the oracle mark;
- **best execution**: the internal leg costs the trader no more (pays no less) than the AMM would
  for the same size at that moment, notional rounded against the trader; not compared when the
  AMM has no pool or cannot fill a buy of that size at all;
- **AMM limit**: the AMM leg's average price, rounded against the trader, is within the limit.

Data flow for one fill: ``amm_quotes`` asks the AMM mirror once for the two quotes the contract
will see (the reference for best execution, the AMM leg's own quote), ``expected_legs`` turns the
fill and those quotes into what the chain books (``ExpectedLegs``: notional, fees, the oracle
mark, the AMM's mid), and ``check_legs`` applies the rules in the contract's order, raising
``OrderRejected`` with the reason code the validator reports. ``ExpectedLegs`` travels with the
keeper's plan through validation, reconciliation and recording, so the AMM is replayed once.
"""

from __future__ import annotations

from dataclasses import dataclass

from defi_int.exceptions import OrderRejected
from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.ledger import ceil_div, fee_for, notional
from defi_int.orders.model import Fill
from defi_int.params import BOOK_MAX
from defi_int.reasons import Reason
from defi_int.types import BPS

# --------------------------------------------------------------------------- the rules


def meets_limit(trader_buys: bool, price: int, limit_price: int) -> bool:
    """Whether ``price`` is no worse for the trader than the order's limit."""
    return price <= limit_price if trader_buys else price >= limit_price


def band(mark: int, max_deviation_bps: int) -> tuple[int, int]:
    """The lowest and highest internal price the Settlement accepts at oracle price ``mark``."""
    width = mark * max_deviation_bps // BPS
    return mark - width, mark + width


def within_band(price: int, mark: int, max_deviation_bps: int) -> bool:
    """``Settlement._internalLeg``'s band check (``price ≤ mark + w`` and ``price + w ≥ mark``)."""
    low, high = band(mark, max_deviation_bps)
    return low <= price <= high


def amm_reference(pool: Pool | None, trader_buys: bool, size: int) -> int | None:
    """The AMM's quote for ``size`` that best execution holds an internal leg of ``size`` to.

    ``None`` when the contract does not compare: no pool (or an empty one), or a buy of at least
    the whole base reserve, which the pool cannot fill at any price.
    """
    if pool is None or not pool.base or size <= 0 or (trader_buys and size >= pool.base):
        return None
    try:
        return pool.quote_buy(size) if trader_buys else pool.quote_sell(size)
    except AmmMathError:  # unreachable for an initialized pool (both reserves positive)
        return None


def beats_amm(trader_buys: bool, amount: int, reference: int | None) -> bool:
    """Whether an internal notional of ``amount`` is no worse for the trader than the AMM's ``reference``."""
    if reference is None:
        return True
    return amount <= reference if trader_buys else amount >= reference


def best_execution_bound(trader_buys: bool, size: int, reference: int, price_scale: int) -> int:
    """The worst price for the trader whose notional still beats the AMM's ``reference`` for ``size``.

    A buyer pays ``ceil(size·price / scale)``, which must not exceed the AMM's cost, so the price is
    at most ``floor(cost·scale / size)``; a seller receives ``floor(size·price / scale)``, at least
    the AMM's proceeds, so at least ``ceil(proceeds·scale / size)``.
    """
    if trader_buys:
        return reference * price_scale // size
    return ceil_div(reference * price_scale, size)


def amm_within_limit(trader_buys: bool, size: int, quote: int, limit_price: int, price_scale: int) -> bool:
    """Whether an AMM leg of ``size`` for ``quote`` keeps its average price within the limit.

    The contract hands the AMM ``floor(size·limit / scale)`` as a buyer's most and
    ``ceil(size·limit / scale)`` as a seller's least: the same as comparing ``quote·scale``
    with ``size·limit``.
    """
    if trader_buys:
        return quote * price_scale <= size * limit_price
    return quote * price_scale >= size * limit_price


def average_price(quote: int, size: int, price_scale: int, *, is_buy: bool) -> int:
    """``quote`` for ``size`` as a 1e18 price, rounded against the trader (how AMM limits are checked)."""
    return ceil_div(quote * price_scale, size) if is_buy else quote * price_scale // size


# --------------------------------------------------------------------------- expected legs


@dataclass(frozen=True)
class AmmQuotes:
    """The AMM's side of one fill, at the pool state its legs will find on-chain."""

    pool_before: Pool | None  # the pool before this fill's legs (None: the market has no pool)
    reference: int | None  # quote for the internal size (best execution); None: not compared
    leg: int | None  # quote the AMM leg trades for; None: no AMM leg, or the pool cannot trade it

    def pool_after(self, trader_buys: bool, amm_size: int) -> Pool | None:
        """The pool once the AMM leg traded (the same pool when there is none)."""
        pool = self.pool_before
        if pool is None or not amm_size or self.leg is None:
            return pool
        if trader_buys:
            return Pool(pool.base - amm_size, pool.quote + self.leg, pool.fee_bps)
        return Pool(pool.base + amm_size, pool.quote - self.leg, pool.fee_bps)


def amm_quotes(pool: Pool | None, fill: Fill, known: AmmQuotes | None = None) -> AmmQuotes:
    """The quotes ``fill`` meets at ``pool``; ``known`` quotes for the same pool state are reused."""
    if known is not None and known.pool_before == pool:
        return known
    order = fill.order
    leg = None
    if fill.amm_size and pool is not None:
        try:
            leg = pool.quote_buy(fill.amm_size) if order.is_buy else pool.quote_sell(fill.amm_size)
        except AmmMathError:
            leg = None
    before = None if pool is None else Pool(pool.base, pool.quote, pool.fee_bps)
    return AmmQuotes(before, amm_reference(pool, order.is_buy, fill.internal_size), leg)


@dataclass(frozen=True)
class ExpectedLegs:
    """What the chain books for one fill if it settles as planned (its ``FillsSettled`` words)."""

    mark: int | None  # the oracle price the legs are judged at (None: stale)
    amm: AmmQuotes
    amm_mid: int  # the AMM's mid before the legs, 1e18 (0: no pool)
    internal_quote: int  # the internal leg's notional, rounded against the trader (0: none)
    internal_fee: int
    amm_fee: int

    @property
    def amm_quote(self) -> int:
        """What the AMM leg trades for (0 without one): the event's ``ammQuote``."""
        return self.amm.leg or 0

    @property
    def fee(self) -> int:
        """Both legs' fees: the event's ``fee``."""
        return self.internal_fee + self.amm_fee


def expected_legs(fill: Fill, mark: int | None, quotes: AmmQuotes, price_scale: int) -> ExpectedLegs:
    """The legs ``fill`` books at oracle ``mark`` with the AMM at ``quotes`` (no rule checked here)."""
    is_buy = fill.order.is_buy
    internal_quote = notional(fill.internal_size, fill.internal_price, price_scale, is_buy=is_buy)
    leg = quotes.leg if fill.amm_size else None
    pool = quotes.pool_before
    return ExpectedLegs(
        mark=mark,
        amm=quotes,
        amm_mid=pool.mid(price_scale) if pool is not None and pool.base else 0,
        internal_quote=internal_quote,
        internal_fee=fee_for(internal_quote, fill.fee_bps),
        amm_fee=fee_for(leg, fill.fee_bps) if leg else 0,
    )


def check_legs(
    fill: Fill,
    digest: bytes,
    expected: ExpectedLegs,
    max_deviation_bps: int,
    price_scale: int,
    *,
    unknown_market: bool = False,
) -> None:
    """The price rules of ``settle`` for one fill, in the contract's order; raises ``OrderRejected``.

    Internal leg: the limit, an oracle price (``unknown_market``: the oracle never priced the
    market; otherwise a missing mark is stale), the band, best execution, a notional a ledger book
    holds (int88). AMM leg: allowed by the order, a pool, enough liquidity, the average-price limit.
    """
    order = fill.order
    if fill.internal_size:
        price = fill.internal_price
        if not meets_limit(order.is_buy, price, order.limit_price):
            raise OrderRejected(
                Reason.LIMIT_NOT_MET, f"internal price {price} is worse than the limit {order.limit_price}", digest
            )
        mark = expected.mark
        if unknown_market:
            raise OrderRejected(Reason.UNKNOWN_MARKET, f"market {order.market} has never had an oracle price", digest)
        if mark is None:
            raise OrderRejected(Reason.STALE_ORACLE, f"market {order.market} has no fresh oracle price", digest)
        if not within_band(price, mark, max_deviation_bps):
            raise OrderRejected(
                Reason.OUTSIDE_BAND,
                f"internal price {price} is more than {max_deviation_bps} bps from the oracle {mark}",
                digest,
            )
        if not beats_amm(order.is_buy, expected.internal_quote, expected.amm.reference):
            side = "cost" if order.is_buy else "proceeds"
            raise OrderRejected(
                Reason.AMM_BETTER,
                f"internal {side} {expected.internal_quote} are worse than the AMM's {expected.amm.reference}",
                digest,
            )
        if expected.internal_quote > BOOK_MAX:
            raise OrderRejected(
                Reason.AMOUNT_OUT_OF_RANGE,
                f"notional {expected.internal_quote} is more than a ledger book holds",
                digest,
            )
    if fill.amm_size:
        size = fill.amm_size
        if not order.allow_amm:
            raise OrderRejected(Reason.AMM_NOT_ALLOWED, "the order does not allow routing to the AMM", digest)
        if expected.amm.pool_before is None:
            raise OrderRejected(Reason.NO_POOL, f"market {order.market} has no AMM pool", digest)
        quote = expected.amm.leg
        if quote is None:
            raise OrderRejected(Reason.AMM_LIQUIDITY, f"the AMM cannot trade {size}", digest)
        if not amm_within_limit(order.is_buy, size, quote, order.limit_price, price_scale):
            raise OrderRejected(
                Reason.AMM_LIMIT_NOT_MET, f"AMM trades {size} for {quote}, beyond the limit {order.limit_price}", digest
            )
