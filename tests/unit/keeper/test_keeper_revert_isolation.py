"""A settle that reverts: the fill at fault is found, dropped with the chain's reason, and the rest resent.

Races are staged on the mirror venue: the keeper reads the world, then a trader acts (cancels,
withdraws its margin) before the settle lands, as another transaction in the same block would.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mirror_world import TRADERS, World

from defi_int.types import ONE


def race(monkeypatch: pytest.MonkeyPatch, world: World, action: Callable[[], None]) -> None:
    """Runs ``action`` on the venue once, right after the keeper's read of a batch, before its settle."""
    read = world.venue.snapshot
    pending = [action]

    def read_then_act(orders):
        snapshot = read(orders)
        if orders and pending:  # the batch's read, not a read of the markets alone
            pending.pop()()
        return snapshot

    monkeypatch.setattr(world.venue, "snapshot", read_then_act)


def test_a_fill_whose_order_was_cancelled_in_the_race_is_dropped_and_the_rest_resent(world, monkeypatch) -> None:
    world.submit(TRADERS[0], is_buy=True)
    victim = world.submit(TRADERS[1], is_buy=True)
    world.submit(TRADERS[2], is_buy=False)
    race(monkeypatch, world, lambda: world.venue.cancel(victim))
    outcome = world.keeper.step(0)
    assert outcome.resends == 1
    ((order, reason),) = outcome.rejected
    assert order == victim and reason.reason == "cancelled"
    assert [e.trader for e in outcome.events] == [TRADERS[0].address, TRADERS[2].address]
    assert len(world.keeper.book) == 0


def test_a_margin_revert_without_a_digest_is_found_by_simulating_prefixes(world, monkeypatch) -> None:
    poor = TRADERS[3]
    simulated = []
    simulate = world.venue.simulate
    monkeypatch.setattr(world.venue, "simulate", lambda fills: simulated.append(len(fills)) or simulate(fills))
    world.submit(TRADERS[0], is_buy=True)
    victim = world.submit(poor, is_buy=False, size=10 * ONE)
    world.submit(TRADERS[2], is_buy=True)
    cash = world.venue.world.ledger.cash[poor.address]
    race(monkeypatch, world, lambda: world.venue.withdraw(poor.address, cash - 10**6))
    outcome = world.keeper.step(0)
    ((order, reason),) = outcome.rejected
    assert order == victim and reason.reason == "insufficient_margin"
    assert simulated  # the Vault's error names no order: prefixes were simulated to find it
    assert [e.trader for e in outcome.events] == [TRADERS[0].address, TRADERS[2].address]


def test_fills_behind_a_dropped_amm_leg_are_settled_at_the_pool_without_it(make_world, monkeypatch) -> None:
    world = make_world(risk_limits={0: 0})  # no room: every buy goes to the AMM
    pool = world.venue.world.pools[0]
    before = (pool.base, pool.quote)
    victim = world.submit(TRADERS[0], is_buy=True, size=5 * ONE)
    world.submit(TRADERS[1], is_buy=True, size=5 * ONE)
    race(monkeypatch, world, lambda: world.venue.cancel(victim))
    outcome = world.keeper.step(0)  # reconcile would raise if the resent leg kept the first plan's quote
    (event,) = outcome.events
    assert event.trader == TRADERS[1].address
    assert event.amm_quote == type(pool)(*before, pool.fee_bps).quote_buy(5 * ONE)
    (planned,) = outcome.fills
    assert planned.expected.amm.pool_before == type(pool)(*before, pool.fee_bps)
