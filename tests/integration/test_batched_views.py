"""The views read in batches give what one view at a time gives, in a fixed number of ``eth_call``s.

``one_by_one`` below is how ``batch_view`` read the chain before it batched its reads: every view a
``chain.call`` of its own. The batched snapshots must equal it field for field, for orders in every
nonce state, for markets listed after deployment and for a new fee recipient, and cost one
``eth_call`` (two when an order is partly filled) however many orders and traders there are.
"""

from __future__ import annotations

import pytest

from defi_int.chain.views import (
    AccountState,
    batch_view,
    check_invariants,
    domain,
    fresh_prices,
    market_state,
    read_accounts,
    read_ledger,
    read_pools,
)
from defi_int.market.amm import Pool
from defi_int.market.funding import Funding
from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND, Ledger
from defi_int.orders.eip712 import order_digest
from defi_int.orders.validation import CANCELLED, FILLED, OPEN, PARTIAL, BatchView
from defi_int.types import ONE

MARKET = 0
NEW_MARKET = 7


def one_by_one(system, orders, now):
    """``batch_view`` as it was: one ``chain.call`` per view."""
    call, vault = system.chain.call, system.vault
    markets = list(call(vault.functions.markets()))
    penalty, share, slippage = call(vault.functions.liquidationParams())
    buffer, full, least = call(vault.functions.closeFactor())
    ledger = Ledger(
        price_scale=call(vault.functions.priceScale()),
        initial_margin_bps=call(vault.functions.initialMarginBps()),
        maintenance_margin_bps=call(vault.functions.maintenanceMarginBps()),
        desk=system.desk,
        fee_recipient=call(vault.functions.feeRecipient()),
        amm=str(system.amm.address),
        markets=markets,
        caps={m: call(vault.functions.inventoryCap(m)) for m in markets},
        funding={
            m: Funding(
                *call(vault.functions.fundingParams(m)),
                *call(vault.functions.fundingState(m)),
                call(vault.functions.fundingImpact(m)),
            )
            for m in markets
        },
        penalty_bps=penalty,
        liquidator_share_bps=share,
        max_slippage_bps=slippage,
        liquidation_buffer_bps=buffer,
        full_liquidation_bps=full,
        min_liquidation_notional=least,
        bad_debt=call(vault.functions.badDebt()),
    )
    house = {system.desk, str(system.amm.address), ledger.fee_recipient, INSURANCE_FUND, FUNDING_POOL}
    for account in house | {o.trader for o in orders}:
        ledger.cash[account] = call(vault.functions.cash(account))
        for m in markets:
            if pos := call(vault.functions.position(account, m)):
                ledger.positions[(account, m)] = pos
            if mark := call(vault.functions.fundingMarkOf(account, m)):
                ledger.marks[(account, m)] = mark
    max_age = call(system.oracle.functions.maxAge())
    prices = {}
    for m in markets:
        price, updated_at = call(system.oracle.functions.latest(m))
        if updated_at and now <= updated_at + max_age:
            prices[m] = price
    pools = {}
    for m in markets:
        base, quote, fee = call(system.amm.functions.pool(m))
        if base:
            pools[m] = Pool(base, quote, fee)
    view = BatchView(
        domain=domain(system),
        now=now,
        price_scale=ledger.price_scale,
        max_deviation_bps=call(system.settlement.functions.maxDeviationBps()),
        ledger=ledger,
        prices=prices,
        pools=pools,
        desk=system.desk,
        amm=str(system.amm.address),
        paused=call(vault.functions.paused()),
    )
    for order in orders:
        state = call(system.settlement.functions.nonceState(order.trader, order.nonce))
        view.nonce_states[(order.trader.lower(), order.nonce)] = state
        if state == PARTIAL:
            digest = order_digest(order, view.domain)
            view.filled[digest] = call(system.settlement.functions.filled(digest))
    return view


