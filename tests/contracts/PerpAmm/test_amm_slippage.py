"""The trader's limit is inclusive: exactly the quote passes, one unit worse reverts with SlippageExceeded."""

from defi_int.types import ONE


def test_a_buy_whose_cost_exceeds_the_limit_by_one_reverts_with_slippage_exceeded(
    defi_system, amm, defi_traders, snapshot, reverts
):
    chain, trader = defi_system.chain, defi_traders[0]
    cost = chain.call(amm.functions.quoteBuy(0, 2 * ONE))
    before = snapshot(trader.address)
    with reverts("SlippageExceeded", quote=cost, limitQuote=cost - 1):
        chain.transact(trader, amm.functions.swap(0, True, 2 * ONE, cost - 1), gas=300_000)
    assert snapshot(trader.address) == before


def test_a_buy_at_exactly_the_limit_goes_through(defi_system, amm, defi_traders):
    chain, trader = defi_system.chain, defi_traders[0]
    cost = chain.call(amm.functions.quoteBuy(0, 2 * ONE))
    chain.transact(trader, amm.functions.swap(0, True, 2 * ONE, cost), gas=300_000)
    assert chain.call(defi_system.vault.functions.position(trader.address, 0)) == 2 * ONE


def test_a_sell_whose_proceeds_fall_short_of_the_limit_by_one_reverts_with_slippage_exceeded(
    defi_system, amm, defi_traders, snapshot, reverts
):
    chain, trader = defi_system.chain, defi_traders[0]
    proceeds = chain.call(amm.functions.quoteSell(0, 2 * ONE))
    before = snapshot(trader.address)
    with reverts("SlippageExceeded", quote=proceeds, limitQuote=proceeds + 1):
        chain.transact(trader, amm.functions.swap(0, False, 2 * ONE, proceeds + 1), gas=300_000)
    assert snapshot(trader.address) == before


def test_a_sell_at_exactly_the_limit_goes_through(defi_system, amm, defi_traders):
    chain, trader = defi_system.chain, defi_traders[0]
    proceeds = chain.call(amm.functions.quoteSell(0, 2 * ONE))
    chain.transact(trader, amm.functions.swap(0, False, 2 * ONE, proceeds), gas=300_000)
    assert chain.call(defi_system.vault.functions.position(trader.address, 0)) == -2 * ONE


def test_a_trade_in_front_moves_the_price_past_a_tight_limit(defi_system, amm, defi_traders, reverts):
    chain, victim, front = defi_system.chain, defi_traders[0], defi_traders[1]
    cost = chain.call(amm.functions.quoteBuy(0, ONE))
    chain.transact(front, amm.functions.swap(0, True, 10 * ONE, 2**128), gas=300_000)
    new_cost = chain.call(amm.functions.quoteBuy(0, ONE))
    assert new_cost > cost
    with reverts("SlippageExceeded", quote=new_cost, limitQuote=cost):
        chain.transact(victim, amm.functions.swap(0, True, ONE, cost), gas=300_000)
