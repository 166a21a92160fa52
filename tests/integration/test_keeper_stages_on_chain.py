"""On the chain venue, a batch planned now can be settled later and reconciled by a restarted keeper
from the events read back from the chain by transaction hash (the chain is the truth)."""

from __future__ import annotations

from typing import Any

from defi_int.chain.venue import ChainVenue
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.pricing import PricingParams
from defi_int.types import ONE

PRICING = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, 10**30)


def test_a_batch_settled_later_is_reconciled_from_events_read_back_by_a_restarted_keeper(
    defi_system: Any, defi_traders: Any, defi_orders: Any
) -> None:
    config = KeeperConfig(pricing={0: PRICING}, risk_limits={0: 50 * ONE}, soft_limits={0: None})
    venue = ChainVenue(defi_system)
    keeper = Keeper(venue, config)
    now = defi_system.chain.timestamp() + 1
    for trader, is_buy in ((defi_traders[0], True), (defi_traders[1], False), (defi_traders[2], True)):
        order = defi_orders.order(trader, is_buy=is_buy, size=2 * ONE)
        keeper.intake(order, defi_orders.sign(trader, order), now=now)

    selected = keeper.select()
    snapshot = keeper.snapshot(selected)
    plan, rejected = keeper.validate(keeper.plan(keeper.prune(selected, snapshot).live, snapshot).fills, snapshot)
    assert rejected == [] and len(plan) == 3
    keeper.hold(plan)
    tx_hash = venue.settle(plan).tx_hash  # the keeper that sent it dies before reconciling
    assert tx_hash is not None

    restarted = Keeper(ChainVenue(defi_system), config, state=keeper.state)
    receipt = restarted.venue.settlement(tx_hash)
    assert [e.digest for e in receipt.events] == [p.digest for p in plan]
    assert restarted.reconcile(plan, receipt, step=0) == []
    assert len(restarted.book) == 0
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == -2 * ONE