@pytest.fixture
def orders_in_every_state(defi_system, defi_traders, defi_orders):
    """Orders by nonce state: two OPEN (one never seen, one sharing a trader), PARTIAL, FILLED, CANCELLED."""
    t = defi_traders
    filled = defi_orders.fill(t[0], size=2 * ONE)
    partial = defi_orders.fill(t[1], is_buy=False, size=4 * ONE, internal_size=ONE)
    sold = defi_orders.fill(t[2], is_buy=False, size=3 * ONE, internal_size=0, amm_size=3 * ONE)
    defi_orders.settle([filled, partial])
    defi_orders.settle([sold])
    cancelled = defi_orders.order(t[3])
    defi_system.chain.transact(t[3], defi_system.settlement.functions.cancel(cancelled.as_tuple()), gas=200_000)
    orders = {
        OPEN: [defi_orders.order(t[4]), defi_orders.order(t[0], is_buy=False)],
        PARTIAL: [partial.order],
        FILLED: [filled.order, sold.order],
        CANCELLED: [cancelled],
    }
    return orders


def test_batch_view_equals_the_views_read_one_by_one_in_every_nonce_state(defi_system, orders_in_every_state):
    orders = [o for group in orders_in_every_state.values() for o in group]
    now = defi_system.chain.timestamp() + 1

    view = batch_view(defi_system, orders)

    assert view == one_by_one(defi_system, orders, now)
    assert {view.nonce_state(o.trader, o.nonce) for o in orders} == {OPEN, PARTIAL, FILLED, CANCELLED}
    for state, group in orders_in_every_state.items():
        assert all(view.nonce_state(o.trader, o.nonce) == state for o in group), state
    (partial,) = orders_in_every_state[PARTIAL]
    assert view.filled == {order_digest(partial, view.domain): ONE}
    assert view.ledger.positions, "the trades should have left positions to compare"


def test_batch_view_leaves_out_prices_stale_at_the_given_time(defi_system, orders_in_every_state):
    orders = orders_in_every_state[OPEN]
    late = defi_system.chain.timestamp() + defi_system.params.oracle_max_age + 10

    view = batch_view(defi_system, orders, now=late)

    assert view.prices == {}
    assert view == one_by_one(defi_system, orders, late)


def test_batch_view_costs_one_eth_call_for_hundreds_of_orders_and_two_with_a_partial_fill(
    defi_system, defi_traders, defi_orders, orders_in_every_state, eth_calls
):
    many = [defi_orders.order(defi_traders[i % 5], nonce=10_000 + i) for i in range(300)]
    eth_calls.clear()
    view = batch_view(defi_system, many)
    assert len(eth_calls) == 1
    assert len(view.nonce_states) == 300

    eth_calls.clear()
    batch_view(defi_system, [*many, *orders_in_every_state[PARTIAL]])
    assert len(eth_calls) == 2


def test_a_market_listed_after_deployment_is_read_everywhere(defi_system, defi_traders, defi_orders, eth_calls):
    s, owner = defi_system, defi_system.owner
    s.set_price(NEW_MARKET, 50 * ONE)
    s.chain.transact(owner, s.vault.functions.listMarket(NEW_MARKET, 10 * ONE), gas=150_000)
    s.chain.transact(owner, s.amm.functions.initializePool(NEW_MARKET, 100 * ONE, 5_000 * 10**6, 30), gas=100_000)
    defi_orders.settle([defi_orders.fill(defi_traders[0], market=NEW_MARKET, size=ONE)])
    orders = [defi_orders.order(defi_traders[1], market=NEW_MARKET)]
    now = s.chain.timestamp() + 1

    view = batch_view(s, orders)
    states = market_state(s)
    accounts = read_accounts(s, [defi_traders[0].address])

    assert view == one_by_one(s, orders, now)
    assert view.ledger.markets == [MARKET, NEW_MARKET]
    assert states[NEW_MARKET].pool == Pool(100 * ONE, 5_000 * 10**6, 30)
    assert states[NEW_MARKET].inventory == -ONE
    assert accounts[defi_traders[0].address].positions == {MARKET: 0, NEW_MARKET: ONE}


