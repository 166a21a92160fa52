"""Why an order has not filled: the code and sentence the loop journals for each order it left resting.

After each batch the loop asks ``why_not`` for every live order the batch looked at and did not
fill whole, and journals the answers (``Journal.note_reasons``; ``GET /v1/orders/{digest}`` shows
them). The codes are ``journal.records.WAIT_REASONS``; the checks follow the planner's order, so the
first thing that stopped the order is named:

1. a breaker closed its market (kill switch: ``breaker_open``; stale oracle: ``stale_oracle``);
2. no fresh oracle price at the batch's time (``stale_oracle``);
3. the desk: a breaker closed its book on this side, its inventory room is used up
   (``inventory_cap``), no price inside the oracle band beats the AMM (``amm_better`` or
   ``outside_band``), or its price does not meet the limit (``limit_not_met``);
4. the AMM for the rest: not allowed by the order (``amm_not_allowed``), closed by a breaker, or
   beyond the limit (``limit_not_met``).

Pure: the snapshot, the breaker board and the keeper's configuration.
"""

from __future__ import annotations

from defi_int.bot.breakers import KILL_SWITCH, BreakerBoard
from defi_int.keeper.book import BookEntry
from defi_int.keeper.keeper import KeeperConfig
from defi_int.keeper.matching import inventory_room
from defi_int.keeper.pricing import desk_price
from defi_int.keeper.venue import Snapshot
from defi_int.market.amm import AmmMathError
from defi_int.orders.rules import amm_reference, amm_within_limit, meets_limit
from defi_int.reasons import Reason

Why = tuple[Reason, str]


def why_not(entry: BookEntry, snapshot: Snapshot, board: BreakerBoard, config: KeeperConfig) -> Why:
    """The first thing that kept ``entry`` from filling (whole) in a batch on ``snapshot``."""
    order = entry.order
    market, buys, size = order.market, order.is_buy, entry.remaining
    blocked = board.blocks_settle(market)
    if blocked is not None:
        return (Reason.BREAKER_OPEN if blocked.name == KILL_SWITCH else Reason.STALE_ORACLE, blocked.reason())
    view = snapshot.view
    mark = view.prices.get(market)
    if mark is None:
        return Reason.STALE_ORACLE, f"market {market} has no fresh oracle price at {view.now}"
    pool = view.pools.get(market)
    inventory = view.ledger.position(view.desk, market)
    desk = _desk(entry, snapshot, board, config, mark, inventory)
    if not order.allow_amm:
        return (
            desk
            if desk[0] is not Reason.AMM_BETTER
            else (Reason.AMM_NOT_ALLOWED, "the AMM beats the desk and is not allowed")
        )
    closed = board.blocks_amm(market)
    if closed is not None:
        return desk if desk[0] is not Reason.AMM_BETTER else (Reason.BREAKER_OPEN, closed.reason())
    if pool is None:
        return desk
    try:
        quote = pool.quote_buy(size) if buys else pool.quote_sell(size)
    except AmmMathError as exc:
        return (
            desk
            if desk[0] is not Reason.AMM_BETTER
            else (Reason.AMM_BETTER, f"the AMM cannot take {size} either ({exc})")
        )
    if not amm_within_limit(buys, size, quote, order.limit_price, view.price_scale):
        beyond = (Reason.LIMIT_NOT_MET, "the AMM's price for the size is beyond the limit")
        return desk if desk[0] is not Reason.AMM_BETTER else beyond
    return desk


def _desk(
    entry: BookEntry, snapshot: Snapshot, board: BreakerBoard, config: KeeperConfig, mark: int, inventory: int
) -> Why:
    order = entry.order
    market, buys, size = order.market, order.is_buy, entry.remaining
    closed = board.blocks_internal(market, buys, inventory)
    if closed is not None:
        return Reason.BREAKER_OPEN, closed.reason()
    room = inventory_room(buys, inventory, config.risk_limits.get(market, 0))
    if room == 0:
        return Reason.INVENTORY_CAP, f"the desk's inventory {inventory} leaves no room on this side"
    pricing = config.pricing.get(market)
    if pricing is None:
        return Reason.OUTSIDE_BAND, f"the keeper does not price market {market}"
    reference = amm_reference(snapshot.view.pools.get(market), buys, size)
    price = desk_price(buys, size, mark, inventory, reference, pricing)
    if price is None:
        if reference is None:
            return Reason.OUTSIDE_BAND, "the AMM cannot quote the size, so the desk does not price it"
        return Reason.AMM_BETTER, "no price within the oracle band beats the AMM with the desk's edge"
    if not meets_limit(buys, price, order.limit_price):
        return Reason.LIMIT_NOT_MET, f"the desk's price {price} does not meet the limit {order.limit_price}"
    if room < size:
        return Reason.INVENTORY_CAP, f"the desk's room on this side is {room} of the {size} left"
    return Reason.LIMIT_NOT_MET, "the batch's netting and AMM moves left it out; it waits for the next batch"
