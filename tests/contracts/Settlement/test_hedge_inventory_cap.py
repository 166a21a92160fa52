"""hedge books the desk through the same Vault rule as every other path: the inventory cap, which
it used to skip (issue 8, third hole: inventory 105 with a cap of 100)."""

from defi_int.types import ONE


def _cap(defi_system, cap):
    defi_system.chain.transact(defi_system.owner, defi_system.vault.functions.setInventoryCap(0, cap), gas=80_000)


def test_a_hedge_past_the_cap_reverts_with_inventory_cap_exceeded(defi_system, expect_revert):
    s = defi_system
    _cap(s, 100 * ONE)
    quote = s.chain.call(s.amm.functions.quoteBuy(0, 105 * ONE))

    expect_revert(
        s.keeper,
        s.settlement.functions.hedge(0, True, 105 * ONE, quote),
        "InventoryCapExceeded",
        market=0,
        inventory=105 * ONE,
        cap=100 * ONE,
    )
    assert s.chain.call(s.vault.functions.inventory(0)) == 0


def test_a_hedge_up_to_the_cap_is_booked(defi_system):
    s = defi_system
    _cap(s, 3 * ONE)
    quote = s.chain.call(s.amm.functions.quoteBuy(0, 3 * ONE))
    s.hedge(0, True, 3 * ONE, quote)
    assert s.chain.call(s.vault.functions.inventory(0)) == 3 * ONE


def test_a_desk_beyond_a_lowered_cap_may_still_hedge_towards_zero(defi_system, defi_traders, defi_orders):
    s = defi_system
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=5 * ONE)])  # the desk is short 5
    _cap(s, ONE)
    quote = s.chain.call(s.amm.functions.quoteBuy(0, 2 * ONE))
    s.hedge(0, True, 2 * ONE, quote)
    assert s.chain.call(s.vault.functions.inventory(0)) == -3 * ONE