def test_a_new_fee_recipient_is_read_with_its_cash(defi_system, defi_traders):
    s, newcomer = defi_system, defi_traders[4].address
    s.chain.transact(s.owner, s.vault.functions.setFeeRecipient(newcomer), gas=100_000)

    ledger = read_ledger(s, [])

    assert ledger.fee_recipient == newcomer
    assert ledger.cash[newcomer] == s.chain.call(s.vault.functions.cash(newcomer)) > 0
    assert ledger == one_by_one(s, [], s.chain.timestamp() + 1).ledger


def test_fresh_prices_and_read_pools_take_one_eth_call_each(defi_system, eth_calls):
    now = defi_system.chain.timestamp() + 1
    eth_calls.clear()

    prices = fresh_prices(defi_system, [MARKET, NEW_MARKET], now)
    pools = read_pools(defi_system, [MARKET, NEW_MARKET])

    assert len(eth_calls) == 2
    assert prices == {MARKET: defi_system.chain.call(defi_system.oracle.functions.price(MARKET))}
    assert pools == {MARKET: Pool(*defi_system.chain.call(defi_system.amm.functions.pool(MARKET)))}


def test_read_accounts_gives_cash_and_positions_in_one_eth_call(
    defi_system, defi_traders, orders_in_every_state, eth_calls
):
    s, call = defi_system, defi_system.chain.call
    accounts = [s.desk, s.fee_recipient, str(s.amm.address), *(t.address for t in defi_traders)]
    eth_calls.clear()

    states = read_accounts(s, accounts)

    assert len(eth_calls) == 1
    assert list(states) == accounts
    for a in accounts:
        cash, positions = states[a]
        assert states[a] == AccountState(
            call(s.vault.functions.cash(a)), {MARKET: call(s.vault.functions.position(a, MARKET))}
        )
        assert (cash, positions) == (states[a].cash, states[a].positions)
    assert states[s.desk].positions[MARKET] == call(s.vault.functions.inventory(MARKET)) != 0


def test_market_state_reads_oracle_pool_and_inventory_in_one_eth_call(defi_system, orders_in_every_state, eth_calls):
    s, call = defi_system, defi_system.chain.call
    now = s.chain.timestamp() + 1
    eth_calls.clear()

    (state,) = market_state(s, now=now).values()

    assert len(eth_calls) == 1
    price, updated_at = call(s.oracle.functions.latest(MARKET))
    assert (state.market, state.oracle_price, state.updated_at) == (MARKET, price, updated_at)
    assert state.max_age == call(s.oracle.functions.maxAge())
    assert state.fresh
    assert state.pool == Pool(*call(s.amm.functions.pool(MARKET)))
    assert state.inventory == call(s.vault.functions.inventory(MARKET)) != 0
    assert state.inventory_cap == call(s.vault.functions.inventoryCap(MARKET))
    assert not market_state(s, now=updated_at + state.max_age + 1)[MARKET].fresh


def test_invariants_hold_over_every_account_and_fail_when_one_is_left_out(
    defi_system, defi_traders, orders_in_every_state, eth_calls
):
    traders = [t.address for t in defi_traders]
    eth_calls.clear()

    checks = check_invariants(defi_system, traders)

    assert len(eth_calls) == 1
    assert checks == {"cash_sum_equals_vault_balance": True, f"positions_sum_to_zero[{MARKET}]": True}
    # the same account spelled twice counts once
    assert all(check_invariants(defi_system, [*traders, traders[0].lower()]).values())
    # trader 0 holds cash and a position: without it neither sum closes
    assert check_invariants(defi_system, traders[1:]) == {
        "cash_sum_equals_vault_balance": False,
        f"positions_sum_to_zero[{MARKET}]": False,
    }
