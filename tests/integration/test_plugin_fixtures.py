"""The shipped fixtures give a live market and funded traders, isolated per test."""

from defi_int.types import ONE


def test_fixtures_give_a_live_market_and_funded_traders(defi_system, defi_traders, defi_orders):
    vault, chain = defi_system.vault, defi_system.chain
    assert len(defi_traders) >= 5
    for trader in defi_traders:
        assert chain.call(vault.functions.cash(trader.address)) > 0
    assert chain.call(defi_system.oracle.functions.price(0)) > 0
    assert chain.call(defi_system.amm.functions.reserves(0))[0] > 0
    assert chain.call(defi_system.settlement.functions.isKeeper(defi_system.keeper.address))

    buyer = defi_traders[0]
    defi_orders.settle([defi_orders.fill(buyer, size=2 * ONE)])
    assert chain.call(vault.functions.position(buyer.address, 0)) == 2 * ONE
    assert chain.call(vault.functions.inventory(0)) == -2 * ONE


def test_each_test_starts_from_the_deployed_state(defi_system, defi_traders):
    vault, chain = defi_system.vault, defi_system.chain
    assert chain.call(vault.functions.position(defi_traders[0].address, 0)) == 0
    assert chain.call(vault.functions.inventory(0)) == 0
