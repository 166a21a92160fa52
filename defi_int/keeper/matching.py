"""Matching and routing: how much of each order the desk fills, how much goes to the AMM, what rests.

``plan_market`` decides one market's part of a batch (DESIGN, keeper loop steps 3 and 4):

1. **Eligibility.** An order can be filled internally when it is not judged toxic, its oracle is
   fresh, and the desk's price for its whole remaining size meets its limit (``pricing``).
2. **Netting** (``allocate``). Eligible buys and sells offset each other: the smaller side is
   filled whole and the same amount of the larger side, so the desk's inventory does not move.
3. **Inventory.** What is left of the larger side is filled from inventory up to the risk room:
   the desk stays within ``±risk_limit``. Within a side, earlier orders are served first.
4. **Pricing along the batch.** Fills are priced in batch order against a mirror of the AMM that
   moves with every AMM leg before them, exactly as ``Settlement.settle`` will check best
   execution. An internal leg that cannot be priced there becomes ineligible and the market is
   matched again (at most once per order), so the netting stays exact.
5. **Routing.** The remainder goes to the AMM when the order allows it and the AMM meets the
   limit for the whole remainder; otherwise it rests in the keeper's book until expiry.

Pure: plain ints and the ``Pool`` mirror. Properties the tests prove: no order is filled beyond
its remaining size, no leg breaks its limit, and netting conserves size (internal buys minus
internal sells is the desk's inventory change, within the risk room).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from defi_int.keeper.pricing import PricingParams, desk_price, meets_limit
from defi_int.market.amm import AmmMathError, Pool


@dataclass(frozen=True)
class Candidate:
    """One order the desk considers in this batch (what is left of it)."""

    key: int  # arrival order in the batch; earlier keys are served first
    is_buy: bool  # the trader's side
    size: int  # remaining base units
    limit_price: int
    allow_amm: bool
    toxic: bool = False


@dataclass(frozen=True)
class Leg:
    """The plan for one candidate: an internal leg at ``price`` and an AMM leg; the rest rests."""

    key: int
    internal: int
    price: int  # 0 when there is no internal leg
    amm: int
    amm_quote: int  # what the AMM leg is expected to trade for (0 without one)

    @property
    def amount(self) -> int:
        return self.internal + self.amm


@dataclass(frozen=True)
class MarketBook:
    """What the desk knows about one market when it plans a batch."""

    mark: int | None  # fresh oracle price; None when stale (nothing internal then)
    inventory: int  # the desk's position before the batch
    risk_limit: int  # the desk stays within ±risk_limit through internal fills
    pool: Pool | None


def allocate(candidates: Sequence[Candidate], inventory: int, risk_limit: int) -> dict[int, int]:
    """Internal size per eligible candidate key: netting first, then inventory within the risk room."""
    buys = [c for c in candidates if c.is_buy]
    sells = [c for c in candidates if not c.is_buy]
    buy_total = sum(c.size for c in buys)
    sell_total = sum(c.size for c in sells)
    # Traders' buys make the desk sell: how far may it go each way from where it stands?
    can_sell = max(0, risk_limit + inventory)
    can_buy = max(0, risk_limit - inventory)
    netted = min(buy_total, sell_total)
    buy_budget = netted + min(buy_total - netted, can_sell)
    sell_budget = netted + min(sell_total - netted, can_buy)
    sizes: dict[int, int] = {}
    for side, budget in ((buys, buy_budget), (sells, sell_budget)):
        for c in sorted(side, key=lambda c: c.key):
            take = min(c.size, budget)
            budget -= take
            if take:
                sizes[c.key] = take
    return sizes


def plan_market(
    candidates: Sequence[Candidate], book: MarketBook, params: PricingParams
) -> tuple[list[Leg], Pool | None]:
    """One market's legs in batch order (key order), and the AMM mirror after them."""
    ordered = sorted(candidates, key=lambda c: c.key)
    excluded: set[int] = set()
    while True:
        eligible = [c for c in ordered if c.key not in excluded and _eligible(c, book, params)]
        sizes = allocate(eligible, book.inventory, book.risk_limit)
        legs, pool, failed = _price_and_route(ordered, sizes, book, params)
        if failed is None:
            return legs, pool
        excluded.add(failed)


def _eligible(c: Candidate, book: MarketBook, params: PricingParams) -> bool:
    if c.toxic or book.mark is None:
        return False
    price = desk_price(c.is_buy, c.size, book.mark, book.inventory, book.pool, params)
    return price is not None and meets_limit(c.is_buy, price, c.limit_price)


def _price_and_route(
    ordered: Sequence[Candidate], sizes: dict[int, int], book: MarketBook, params: PricingParams
) -> tuple[list[Leg], Pool | None, int | None]:
    """Walks the batch with a moving AMM mirror; returns the key of an internal leg that failed."""
    pool = None if book.pool is None else Pool(book.pool.base, book.pool.quote, book.pool.fee_bps)
    legs = []
    for c in ordered:
        internal = sizes.get(c.key, 0)
        price = 0
        if internal:
            assert book.mark is not None
            quoted = desk_price(c.is_buy, internal, book.mark, book.inventory, pool, params)
            if quoted is None or not meets_limit(c.is_buy, quoted, c.limit_price):
                return [], pool, c.key
            price = quoted
        amm, amm_quote = _route(c, c.size - internal, pool, params.price_scale)
        if internal or amm:
            legs.append(Leg(c.key, internal, price, amm, amm_quote))
    return legs, pool, None


def _route(c: Candidate, remainder: int, pool: Pool | None, price_scale: int) -> tuple[int, int]:
    """Sends the whole remainder to the AMM when allowed and within the limit; moves the mirror."""
    if remainder <= 0 or not c.allow_amm or pool is None:
        return 0, 0
    try:
        quote = pool.quote_buy(remainder) if c.is_buy else pool.quote_sell(remainder)
    except AmmMathError:
        return 0, 0
    within = (
        quote * price_scale <= remainder * c.limit_price
        if c.is_buy
        else quote * price_scale >= remainder * c.limit_price
    )
    if not within:
        return 0, 0
    pool.swap(c.is_buy, remainder)
    return remainder, quote
