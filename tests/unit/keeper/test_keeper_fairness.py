"""Fair selection: marketable orders first, then price, then time; far orders never starve them.

Before, each batch looked at the oldest ``max_batch`` orders of the book: 500 signed far-from-market
orders with a one-year expiry starved every later marketable order for a year.
"""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.keeper.book import BookEntry, priority
from defi_int.orders.model import Order
from defi_int.types import ONE

YEAR = 365 * 24 * 3600
MARK = 2_000 * ONE


def flood(world, count: int) -> None:
    """``count`` far-from-market buys (limit 1) from five traders, each resting for a year."""
    for i in range(count):
        world.submit(TRADERS[i % 5], limit_price=1, allow_amm=False, expiry=world.venue.now + YEAR)


def test_a_marketable_order_is_not_starved_by_hundreds_of_far_orders_with_long_expiries(make_world) -> None:
    world = make_world(max_batch=50)
    flood(world, 500)
    assert world.keeper.step(0).events == []
    marketable = world.submit(TRADERS[5], is_buy=True)
    (event,) = world.keeper.step(1).events
    assert event.trader == marketable.trader
    assert len(world.keeper.book) == 500


def test_the_first_batch_is_ranked_too(make_world) -> None:
    world = make_world(max_batch=50)
    flood(world, 200)
    world.submit(TRADERS[5], is_buy=True)  # arrives last, before the keeper ever read the venue
    (event,) = world.keeper.step(0).events
    assert event.trader == TRADERS[5].address


def test_a_batch_cut_by_the_gas_bound_keeps_the_marketable_orders(make_world) -> None:
    world = make_world(gas_limit=200_000 + 130_000 * 3)  # three fills per settle
    flood(world, 10)
    sellers = [world.submit(TRADERS[6], is_buy=False) for _ in range(2)]
    events = world.keeper.step(0).events
    assert sorted(e.trader for e in events) == sorted(o.trader for o in sellers)


def entry(seq: int, is_buy: bool, limit: int, market: int = 0) -> BookEntry:
    order = Order(TRADERS[0].address, market, is_buy, ONE, limit, 2**40, seq, 30, True)
    return BookEntry(order, b"", seq.to_bytes(32, "big"), seq)


def test_priority_is_marketability_then_price_reach_then_time() -> None:
    marks, deviation = {0: MARK}, {0: 100}
    rank = lambda e: priority(e, marks, deviation)  # noqa: E731
    eager = entry(5, True, MARK * 101 // 100)  # 1% through the mark
    late_eager = entry(6, True, MARK * 101 // 100)
    seller = entry(7, False, MARK * 995 // 1000)  # 0.5% through on the sell side
    inside_band = entry(1, True, MARK * 9995 // 10_000)  # below the mark, still inside the 1% band
    far = entry(0, True, MARK // 2)  # oldest, but far outside the band
    unknown = entry(2, True, MARK, market=9)  # no mark known for its market
    ordered = sorted([unknown, far, inside_band, seller, late_eager, eager], key=rank)
    assert ordered == [eager, late_eager, seller, inside_band, far, unknown]
