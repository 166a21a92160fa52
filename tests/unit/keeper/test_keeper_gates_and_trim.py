"""A service's hooks into the keeper: breaker gates close a side of the desk or the AMM, and ``trim``
drops the fills a simulation of the settle says would revert, before anything is signed."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.keeper.matching import Closure, Gate
from defi_int.reasons import Reason
from defi_int.types import ONE


def plan(world, gates=None):
    keeper = world.keeper
    selected = keeper.select()
    snapshot = keeper.snapshot(selected)
    pruned = keeper.prune(selected, snapshot)
    return keeper.plan(pruned.live, snapshot, gates), snapshot


def test_a_closed_side_of_the_desk_fills_nothing_internally_on_that_side(world):
    buy = world.submit(TRADERS[0], is_buy=True, allow_amm=False)
    sell = world.submit(TRADERS[1], is_buy=False, size=ONE // 2, allow_amm=False)

    fills, _ = plan(world, {0: Gate(internal_buys=Closure(Reason.BREAKER_OPEN, "drawdown"))})

    assert [(p.order, p.fill.internal_size) for p in fills] == [(sell, ONE // 2)]
    assert buy not in {p.order for p in fills}


def test_a_closed_amm_routes_nothing_and_the_desk_still_fills_within_its_room(world):
    world.submit(TRADERS[0], is_buy=True, size=60 * ONE)  # over the 50 of room: the rest would go to the AMM

    (open_,), _ = plan(world)
    (closed,), _ = plan(world, {0: Gate(amm=Closure(Reason.BREAKER_OPEN, "the pool is off the oracle"))})

    assert open_.fill.amm_size == 10 * ONE and open_.fill.internal_size == 50 * ONE
    assert closed.fill.amm_size == 0 and closed.fill.internal_size == 50 * ONE


def test_trim_drops_the_fill_a_simulation_rejects_and_keeps_the_rest(world):
    world.submit(TRADERS[0], is_buy=True)
    victim = world.submit(TRADERS[1], is_buy=True)
    world.submit(TRADERS[2], is_buy=False)
    fills, snapshot = plan(world)
    world.venue.cancel(victim)  # on chain after the read: the settle would revert

    kept, rejected = world.keeper.trim(fills.fills, snapshot)

    assert [p.order.trader for p in kept] == [TRADERS[0].address, TRADERS[2].address]
    ((order, reason),) = rejected
    assert order == victim and reason.reason == "cancelled"
    assert victim not in {e.order for e in world.keeper.book}
    world.keeper.hold(kept)
    assert [e.trader for e in world.venue.settle(kept).events] == [p.order.trader for p in kept]
