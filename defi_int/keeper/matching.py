"""Matching and routing: how much of each order the desk fills, how much goes to the AMM, what rests.

``plan_market`` decides one market's part of a batch (DESIGN, keeper loop steps 3 and 4). Its input
is the market's book entries in batch (arrival) order and what the desk knows of the market
(``MarketBook``); its output is the typed plan, one ``PlannedFill`` per order that fills anything,
carrying the legs the chain is expected to book (``rules.ExpectedLegs``).

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

The limit, band, best-execution and AMM-limit rules are ``defi_int.orders.rules``, the ones the
validator checks. Pure: plain ints and the ``Pool`` mirror. Properties the tests prove: no order is
filled beyond its remaining size, no leg breaks its limit, and netting conserves size (internal
buys minus internal sells is the desk's inventory change, within the risk room).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from defi_int.keeper.book import BookEntry
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.pricing import PricingParams, desk_price
from defi_int.market.amm import AmmMathError, Pool
from defi_int.orders.model import Fill, Order
from defi_int.orders.rules import AmmQuotes, amm_reference, amm_within_limit, expected_legs, meets_limit


@dataclass(frozen=True)
class MarketBook:
    """What the desk knows about one market when it plans a batch.

    ``internal_buys``/``internal_sells`` say whether the desk may fill traders' buys/sells from
    its book, ``amm`` whether remainders may go to the AMM (a service's circuit breakers close
    them; the AMM still prices best execution).
    """

    mark: int | None  # fresh oracle price; None when stale (nothing internal then)
    inventory: int  # the desk's position before the batch
    risk_limit: int  # the desk stays within ±risk_limit through internal fills
    pool: Pool | None
    now: int | None = None  # when the batch lands (unix seconds): the paper's pricing modes need it
    internal_buys: bool = True
    internal_sells: bool = True
    amm: bool = True


@dataclass(frozen=True)
class Gate:
    """What a market allows a batch (all of it unless a service's breakers say otherwise)."""

    internal_buys: bool = True  # the desk may fill traders' buys from its book
    internal_sells: bool = True
    amm: bool = True  # remainders may be routed to the AMM


def inventory_room(trader_buys: bool, inventory: int, risk_limit: int) -> int:
    """How much the desk may take on the other side of a trader's order from where it stands.

    A trader's buy makes the desk sell, so the room is ``risk_limit + inventory``; a sell,
    ``risk_limit - inventory``; never below zero.
    """
    return max(0, risk_limit + inventory if trader_buys else risk_limit - inventory)


def allocate(wants: Sequence[tuple[bool, int]], inventory: int, risk_limit: int) -> list[int]:
    """Internal size per order: netting first, then inventory within the risk room.

    ``wants[i]`` is order ``i``'s side (the trader buys) and the size it may fill internally (0 when
    it is not eligible); within a side earlier orders are served first.
    """
    buy_total = sum(size for is_buy, size in wants if is_buy)
    sell_total = sum(size for is_buy, size in wants if not is_buy)
    can_sell = inventory_room(True, inventory, risk_limit)
    can_buy = inventory_room(False, inventory, risk_limit)
    netted = min(buy_total, sell_total)
    budget = {True: netted + min(buy_total - netted, can_sell), False: netted + min(sell_total - netted, can_buy)}
    sizes = []
    for is_buy, size in wants:
        take = min(size, budget[is_buy])
        budget[is_buy] -= take
        sizes.append(take)
    return sizes


def plan_market(
    entries: Sequence[BookEntry],
    book: MarketBook,
    params: PricingParams,
    *,
    fee_bps: int,
    toxic: Callable[[str], bool] = lambda trader: False,
) -> tuple[list[PlannedFill], Pool | None]:
    """One market's plan in batch order, and the AMM mirror after it.

    ``entries`` are the market's orders in batch order; ``fee_bps`` the desk's fee (capped by each
    order's ``maxFeeBps``); ``toxic`` says whose flow is routed out instead of filled.
    """
    eligible = [_eligible(e, book, params, toxic) for e in entries]
    excluded: set[int] = set()
    while True:
        wants = [
            (e.order.is_buy, e.remaining if eligible[i] and i not in excluded else 0) for i, e in enumerate(entries)
        ]
        sizes = allocate(wants, book.inventory, book.risk_limit)
        plan, pool, failed = _price_and_route(entries, sizes, book, params, fee_bps)
        if failed is None:
            return plan, pool
        excluded.add(failed)


def _eligible(entry: BookEntry, book: MarketBook, params: PricingParams, toxic: Callable[[str], bool]) -> bool:
    order = entry.order
    if book.mark is None or toxic(order.trader):
        return False
    if not (book.internal_buys if order.is_buy else book.internal_sells):
        return False
    reference = amm_reference(book.pool, order.is_buy, entry.remaining)
    price = desk_price(order.is_buy, entry.remaining, book.mark, book.inventory, reference, params, book.now)
    return price is not None and meets_limit(order.is_buy, price, order.limit_price)


def _price_and_route(
    entries: Sequence[BookEntry], sizes: Sequence[int], book: MarketBook, params: PricingParams, fee_bps: int
) -> tuple[list[PlannedFill], Pool | None, int | None]:
    """Walks the batch with a moving AMM mirror; returns the index of an internal leg that failed."""
    pool = None if book.pool is None else Pool(book.pool.base, book.pool.quote, book.pool.fee_bps)
    plan = []
    for index, (entry, internal) in enumerate(zip(entries, sizes, strict=True)):
        order = entry.order
        before = None if pool is None else Pool(pool.base, pool.quote, pool.fee_bps)
        price = 0
        reference = None
        if internal:
            assert book.mark is not None
            reference = amm_reference(pool, order.is_buy, internal)
            quoted = desk_price(order.is_buy, internal, book.mark, book.inventory, reference, params, book.now)
            if quoted is None or not meets_limit(order.is_buy, quoted, order.limit_price):
                return [], pool, index
            price = quoted
        amm, leg = _route(order, entry.remaining - internal, pool if book.amm else None, params.price_scale)
        if internal or amm:
            fill = Fill(order, entry.signature, internal, price, amm, min(fee_bps, order.max_fee_bps))
            legs = expected_legs(fill, book.mark, AmmQuotes(before, reference, leg), params.price_scale)
            plan.append(PlannedFill(fill, entry.digest, legs))
    return plan, pool, None


def _route(order: Order, remainder: int, pool: Pool | None, price_scale: int) -> tuple[int, int | None]:
    """Sends the whole remainder to the AMM when allowed and within the limit; moves the mirror."""
    if remainder <= 0 or not order.allow_amm or pool is None:
        return 0, None
    try:
        quote = pool.quote_buy(remainder) if order.is_buy else pool.quote_sell(remainder)
    except AmmMathError:
        return 0, None
    if not amm_within_limit(order.is_buy, remainder, quote, order.limit_price, price_scale):
        return 0, None
    if order.is_buy:
        pool.base, pool.quote = pool.base - remainder, pool.quote + quote
    else:
        pool.base, pool.quote = pool.base + remainder, pool.quote - quote
    return remainder, quote
