"""Matching and routing: how much of each order the desk fills, how much goes to the AMM, what rests.

``plan_market`` decides one market's part of a batch (DESIGN, keeper loop steps 3 and 4). Its input
is the market's book entries in batch (arrival) order and what the desk knows of the market
(``MarketBook``); its output is the typed plan, one ``PlannedFill`` per order that fills anything,
carrying the legs the chain is expected to book (``rules.ExpectedLegs``), and one ``OrderTrace``
per order it saw (``keeper.trace``: the action, the rule that bound, the numbers).

1. **Eligibility.** An order can be filled internally when its market's gate is open on its side
   (a service's breakers), it is not judged toxic, its oracle is fresh, and the desk's price for
   its whole remaining size meets its limit (``pricing.desk_quote``, which names the rule that
   bound when there is no price).
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
6. **The trace.** Every order gets its ``OrderTrace``: internalized whole, in part, routed or
   rested, with the one reason that bound. An order that rests because the desk could not beat
   the AMM is explained by what kept it from the AMM (not allowed, beyond its limit ...).

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
from defi_int.keeper.policy import PRICED_MODELS, PolicyParams, decide
from defi_int.keeper.pricing import PricingParams, desk_quote, widened
from defi_int.keeper.trace import Action, Decision, OrderTrace
from defi_int.market.amm import AmmMathError, Pool
from defi_int.orders.model import Fill, Order
from defi_int.orders.rules import AmmQuotes, amm_reference, amm_within_limit, expected_legs, meets_limit
from defi_int.reasons import Reason


@dataclass(frozen=True)
class Closure:
    """Why part of a market is closed to a batch (a service's breaker): the reason and a sentence."""

    reason: Reason
    detail: str


@dataclass(frozen=True)
class Gate:
    """What a market allows a batch: all of it unless a service's breakers close a part (``None``: open)."""

    market: Closure | None = None  # nothing settles there: every order rests
    internal_buys: Closure | None = None  # the desk may not fill traders' buys from its book
    internal_sells: Closure | None = None
    amm: Closure | None = None  # remainders may not be routed to the AMM

    def internal(self, trader_buys: bool) -> Closure | None:
        return self.internal_buys if trader_buys else self.internal_sells


@dataclass(frozen=True)
class MarketBook:
    """What the desk knows about one market when it plans a batch."""

    mark: int | None  # fresh oracle price; None when stale (nothing internal then)
    inventory: int  # the desk's position before the batch
    risk_limit: int  # the desk stays within ±risk_limit through internal fills
    pool: Pool | None
    now: int | None = None  # when the batch lands (unix seconds): the paper's pricing modes need it
    gate: Gate = Gate()
    skew: bool = True  # price with the inventory skew (False: as if flat; the audit's counterfactual)

    @property
    def priced_inventory(self) -> int:
        """The inventory the desk's prices are skewed by (its room is always ``inventory``'s)."""
        return self.inventory if self.skew else 0


@dataclass(frozen=True)
class MarketPlan:
    """One market's part of a batch: the fills in batch order, a trace per order, the AMM after them."""

    fills: list[PlannedFill]
    traces: list[OrderTrace]
    pool: Pool | None


@dataclass(frozen=True)
class Look:
    """The planner's first look at an order: its price for the whole remaining size, or why it has none,
    and what the toxicity policy allows (``policy.Verdict``)."""

    price: int | None
    reason: Reason | None
    detail: str
    reference: int | None  # the AMM's quote for the remaining size at the batch's start
    cap: int = 0  # the most the desk fills from inventory (0 when it does not)
    widen_bps: float = 0.0
    decision: Decision | None = None


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
    model: str = "none",
    policy: PolicyParams | None = None,
    looks: dict[bytes, Look] | None = None,
) -> MarketPlan:
    """One market's plan in batch order, its traces, and the AMM mirror after it.

    ``entries`` are the market's orders in batch order; ``fee_bps`` the desk's fee (capped by each
    order's ``maxFeeBps``); ``toxic`` says whose flow is routed out instead of filled (the
    per-trader rule); ``model`` names the toxicity model whose predictions (``BookEntry.prediction``)
    the policy prices (``policy.decide``: internalize, widen, cap or route).

    ``looks`` notes the planner's first look at each order (``Look``, by digest): a look depends
    on the order, ``book`` and the judgement (``params``, ``toxic``, ``model``, ``policy``) alone,
    never on the batch's order, so the same orders planned again on the same book with the same
    judgement (the audit's ``permuted`` re-match, ``Keeper.rematch``) pass the notes back and
    reuse them. Notes made elsewhere must not be passed.
    """
    if book.gate.market is not None:
        closed = book.gate.market
        traces = [_rest(e, book, closed.reason, closed.detail, params.price_scale) for e in entries]
        return MarketPlan([], traces, book.pool)
    notes: dict[bytes, Look] = {} if looks is None else looks
    judge = policy or PolicyParams()
    first = []
    for e in entries:
        look = notes.get(e.digest)
        if look is None:
            look = notes[e.digest] = _look(e, book, params, toxic, model, judge)
        first.append(look)
    excluded: dict[int, tuple[Reason, str]] = {}
    while True:
        wants = [(e.order.is_buy, 0 if i in excluded else first[i].cap) for i, e in enumerate(entries)]
        sizes = allocate(wants, book.inventory, book.risk_limit)
        plan, failed = _price_and_route(entries, sizes, first, excluded, book, params, fee_bps)
        if failed is None:
            return plan
        excluded[failed[0]] = failed[1]


