"""Orders rest until their expiry, then leave the book as expired, wherever they stand in it."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.types import ONE


def test_an_order_resting_past_its_expiry_leaves_the_book_as_expired(world) -> None:
    order = world.submit(TRADERS[0], limit_price=1, allow_amm=False, expiry=world.venue.now + 5)
    assert world.keeper.step(0).expired == []
    assert len(world.keeper.book) == 1
    world.venue.advance(10)
    outcome = world.keeper.step(1)
    assert outcome.expired == [order]
    assert len(world.keeper.book) == 0


def test_expiry_is_judged_over_the_whole_book_not_only_the_batch(make_world) -> None:
    world = make_world(max_batch=2)
    orders = [world.submit(TRADERS[i], limit_price=1, allow_amm=False, expiry=world.venue.now + 5) for i in range(5)]
    world.venue.advance(10)
    outcome = world.keeper.step(0)
    assert outcome.expired == orders
    assert len(world.keeper.book) == 0


def test_an_order_filled_in_part_that_expires_is_not_counted_as_expired(make_world) -> None:
    world = make_world(risk_limits={0: ONE})
    world.submit(TRADERS[0], size=3 * ONE, allow_amm=False, expiry=world.venue.now + 30)
    assert world.keeper.step(0).events[0].internal_size == ONE
    world.venue.advance(60)
    outcome = world.keeper.step(1)
    assert outcome.expired == [] and outcome.events == []
    assert len(world.keeper.book) == 0
