"""Without a fresh oracle price nothing can be valued on-chain: orders rest, and fill once it posts."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.types import ONE


def test_orders_rest_while_the_oracle_is_stale_and_fill_once_it_posts(world) -> None:
    world.submit(TRADERS[0], is_buy=True, expiry=world.venue.now + 10_000)
    world.venue.advance(3_700)  # past the oracle's max age
    outcome = world.keeper.step(0)
    assert (outcome.rejected, outcome.events, len(world.keeper.book)) == ([], [], 1)
    world.venue.post_price(0, 2_000 * ONE)
    assert len(world.keeper.step(1).events) == 1
