"""Fees: each leg pays feeBps of its notional to the fee recipient, rounded up, and never more
than the order's maxFeeBps."""

from defi_int.types import ONE

PRICE = 2_000 * ONE


def test_settle_charges_the_fee_rounded_up_on_top_of_the_buyers_notional(
    defi_system, defi_traders, defi_orders, read_book
):
    buyer = defi_traders[0]
    # notional 2000.000000002 USD -> 2_000_000_001 units; 30 bps of it is 6_000_000.003 -> 6_000_001.
    fill = defi_orders.fill(buyer, size=ONE + 1, internal_price=PRICE, max_fee_bps=30, fee_bps=30)
    before = read_book(trader=buyer.address)

    defi_orders.settle([fill])

    delta = read_book(trader=buyer.address) - before
    assert delta.cash == {"trader": -2_006_000_002, "desk": 2_000_000_001, "amm": 0, "fees": 6_000_001}


def test_settle_takes_the_fee_out_of_the_sellers_proceeds(defi_system, defi_traders, defi_orders, read_book):
    seller = defi_traders[1]
    # notional rounds down to 666_666_666 units; 7 bps of it is 466_666.6662 -> 466_667.
    fill = defi_orders.fill(seller, is_buy=False, size=ONE // 3, internal_price=PRICE, max_fee_bps=7, fee_bps=7)
    before = read_book(trader=seller.address)

    defi_orders.settle([fill])

    delta = read_book(trader=seller.address) - before
    assert delta.cash == {"trader": 666_666_666 - 466_667, "desk": -666_666_666, "amm": 0, "fees": 466_667}


def test_settle_rejects_a_fee_one_bps_above_the_orders_max(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0], max_fee_bps=30, fee_bps=31)

    expect_rejection(fill, "FeeAboveMax", digest=defi_orders.digest(fill.order), feeBps=31, maxFeeBps=30)


def test_settle_rejects_any_fee_on_an_order_that_accepts_none(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0], max_fee_bps=0, fee_bps=1, internal_size=0, amm_size=ONE)

    expect_rejection(fill, "FeeAboveMax", feeBps=1, maxFeeBps=0)
