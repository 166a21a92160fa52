"""The keeper nets opposing orders inside one settle: the desk's inventory does not move."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.types import ONE


def test_opposing_orders_net_inside_one_settle_without_moving_the_desk(world) -> None:
    world.submit(TRADERS[0], is_buy=True, size=3 * ONE)
    world.submit(TRADERS[1], is_buy=False, size=3 * ONE)
    outcome = world.keeper.step(0)
    assert [(e.internal_size, e.amm_size) for e in outcome.events] == [(3 * ONE, 0), (3 * ONE, 0)]
    assert len(world.venue.settled) == 1
    assert world.desk_position() == 0
    assert len(world.keeper.book) == 0


def test_netting_is_not_limited_by_the_desks_risk_room(make_world) -> None:
    world = make_world(risk_limits={0: ONE})
    world.submit(TRADERS[0], is_buy=True, size=5 * ONE)
    world.submit(TRADERS[1], is_buy=False, size=5 * ONE)
    outcome = world.keeper.step(0)
    assert [(e.internal_size, e.amm_size) for e in outcome.events] == [(5 * ONE, 0), (5 * ONE, 0)]
    assert world.desk_position() == 0