def _look(
    entry: BookEntry,
    book: MarketBook,
    params: PricingParams,
    toxic: Callable[[str], bool],
    model: str,
    policy: PolicyParams,
) -> Look:
    order = entry.order
    reference = amm_reference(book.pool, order.is_buy, entry.remaining)
    if book.mark is None:
        return Look(None, Reason.STALE_ORACLE, f"market {order.market} has no fresh oracle price", reference)
    closed = book.gate.internal(order.is_buy)
    if closed is not None:
        return Look(None, closed.reason, closed.detail, reference)
    if toxic(order.trader):
        return Look(None, Reason.TOXIC, f"the desk judges {order.trader}'s flow toxic", reference)
    quote = desk_quote(order.is_buy, entry.remaining, book.mark, book.priced_inventory, reference, params, book.now)
    if quote.price is None:
        return Look(None, quote.reason, quote.detail, reference)
    if not meets_limit(order.is_buy, quote.price, order.limit_price):
        detail = f"the desk's price {quote.price} does not meet the limit {order.limit_price}"
        return Look(quote.price, Reason.LIMIT_NOT_MET, detail, reference)
    if model not in PRICED_MODELS or entry.prediction is None:
        return Look(quote.price, None, "", reference, entry.remaining)
    verdict = decide(
        model, entry.prediction, is_buy=order.is_buy, remaining=entry.remaining, mark=book.mark,
        inventory=book.inventory, quote=quote.price, amm_reference=reference, params=params, policy=policy,
        limit=order.limit_price, size=order.size,
    )  # fmt: skip
    if verdict.cap and verdict.widen_bps:
        wide = widened(
            order.is_buy, quote.price, verdict.widen_bps, book.mark, entry.remaining, reference, params,
            order.limit_price,
        )  # fmt: skip
        if not meets_limit(order.is_buy, wide, order.limit_price):
            detail = f"the desk's price widened by the predicted markout ({wide}) does not meet the limit"
            return Look(quote.price, Reason.LIMIT_NOT_MET, detail, reference, 0, 0.0, verdict.decision)
    reason = verdict.reason if verdict.cap < entry.remaining else None
    return Look(quote.price, reason, verdict.detail, reference, verdict.cap, verdict.widen_bps, verdict.decision)


def _price_and_route(
    entries: Sequence[BookEntry],
    sizes: Sequence[int],
    looks: Sequence[Look],
    excluded: dict[int, tuple[Reason, str]],
    book: MarketBook,
    params: PricingParams,
    fee_bps: int,
) -> tuple[MarketPlan, tuple[int, tuple[Reason, str]] | None]:
    """Walks the batch with a moving AMM mirror; returns an internal leg that failed there, if any."""
    pool = None if book.pool is None else Pool(book.pool.base, book.pool.quote, book.pool.fee_bps)
    plan, traces = [], []
    for index, (entry, internal) in enumerate(zip(entries, sizes, strict=True)):
        order, look = entry.order, looks[index]
        before = None if pool is None else Pool(pool.base, pool.quote, pool.fee_bps)
        price = 0
        reference = None
        if internal:
            assert book.mark is not None
            reference = amm_reference(pool, order.is_buy, internal)
            quoted = desk_quote(order.is_buy, internal, book.mark, book.priced_inventory, reference, params, book.now)
            if quoted.price is None:
                return MarketPlan([], [], pool), (index, _after_batch(quoted.reason, quoted.detail))
            price = widened(
                order.is_buy, quoted.price, look.widen_bps, book.mark, internal, reference, params, order.limit_price
            )
            if not meets_limit(order.is_buy, price, order.limit_price):
                detail = f"the desk's price {price} does not meet the limit {order.limit_price}"
                return MarketPlan([], [], pool), (index, _after_batch(Reason.LIMIT_NOT_MET, detail))
        amm, leg, amm_why = _route(order, entry.remaining - internal, pool, book.gate.amm, params.price_scale)
        if internal or amm:
            fill = Fill(order, entry.signature, internal, price, amm, min(fee_bps, order.max_fee_bps))
            legs = expected_legs(fill, book.mark, AmmQuotes(before, reference, leg), params.price_scale)
            plan.append(PlannedFill(fill, entry.digest, legs))
        short = _shortfall(entry, internal, look, excluded.get(index), book)
        numbers = _Numbers(look, internal, price, amm, leg or 0, _mid(before, params.price_scale))
        traces.append(_trace(entry, book, numbers, short, amm_why))
    return MarketPlan(plan, traces, pool), None


