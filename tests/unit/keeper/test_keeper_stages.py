"""The keeper's steps can be driven one by one: a batch planned and held, settled later, reconciled from events.

This is how a service drives it between its journal's stages: the book and the keeper's state are
handed to a new ``Keeper`` (as after a restart), and the events come from the venue's receipt.
"""

from __future__ import annotations

import pytest
from mirror_world import TRADERS

from defi_int.exceptions import ChainError
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.venue import SettleReceipt
from defi_int.types import ONE


def planned_batch(world):
    keeper = world.keeper
    selected = keeper.select()
    snapshot = keeper.snapshot(selected)
    pruned = keeper.prune(selected, snapshot)
    accepted, rejected = keeper.validate(keeper.plan(pruned.live, snapshot).fills, snapshot)
    assert rejected == []
    return accepted


def test_a_batch_planned_and_held_is_settled_later_and_reconciled_by_a_restarted_keeper(world) -> None:
    world.submit(TRADERS[0], is_buy=True, size=2 * ONE)
    world.submit(TRADERS[1], is_buy=False, size=ONE)
    plan = planned_batch(world)
    world.keeper.hold(plan)
    assert world.keeper.select() == []  # orders in flight are not planned twice
    receipt = world.venue.settle(plan)  # sent later, by whoever holds the transaction
    restarted = Keeper(world.venue, world.keeper.config, state=world.keeper.state)
    assert restarted.reconcile(plan, receipt, step=0) == []
    assert len(restarted.book) == 0
    assert {p.digest for p in plan} <= restarted.state.filled
    assert world.desk_position() == -ONE


def test_a_released_batch_is_selected_again(world) -> None:
    world.submit(TRADERS[0])
    plan = planned_batch(world)
    world.keeper.hold(plan)
    world.keeper.release(plan)
    assert [e.digest for e in world.keeper.select()] == [p.digest for p in plan]


def test_reconcile_books_what_the_chain_booked_and_reports_where_it_differs_from_the_plan(make_world) -> None:
    world = make_world(risk_limits={0: 0})  # the buy goes to the AMM
    world.submit(TRADERS[0], is_buy=True, size=2 * ONE)
    plan = planned_batch(world)
    world.venue.swap(TRADERS[7].address, 0, True, 3 * ONE, 10**30)  # someone moves the pool first
    receipt = world.venue.settle(plan)
    (mismatch,) = world.keeper.reconcile(plan, receipt, step=0)
    assert mismatch.digest == plan[0].digest
    assert mismatch.booked[3] == receipt.events[0].amm_quote != plan[0].expected.amm_quote
    assert len(world.keeper.book) == 0  # the chain filled it: the book follows the chain


def test_reconcile_refuses_events_that_are_not_the_batchs(world) -> None:
    world.submit(TRADERS[0], is_buy=True)
    world.submit(TRADERS[1], is_buy=False)
    plan = planned_batch(world)
    receipt = world.venue.settle(plan)
    swapped = SettleReceipt(receipt.tx_hash, receipt.block, receipt.time, receipt.gas_used, receipt.events[::-1])
    with pytest.raises(ChainError, match="a fill of"):
        world.keeper.reconcile(plan, swapped, step=0)


def test_a_step_whose_settle_fails_returns_its_orders_to_the_book(world, monkeypatch) -> None:
    world.submit(TRADERS[0])

    def node_down(fills):
        raise ChainError("node went away")

    monkeypatch.setattr(world.venue, "settle", node_down)
    with pytest.raises(ChainError):
        world.keeper.step(0)
    (entry,) = world.keeper.book
    assert not entry.in_flight
