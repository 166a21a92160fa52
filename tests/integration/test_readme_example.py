from defi_int.types import ONE


def test_a_buy_is_filled_by_the_desk(defi_system, defi_traders, defi_orders):
    alice = defi_traders[0]
    fill = defi_orders.fill(alice, size=2 * ONE, fee_bps=5)  # whole order, at the oracle price
    defi_orders.settle([fill])

    vault, call = defi_system.vault, defi_system.chain.call
    assert call(vault.functions.position(alice.address, 0)) == 2 * ONE
    assert call(vault.functions.inventory(0)) == -2 * ONE  # the desk took the other side
    assert call(defi_system.settlement.functions.remaining(fill.order.as_tuple())) == 0
    total_cash = sum(call(vault.functions.cash(a)) for a in (alice.address, defi_system.desk,
                     defi_system.amm.address, defi_system.fee_recipient, *[t.address for t in defi_traders[1:]]))
    assert total_cash == call(defi_system.token.functions.balanceOf(vault.address))
