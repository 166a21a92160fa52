"""The keeper on the chain venue of a deployed protocol: one settle per batch, reverts isolated, events reconciled.

Races are real: the chain read the keeper plans on is taken, then a trader acts on-chain (cancels,
withdraws its margin) before the settle lands, as another transaction in the same block would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from defi_int.chain.venue import ChainVenue
from defi_int.exceptions import OrderRejected
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.pricing import PricingParams
from defi_int.types import ONE

PRICING = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, 10**30)


def make_keeper(system: Any, *, soft_limit: int | None = None, risk_limit: int = 50 * ONE) -> Keeper:
    config = KeeperConfig(
        pricing={0: PRICING}, risk_limits={0: risk_limit}, soft_limits={0: soft_limit}, hedge_to=ONE, fee_bps=2
    )
    return Keeper(ChainVenue(system), config)


def submit(keeper: Keeper, maker: Any, account: Any, **fields: Any) -> Any:
    order = maker.order(account, **fields)
    now = maker.system.chain.timestamp() + 1
    keeper.intake(order, maker.sign(account, order), step=0, now=now)
    return order


def race(monkeypatch: pytest.MonkeyPatch, keeper: Keeper, action: Callable[[], None]) -> None:
    """Runs ``action`` on-chain once, right after the keeper's read of a batch, before its settle."""
    read = keeper.venue.snapshot
    pending = [action]

    def read_then_act(orders):
        snapshot = read(orders)
        if orders and pending:  # the batch's read, not a read of the markets alone
            pending.pop()()
        return snapshot

    monkeypatch.setattr(keeper.venue, "snapshot", read_then_act)


def test_opposing_orders_net_inside_one_settle(defi_system, defi_traders, defi_orders) -> None:
    keeper = make_keeper(defi_system)
    submit(keeper, defi_orders, defi_traders[0], is_buy=True, size=3 * ONE)
    submit(keeper, defi_orders, defi_traders[1], is_buy=False, size=3 * ONE)
    outcome = keeper.step(0)
    assert len(outcome.events) == 2 and outcome.receipt is not None
    assert all(e.internal_size == 3 * ONE and e.amm_size == 0 for e in outcome.events)
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == 0
    assert len(keeper.book) == 0


def test_flow_beyond_the_risk_limit_goes_to_the_amm(defi_system, defi_traders, defi_orders) -> None:
    keeper = make_keeper(defi_system, risk_limit=2 * ONE)
    submit(keeper, defi_orders, defi_traders[0], is_buy=True, size=5 * ONE)
    (event,) = keeper.step(0).events
    assert (event.internal_size, event.amm_size) == (2 * ONE, 3 * ONE)
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == -2 * ONE


def test_a_fill_whose_order_was_cancelled_in_the_race_is_dropped_and_the_rest_resent(
    defi_system, defi_traders, defi_orders, monkeypatch
) -> None:
    keeper = make_keeper(defi_system)
    submit(keeper, defi_orders, defi_traders[0], is_buy=True)
    victim = submit(keeper, defi_orders, defi_traders[1], is_buy=True)
    submit(keeper, defi_orders, defi_traders[2], is_buy=False)
    cancel = defi_system.settlement.functions.cancel(victim.as_tuple())
    race(monkeypatch, keeper, lambda: defi_system.chain.transact(defi_traders[1], cancel, gas=200_000))
    outcome = keeper.step(0)
    assert outcome.resends == 1
    ((order, reason),) = outcome.rejected
    assert order == victim and reason.reason == "cancelled"
    assert [e.trader for e in outcome.events] == [defi_traders[0].address, defi_traders[2].address]


def test_a_margin_revert_without_a_digest_is_isolated_by_simulating_prefixes(
    defi_system, defi_traders, defi_orders, monkeypatch
) -> None:
    keeper = make_keeper(defi_system)
    poor = defi_traders[3]
    submit(keeper, defi_orders, defi_traders[0], is_buy=True)
    victim = submit(keeper, defi_orders, poor, is_buy=False, size=10 * ONE)
    submit(keeper, defi_orders, defi_traders[2], is_buy=True)
    vault = defi_system.vault
    cash = defi_system.chain.call(vault.functions.cash(poor.address))
    race(
        monkeypatch,
        keeper,
        lambda: defi_system.chain.transact(poor, vault.functions.withdraw(cash - 10**6), gas=200_000),
    )
    outcome = keeper.step(0)
    ((order, reason),) = outcome.rejected
    assert order == victim and reason.reason == "insufficient_margin"
    assert len(outcome.events) == 2


def test_an_order_resting_past_its_expiry_is_dropped_as_expired(defi_system, defi_traders, defi_orders) -> None:
    keeper = make_keeper(defi_system)
    chain = defi_system.chain
    expiry = chain.timestamp() + 5
    submit(keeper, defi_orders, defi_traders[0], is_buy=True, allow_amm=False, limit_price=1, expiry=expiry)
    assert keeper.step(0).expired == []
    chain.set_next_block_timestamp(chain.timestamp() + 10)
    chain.mine()
    outcome = keeper.step(1)
    assert [o.trader for o in outcome.expired] == [defi_traders[0].address]
    assert len(keeper.book) == 0


def test_intake_rejects_a_signature_by_someone_else(defi_system, defi_traders, defi_orders) -> None:
    keeper = make_keeper(defi_system)
    order = defi_orders.order(defi_traders[0])
    forged = defi_orders.sign(defi_traders[1], defi_orders.order(defi_traders[1]))
    with pytest.raises(OrderRejected) as rejection:
        keeper.intake(order, forged, step=0, now=defi_system.chain.timestamp())
    assert rejection.value.reason == "bad_signature"
    assert len(keeper.book) == 0


def test_the_desk_hedges_past_its_soft_limit(defi_system, defi_traders, defi_orders) -> None:
    keeper = make_keeper(defi_system, soft_limit=3 * ONE)
    submit(keeper, defi_orders, defi_traders[0], is_buy=False, size=5 * ONE)
    outcome = keeper.step(0)
    ((hedge),) = outcome.hedges
    assert (hedge.is_buy, hedge.size) == (False, 4 * ONE)  # long 5, back to hedge_to = 1
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == ONE


def test_orders_rest_while_the_oracle_is_stale_and_fill_once_it_posts(defi_system, defi_traders, defi_orders) -> None:
    keeper = make_keeper(defi_system)
    chain = defi_system.chain
    submit(keeper, defi_orders, defi_traders[0], is_buy=True, expiry=chain.timestamp() + 10_000)
    chain.set_next_block_timestamp(chain.timestamp() + 3_700)  # past the oracle's max age
    chain.mine()
    outcome = keeper.step(0)
    assert (outcome.rejected, outcome.events, len(keeper.book)) == ([], [], 1)
    defi_system.set_price(0, 2_000 * ONE)
    assert len(keeper.step(1).events) == 1