def _after_batch(reason: Reason | None, detail: str) -> tuple[Reason, str]:
    return (reason or Reason.AMM_BETTER, f"{detail} (after the batch's earlier AMM legs)")


def _shortfall(
    entry: BookEntry, internal: int, look: Look, excluded: tuple[Reason, str] | None, book: MarketBook
) -> tuple[Reason, str] | None:
    """Why the desk filled less than the whole remaining size from inventory (None: it filled it all)."""
    if internal >= entry.remaining:
        return None
    if look.reason is not None and (look.price is None or internal >= look.cap):
        return look.reason, look.detail
    if excluded is not None:
        return excluded
    room = inventory_room(entry.order.is_buy, book.inventory, book.risk_limit)
    if room == 0:
        return Reason.INVENTORY_CAP, f"the desk's inventory {book.inventory} is at its risk limit on this side"
    return Reason.INVENTORY_CAP, f"the desk's inventory room on this side ({room}) went to earlier orders first"


@dataclass(frozen=True)
class _Numbers:
    look: Look
    internal: int
    price: int
    amm: int
    amm_quote: int
    amm_mid: int


def _mid(pool: Pool | None, price_scale: int) -> int:
    return pool.mid(price_scale) if pool is not None and pool.base else 0


def _trace(
    entry: BookEntry,
    book: MarketBook,
    numbers: _Numbers,
    short: tuple[Reason, str] | None,
    amm_why: tuple[Reason, str] | None,
) -> OrderTrace:
    internal, amm = numbers.internal, numbers.amm
    widen = numbers.look.widen_bps > 0 and internal > 0
    if short is None:
        action, reason, detail = Action.INTERNALIZE, None, "filled from the desk's inventory"
        if widen:
            action, detail = Action.WIDEN, f"filled from the desk's inventory, {numbers.look.widen_bps:.1f} bps wider"
    elif internal:
        action, (reason, detail) = (Action.WIDEN if widen else Action.PARTIAL), short
        detail += "; the rest " + ("went to the AMM" if amm else f"rests ({amm_why[1] if amm_why else ''})")
    elif amm:
        action, (reason, detail) = Action.ROUTE, short
    else:
        action, (reason, detail) = Action.REST, short
        if reason is Reason.AMM_BETTER and amm_why is not None:  # the AMM was better but could not be used
            reason, detail = amm_why[0], f"{amm_why[1]} (and {detail})"
        elif amm_why is not None:
            detail += f"; not routed: {amm_why[1]}"
    order = entry.order
    return OrderTrace(
        entry.digest,
        order.market,
        order.is_buy,
        entry.remaining,
        action,
        reason,
        detail,
        internal_size=internal,
        internal_price=numbers.price,
        amm_size=amm,
        amm_quote=numbers.amm_quote,
        mark=book.mark,
        amm_mid=numbers.amm_mid,
        desk_quote=numbers.look.price,
        amm_reference=numbers.look.reference,
        decision=numbers.look.decision,
        now=book.now,
    )


def _rest(entry: BookEntry, book: MarketBook, reason: Reason, detail: str, price_scale: int) -> OrderTrace:
    order = entry.order
    return OrderTrace(
        entry.digest, order.market, order.is_buy, entry.remaining, Action.REST, reason, detail,
        mark=book.mark, amm_mid=_mid(book.pool, price_scale), now=book.now,
    )  # fmt: skip


def _route(
    order: Order, remainder: int, pool: Pool | None, closed: Closure | None, price_scale: int
) -> tuple[int, int | None, tuple[Reason, str] | None]:
    """Sends the whole remainder to the AMM when allowed and within the limit; moves the mirror.

    Returns the AMM size, its quote, and why a remainder did not go (None when it went, or there
    was none): the order does not allow it, a breaker closed the AMM, no pool, the pool cannot
    take it, or its price is beyond the limit.
    """
    if remainder <= 0:
        return 0, None, None
    if not order.allow_amm:
        return 0, None, (Reason.AMM_NOT_ALLOWED, "the order does not allow routing to the AMM")
    if closed is not None:
        return 0, None, (closed.reason, closed.detail)
    if pool is None:
        return 0, None, (Reason.NO_POOL, f"market {order.market} has no AMM pool")
    try:
        quote = pool.quote_buy(remainder) if order.is_buy else pool.quote_sell(remainder)
    except AmmMathError as exc:
        return 0, None, (Reason.AMM_LIQUIDITY, f"the AMM cannot take {remainder} ({exc})")
    if not amm_within_limit(order.is_buy, remainder, quote, order.limit_price, price_scale):
        return 0, None, (Reason.AMM_LIMIT_NOT_MET, "the AMM's price for the size is beyond the order's limit")
    if order.is_buy:
        pool.base, pool.quote = pool.base - remainder, pool.quote + quote
    else:
        pool.base, pool.quote = pool.base + remainder, pool.quote - quote
    return remainder, quote, None
