"""The Vault's limits inside a batch: the trader's initial margin after the fill, on either leg,
and the desk's inventory cap (which may be exceeded only by trades that shrink the inventory)."""

from defi_int.chain.views import batch_view
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE

UNIT = 10**6  # one collateral token
FUNDED = 1_000_000 * UNIT  # each fixture trader's margin


def _leave_cash(defi_system, trader, amount):
    fn = defi_system.vault.functions.withdraw(FUNDED - amount)
    defi_system.chain.transact(trader, fn, gas=200_000)


def _set_cap(defi_system, cap):
    fn = defi_system.vault.functions.setInventoryCap(0, cap)
    defi_system.chain.transact(defi_system.owner, fn, gas=100_000)


def test_settle_accepts_a_trader_with_exactly_the_initial_margin(defi_system, defi_traders, defi_orders):
    trader = defi_traders[0]
    _leave_cash(defi_system, trader, 200 * UNIT)  # 10 % of 2000 USD
    defi_orders.settle([defi_orders.fill(trader, internal_price=2_000 * ONE)])
    assert defi_system.chain.call(defi_system.vault.functions.cash(trader.address)) == -1_800 * UNIT


def test_settle_rejects_an_internal_leg_the_trader_cannot_margin(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    trader = defi_traders[0]
    _leave_cash(defi_system, trader, 100 * UNIT)
    fill = defi_orders.fill(trader, internal_price=2_000 * ONE)

    expect_rejection(fill, "InsufficientMargin", account=trader.address, equity=100 * UNIT, required=200 * UNIT)


def test_settle_rejects_an_amm_leg_the_trader_cannot_margin(defi_system, defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    _leave_cash(defi_system, trader, 100 * UNIT)
    fill = defi_orders.fill(trader, internal_size=0, amm_size=ONE)
    # Buying 1 base for 2008.026081 USD marked at 2000 leaves 100 - 8.026081 USD of equity.

    expect_rejection(fill, "InsufficientMargin", account=trader.address, equity=91_973_919, required=200 * UNIT)


def test_settle_fills_the_desk_up_to_its_inventory_cap(defi_system, defi_traders, defi_orders):
    _set_cap(defi_system, 2 * ONE)
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=2 * ONE)])
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == -2 * ONE


def test_settle_rejects_a_fill_that_takes_the_desk_past_its_cap(
    defi_traders, defi_orders, defi_system, expect_rejection
):
    _set_cap(defi_system, 2 * ONE)
    fill = defi_orders.fill(defi_traders[0], size=2 * ONE + 1)

    expect_rejection(fill, "InventoryCapExceeded", market=0, inventory=-(2 * ONE + 1), cap=2 * ONE)


def test_the_cap_counts_earlier_fills_of_the_same_batch(defi_traders, defi_orders, defi_system, expect_rejection):
    _set_cap(defi_system, 2 * ONE)
    first = defi_orders.fill(defi_traders[0], size=ONE)
    second = defi_orders.fill(defi_traders[1], size=ONE + 1)

    expect_rejection([first, second], "InventoryCapExceeded", culprit=second, inventory=-(2 * ONE + 1))


def test_a_desk_beyond_a_lowered_cap_may_only_shrink(defi_system, defi_traders, defi_orders, expect_rejection):
    buyer, seller = defi_traders[0], defi_traders[1]
    defi_orders.settle([defi_orders.fill(buyer, size=5 * ONE)])
    _set_cap(defi_system, ONE)

    defi_orders.settle([defi_orders.fill(seller, is_buy=False)])
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == -4 * ONE
    expect_rejection(defi_orders.fill(buyer), "InventoryCapExceeded", inventory=-5 * ONE, cap=ONE)


def test_an_amm_leg_does_not_count_against_the_desk_cap(defi_system, defi_traders, defi_orders):
    _set_cap(defi_system, 0)
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=3 * ONE, internal_size=0, amm_size=3 * ONE)])
    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == 0
    assert defi_system.chain.call(defi_system.vault.functions.position(defi_traders[0].address, 0)) == 3 * ONE


def test_off_chain_validation_holds_the_desk_to_the_same_limits_as_the_chain(defi_system, defi_traders, defi_orders):
    # 5 x 2400 base short for the desk = 24M USD of notional: its 10 % initial margin (2.4M) is more
    # than its 2M of capital, which the chain does not check.
    _set_cap(defi_system, 100_000 * ONE)
    fills = [defi_orders.fill(trader, size=2_400 * ONE, internal_price=2_000 * ONE) for trader in defi_traders]
    outcome = validate_batch(fills, batch_view(defi_system, [f.order for f in fills]))

    defi_orders.settle(fills)

    assert defi_system.chain.call(defi_system.vault.functions.inventory(0)) == -12_000 * ONE
    assert [reason.reason for _, reason in outcome.rejected] == []
