from defi_int.types import ONE


def test_a_buy_is_filled_by_the_desk(defi_system, defi_traders, defi_orders):
    alice, vault, call = defi_traders[0], defi_system.vault, defi_system.chain.call
    fill = defi_orders.fill(alice, size=2 * ONE, fee_bps=5)  # whole order, at the oracle price
    balance = call(defi_system.token.functions.balanceOf(vault.address))
    defi_orders.settle([fill])

    assert call(vault.functions.position(alice.address, 0)) == 2 * ONE
    assert call(vault.functions.inventory(0)) == -2 * ONE  # the desk took the other side
    assert call(defi_system.settlement.functions.remaining(fill.order.as_tuple())) == 0
    # an internal fill moves cash inside the vault, never tokens in or out
    assert call(defi_system.token.functions.balanceOf(vault.address)) == balance
