"""Why an order rests: the first thing that stopped it, in the planner's order, as the API shows it."""

from __future__ import annotations

import dataclasses

from botkit import KEEPER, account

from defi_int.bot.breakers import INVENTORY, KILL_SWITCH, STALE_ORACLE, BreakerBoard, Trip
from defi_int.bot.reasons import why_not
from defi_int.keeper.book import BookEntry
from defi_int.keeper.mirror import MirrorVenue
from defi_int.orders.model import Order
from defi_int.types import ONE

TRADER = account(20)


def entry(venue: MirrorVenue, *, is_buy: bool = True, size: int = ONE, limit: int | None = None, amm: bool = True):
    limit = limit if limit is not None else (2_020 * ONE if is_buy else 1_980 * ONE)
    order = Order(TRADER.address, 0, is_buy, size, limit, venue.now + 600, 1, 30, amm)
    return BookEntry(order, b"", b"\x01" * 32, 0)


CLOSED = BreakerBoard()


def reason(venue, e, board=CLOSED, config=KEEPER):
    return why_not(e, venue.snapshot({e.digest: e.order}), board, config)[0]


def test_a_limit_the_desk_cannot_meet_is_limit_not_met():
    venue = MirrorVenue.new()
    assert reason(venue, entry(venue, limit=1_990 * ONE, amm=False)) == "limit_not_met"


def test_breakers_come_first_the_kill_switch_and_a_stale_oracle_by_their_names():
    venue = MirrorVenue.new()
    e = entry(venue)
    assert reason(venue, e, BreakerBoard((Trip(KILL_SWITCH, None, "operator"),))) == "breaker_open"
    assert reason(venue, e, BreakerBoard((Trip(STALE_ORACLE, 0, "old"),))) == "stale_oracle"


def test_no_fresh_price_is_stale_oracle():
    venue = MirrorVenue.new()
    venue.advance(4_000)  # past the oracle's max age
    assert reason(venue, entry(venue)) == "stale_oracle"


def test_no_room_on_the_side_is_inventory_cap_and_a_closed_side_is_breaker_open():
    venue = MirrorVenue.new()
    no_room = dataclasses.replace(KEEPER, risk_limits={0: 0})
    assert reason(venue, entry(venue, amm=False), config=no_room) == "inventory_cap"
    board = BreakerBoard((Trip(INVENTORY, 0, "hard stop"),))
    assert reason(venue, entry(venue, amm=False), board) == "breaker_open"  # the desk is flat: a buy grows it
