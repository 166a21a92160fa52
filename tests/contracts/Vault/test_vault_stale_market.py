"""A stale oracle blocks only what is at risk in its market (issue 8, second hole): margin prices
only books that hold a position. Market 0 is the home book of every deposit, so its staleness used
to stop every withdrawal and every fill in other markets, which the off-chain validator accepted."""

from defi_int.chain.views import batch_view
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE


def _stale_home(defi_system, later):
    _, updated_at = defi_system.chain.call(defi_system.oracle.functions.latest(0))
    return later(updated_at + defi_system.params.oracle_max_age + 1 - defi_system.chain.timestamp())


def test_a_trader_holding_only_cash_withdraws_while_the_home_market_is_stale(
    defi_system, defi_traders, market_b, later
):
    s, trader = defi_system, defi_traders[0]
    s.set_price(market_b, 50 * ONE)  # keep market B fresh
    _stale_home(s, later)
    before = s.chain.call(s.vault.functions.cash(trader.address))

    s.chain.transact(trader, s.vault.functions.withdraw(1_000), gas=300_000)

    assert s.chain.call(s.vault.functions.cash(trader.address)) == before - 1_000


def test_fills_in_a_fresh_market_settle_while_the_home_market_is_stale(
    defi_system, defi_traders, defi_orders, market_b, later
):
    s = defi_system
    _stale_home(s, later)
    s.set_price(market_b, 50 * ONE)  # mined when market 0 turned stale
    fills = [
        defi_orders.fill(defi_traders[0], market=market_b, internal_price=50 * ONE),
        defi_orders.fill(defi_traders[1], market=market_b, size=ONE, internal_size=0, amm_size=ONE),
    ]
    check = validate_batch(fills, batch_view(s, [f.order for f in fills], now=s.chain.timestamp() + 1))
    assert check.rejected == [] and check.accepted == fills

    defi_orders.settle(fills)

    assert s.chain.call(s.vault.functions.position(defi_traders[0].address, market_b)) == ONE
    assert s.chain.call(s.vault.functions.position(defi_traders[1].address, market_b)) == ONE


def test_a_position_in_the_stale_market_still_blocks_its_holders_withdrawal(
    defi_system, defi_traders, defi_orders, later, reverts
):
    s, trader = defi_system, defi_traders[0]
    defi_orders.settle([defi_orders.fill(trader)])
    _, updated_at = s.chain.call(s.oracle.functions.latest(0))
    when = later(updated_at + s.params.oracle_max_age + 1 - s.chain.timestamp())

    with reverts("StalePrice", market=0, updatedAt=updated_at, now_=when, maxAge=s.params.oracle_max_age):
        s.chain.transact(trader, s.vault.functions.withdraw(1_000), gas=300_000)


def test_a_fill_in_the_stale_market_itself_is_refused_on_and_off_chain(
    defi_system, defi_traders, defi_orders, later, expect_rejection
):
    s = defi_system
    _, updated_at = s.chain.call(s.oracle.functions.latest(0))
    when = later(updated_at + s.params.oracle_max_age + 1 - s.chain.timestamp())
    fill = defi_orders.fill(defi_traders[0])

    expect_rejection(fill, "StalePrice", now=when, replay_in_mined_block=True, market=0)
