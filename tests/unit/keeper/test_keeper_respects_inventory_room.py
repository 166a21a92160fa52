"""Beyond its risk room the desk routes flow to the AMM, or lets it rest when the order forbids the AMM."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.types import ONE


def test_flow_beyond_the_risk_room_goes_to_the_amm(make_world) -> None:
    world = make_world(risk_limits={0: 2 * ONE})
    world.submit(TRADERS[0], is_buy=True, size=5 * ONE)
    (event,) = world.keeper.step(0).events
    assert (event.internal_size, event.amm_size) == (2 * ONE, 3 * ONE)
    assert world.desk_position() == -2 * ONE


def test_flow_beyond_the_room_rests_when_the_order_forbids_the_amm_and_fills_when_room_comes_back(
    make_world,
) -> None:
    world = make_world(risk_limits={0: 2 * ONE})
    buyer = world.submit(TRADERS[0], is_buy=True, size=5 * ONE, allow_amm=False)
    (event,) = world.keeper.step(0).events
    assert (event.internal_size, event.amm_size) == (2 * ONE, 0)
    (entry,) = world.keeper.book
    assert (entry.order, entry.filled) == (buyer, 2 * ONE)
    world.submit(TRADERS[1], is_buy=False, size=3 * ONE, allow_amm=False)
    events = world.keeper.step(1).events
    assert [(e.trader, e.internal_size) for e in events] == [
        (TRADERS[0].address, 3 * ONE),
        (TRADERS[1].address, 3 * ONE),
    ]
    assert world.desk_position() == -2 * ONE
    assert len(world.keeper.book) == 0
