"""Flow judged toxic by its markouts is routed to the AMM instead of filled by the desk."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.types import ONE

MARKS = [2_000 * ONE, 2_003 * ONE, 2_000 * ONE, 2_003 * ONE]


def informed_history(world) -> None:
    """An informed trader buys before every rise and sells before every fall, twice."""
    informed = TRADERS[0]
    for step in range(2):
        world.submit(informed, is_buy=MARKS[step + 1] > MARKS[step])
        assert world.keeper.step(step).events[0].internal_size == ONE
        world.venue.post_price(0, MARKS[step + 1])
        world.keeper.observe_marks(step + 1, {0: MARKS[step + 1]})


def test_a_trader_who_keeps_being_right_is_routed_to_the_amm(make_world) -> None:
    world = make_world(toxicity_routing=True, toxicity_horizon=1, toxicity_min_fills=2, toxicity_threshold_bps=5.0)
    informed_history(world)
    mean, fills = world.keeper.state.scorer.fills.markout(TRADERS[0].address)
    assert fills == 2 and mean < -5.0
    world.submit(TRADERS[0], is_buy=True)
    world.submit(TRADERS[1], is_buy=True)  # someone else's flow is still filled by the desk
    events = world.keeper.step(2).events
    assert [(e.trader, e.internal_size, e.amm_size) for e in events] == [
        (TRADERS[0].address, 0, ONE),
        (TRADERS[1].address, ONE, 0),
    ]


def test_without_toxicity_routing_the_same_trader_is_still_filled_internally(make_world) -> None:
    world = make_world(toxicity_routing=False, toxicity_horizon=1, toxicity_min_fills=2, toxicity_threshold_bps=5.0)
    informed_history(world)
    world.submit(TRADERS[0], is_buy=True)
    (event,) = world.keeper.step(2).events
    assert (event.internal_size, event.amm_size) == (ONE, 0)
