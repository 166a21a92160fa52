"""Why an order rests, as the API shows it: the reason the keeper's trace recorded for the batch,
with the bot's breakers closing parts of the market through the planner's gate."""

from __future__ import annotations

import dataclasses

from botkit import KEEPER, account

from defi_int.bot.breakers import AMM_DEVIATION, INVENTORY, KILL_SWITCH, STALE_ORACLE, BreakerBoard, Trip
from defi_int.keeper.book import BookEntry
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.mirror import MirrorVenue
from defi_int.keeper.trace import Action, OrderTrace
from defi_int.orders.model import Order
from defi_int.reasons import Reason
from defi_int.types import ONE

TRADER = account(20)


def entry(venue: MirrorVenue, *, is_buy: bool = True, size: int = ONE, limit: int | None = None, amm: bool = True):
    limit = limit if limit is not None else (2_020 * ONE if is_buy else 1_980 * ONE)
    order = Order(TRADER.address, 0, is_buy, size, limit, venue.now + 600, 1, 30, amm)
    return BookEntry(order, b"", b"\x01" * 32, 0)


CLOSED = BreakerBoard()


def trace(venue: MirrorVenue, e: BookEntry, board: BreakerBoard = CLOSED, config: KeeperConfig = KEEPER) -> OrderTrace:
    keeper = Keeper(venue, config)
    snapshot = keeper.snapshot([e])
    view = snapshot.view
    gates = {m: board.gate(m, view.ledger.position(view.desk, m)) for m in snapshot.markets}
    return keeper.plan([e], snapshot, gates).traces[e.digest]


def test_a_limit_the_desk_cannot_meet_is_limit_not_met_and_the_order_rests():
    venue = MirrorVenue.new()
    seen = trace(venue, entry(venue, limit=1_990 * ONE, amm=False))
    assert (seen.action, seen.reason) == (Action.REST, Reason.LIMIT_NOT_MET)
    assert seen.desk_quote is not None and seen.desk_quote > 1_990 * ONE and seen.filled == 0


def test_an_order_the_desk_fills_whole_has_no_reason_and_its_numbers():
    venue = MirrorVenue.new()
    seen = trace(venue, entry(venue))
    assert (seen.action, seen.reason) == (Action.INTERNALIZE, None)
    assert seen.internal_size == ONE and seen.internal_price == seen.desk_quote and seen.mark == 2_000 * ONE


def test_breakers_come_first_the_kill_switch_and_a_stale_oracle_by_their_names():
    venue = MirrorVenue.new()
    e = entry(venue)
    killed = trace(venue, e, BreakerBoard((Trip(KILL_SWITCH, None, "operator"),)))
    assert (killed.action, killed.reason) == (Action.REST, Reason.BREAKER_OPEN) and "operator" in killed.detail
    assert trace(venue, e, BreakerBoard((Trip(STALE_ORACLE, 0, "old"),))).reason is Reason.STALE_ORACLE


def test_no_fresh_price_is_stale_oracle():
    venue = MirrorVenue.new()
    venue.advance(4_000)  # past the oracle's max age
    assert trace(venue, entry(venue)).reason is Reason.STALE_ORACLE


def test_no_room_on_the_side_is_inventory_cap_and_a_closed_side_is_breaker_open():
    venue = MirrorVenue.new()
    no_room = dataclasses.replace(KEEPER, risk_limits={0: 0})
    assert trace(venue, entry(venue, amm=False), config=no_room).reason is Reason.INVENTORY_CAP
    board = BreakerBoard((Trip(INVENTORY, 0, "hard stop"),))
    assert (
        trace(venue, entry(venue, amm=False), board).reason is Reason.BREAKER_OPEN
    )  # the desk is flat: a buy grows it


def test_an_order_routed_for_want_of_room_says_so_and_a_closed_amm_rests_it_naming_the_breaker():
    venue = MirrorVenue.new()
    no_room = dataclasses.replace(KEEPER, risk_limits={0: 0})
    routed = trace(venue, entry(venue), config=no_room)
    assert (routed.action, routed.reason) == (Action.ROUTE, Reason.INVENTORY_CAP) and routed.amm_size == ONE
    board = BreakerBoard((Trip(AMM_DEVIATION, 0, "the pool is 3% off"),))
    rested = trace(venue, entry(venue), board, no_room)
    assert (rested.action, rested.reason) == (Action.REST, Reason.INVENTORY_CAP)
    assert "3% off" in rested.detail
