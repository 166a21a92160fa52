"""The book is bounded: in total (a full book evicts its worst order for a better one) and per trader."""

from __future__ import annotations

import pytest
from mirror_world import TRADERS

from defi_int.exceptions import OrderRejected
from defi_int.keeper.book import OrderBook


def test_a_trader_cannot_rest_more_than_its_share_of_the_book(make_world) -> None:
    world = make_world(max_resting_per_trader=2)
    for _ in range(2):
        world.submit(TRADERS[0], limit_price=1, allow_amm=False)
    with pytest.raises(OrderRejected) as rejection:
        world.submit(TRADERS[0], limit_price=1, allow_amm=False)
    assert rejection.value.reason == "resting_cap"
    world.submit(TRADERS[1], limit_price=1, allow_amm=False)  # others still get in
    assert len(world.keeper.book) == 3


def test_a_full_book_evicts_its_least_marketable_order_for_a_better_one(make_world) -> None:
    world = make_world(max_resting=3)
    world.keeper.step(0)  # the keeper learns the marks it ranks by
    mark = world.venue.oracle[0][0]
    far = [world.submit(TRADERS[i], limit_price=mark * (90 - i) // 100, allow_amm=False) for i in range(3)]
    admission = world.admit(TRADERS[4], world.order(TRADERS[4]))
    assert [e.order for e in admission.evicted] == [far[2]]  # the farthest from the market
    assert admission.entry.digest in world.keeper.book


def test_a_full_book_refuses_an_order_worse_than_all_it_holds(make_world) -> None:
    world = make_world(max_resting=2)
    world.keeper.step(0)
    world.submit(TRADERS[0])
    world.submit(TRADERS[1])
    with pytest.raises(OrderRejected) as rejection:
        world.submit(TRADERS[2], limit_price=1, allow_amm=False)
    assert rejection.value.reason == "book_full"
    assert len(world.keeper.book) == 2


def test_the_book_rebuilt_from_saved_entries_keeps_their_arrival_order(world) -> None:
    orders = [world.submit(TRADERS[i]) for i in range(3)]
    saved = list(world.keeper.book)
    rebuilt = OrderBook(10, 10, reversed(saved))
    assert [e.order for e in rebuilt] == orders
    assert rebuilt.resting(TRADERS[0].address) == 1
