"""Past its soft limit the desk trades its own book on the AMM back to its target."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.types import ONE


def test_the_desk_hedges_back_to_its_target_past_the_soft_limit(make_world) -> None:
    world = make_world(soft_limits={0: 3 * ONE}, hedge_to=ONE)
    world.submit(TRADERS[0], is_buy=False, size=5 * ONE)
    outcome = world.keeper.step(0)
    (hedge,) = outcome.hedges
    assert (hedge.is_buy, hedge.size) == (False, 4 * ONE)  # long 5, back to hedge_to = 1
    assert world.desk_position() == ONE


def test_the_desk_does_not_hedge_within_its_soft_limit(make_world) -> None:
    world = make_world(soft_limits={0: 3 * ONE}, hedge_to=ONE)
    world.submit(TRADERS[0], is_buy=False, size=2 * ONE)
    assert world.keeper.step(0).hedges == []
    assert world.desk_position() == 2 * ONE


def test_a_hedge_the_pool_moved_away_from_is_skipped_and_tried_again_next_batch(make_world, monkeypatch) -> None:
    world = make_world(soft_limits={0: 3 * ONE}, hedge_to=ONE)
    venue = world.venue
    hedge = venue.hedge

    def arbitrage_then_hedge(order):  # an arbitrageur dumps base on the pool first
        venue.swap(TRADERS[7].address, 0, False, 50 * ONE, 0)
        return hedge(order)

    monkeypatch.setattr(venue, "hedge", arbitrage_then_hedge)
    world.submit(TRADERS[0], is_buy=False, size=5 * ONE)
    assert world.keeper.step(0).hedges == []
    assert world.desk_position() == 5 * ONE
    monkeypatch.setattr(venue, "hedge", hedge)
    (retried,) = world.keeper.step(1).hedges
    assert retried.size == 4 * ONE and world.desk_position() == ONE
