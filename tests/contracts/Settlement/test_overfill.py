"""Over-fill: the two legs of every fill of an order add up to at most its size, within one batch
and across batches (Overfill names the amount asked and what was left)."""

from defi_int.types import ONE

SIXTY = 6 * ONE // 10
FORTY = 4 * ONE // 10


def test_settle_rejects_a_fill_larger_than_the_order(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=ONE)
    fill = defi_orders.fill(trader, order, internal_size=ONE + 1)

    expect_rejection(fill, "Overfill", digest=defi_orders.digest(order), amount=ONE + 1, remaining=ONE)


def test_settle_counts_both_legs_against_the_order_size(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=ONE)
    fill = defi_orders.fill(trader, order, internal_size=SIXTY, amm_size=SIXTY)

    expect_rejection(fill, "Overfill", amount=2 * SIXTY, remaining=ONE)


def test_settle_rejects_an_overfill_within_one_batch(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=ONE)
    first = defi_orders.fill(trader, order, internal_size=SIXTY)
    second = defi_orders.fill(trader, order, internal_size=SIXTY)

    expect_rejection([first, second], "Overfill", culprit=second, amount=SIXTY, remaining=FORTY)


def test_settle_rejects_an_overfill_across_batches(defi_system, defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=ONE)
    defi_orders.settle([defi_orders.fill(trader, order, internal_size=SIXTY)])

    expect_rejection(defi_orders.fill(trader, order, internal_size=SIXTY), "Overfill", amount=SIXTY, remaining=FORTY)
    assert defi_system.chain.call(defi_system.settlement.functions.remaining(order.as_tuple())) == FORTY


def test_settle_fills_exactly_what_is_left_after_a_partial_fill(defi_system, defi_traders, defi_orders):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=ONE)
    defi_orders.settle([defi_orders.fill(trader, order, internal_size=SIXTY)])
    defi_orders.settle([defi_orders.fill(trader, order, internal_size=FORTY)])

    assert defi_system.chain.call(defi_system.vault.functions.position(trader.address, 0)) == ONE
    assert defi_system.chain.call(defi_system.settlement.functions.remaining(order.as_tuple())) == 0
