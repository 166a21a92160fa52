"""Validation of the keeper's plan: the planned AMM quotes are reused while the pool is where the plan
left it, and derived again behind a fill that was dropped."""

from __future__ import annotations

from mirror_world import TRADERS

from defi_int.orders.rules import amm_quotes
from defi_int.orders.validation import CANCELLED, validate_plan
from defi_int.types import ONE


def amm_plan(world):
    """Two buys that both go to the AMM (the desk has no room), and the snapshot they were planned on."""
    first = world.submit(TRADERS[0], is_buy=True, size=5 * ONE)
    world.submit(TRADERS[1], is_buy=True, size=5 * ONE)
    keeper = world.keeper
    entries = list(keeper.book)
    snapshot = keeper.snapshot(entries)
    return first, keeper.plan(entries, snapshot).fills, snapshot


def test_validation_reuses_the_planned_amm_quotes_while_the_pool_is_where_the_plan_left_it(make_world) -> None:
    world = make_world(risk_limits={0: 0})
    _, plan, snapshot = amm_plan(world)
    check = validate_plan(plan, snapshot.view)
    assert [p for p, _ in check.accepted] == plan
    assert all(legs.amm is p.expected.amm for p, legs in check.accepted)  # the same quotes, not recomputed


def test_validation_derives_the_legs_again_behind_a_dropped_amm_leg(make_world) -> None:
    world = make_world(risk_limits={0: 0})
    first, plan, snapshot = amm_plan(world)
    view = snapshot.view
    view.nonce_states[(first.trader.lower(), first.nonce)] = CANCELLED
    check = validate_plan(plan, view)
    ((dropped, reason),) = check.rejected
    assert dropped == plan[0] and reason.reason == "cancelled"
    ((kept, legs),) = check.accepted
    pool = snapshot.view.pools[0]
    assert legs.amm == amm_quotes(pool, kept.fill)  # the second buy now meets the untouched pool
    assert legs.amm_quote == pool.quote_buy(5 * ONE) < kept.expected.amm_quote
