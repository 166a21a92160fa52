"""A whole order filled from the desk's inventory: the ledger moves by the notional, rounded
against the trader, and no token leaves or enters the vault."""

from defi_int.types import ONE

PRICE = 2_000 * ONE
SIZE = ONE + 1  # 2000.000000002 USD of notional: the sub-unit part shows the rounding


def test_settle_books_a_whole_buy_against_the_desk_with_the_notional_rounded_up(
    defi_system, defi_traders, defi_orders, read_book
):
    buyer = defi_traders[0]
    fill = defi_orders.fill(buyer, size=SIZE, internal_price=PRICE)
    before = read_book(trader=buyer.address)

    defi_orders.settle([fill])

    delta = read_book(trader=buyer.address) - before
    assert delta.cash == {"trader": -2_000_000_001, "desk": 2_000_000_001, "amm": 0, "fees": 0}
    assert delta.position == {"trader": SIZE, "desk": -SIZE, "amm": 0, "fees": 0}
    assert delta.vault_tokens == 0
    assert delta.reserves == (0, 0)


def test_settle_books_a_whole_sell_against_the_desk_with_the_notional_rounded_down(
    defi_system, defi_traders, defi_orders, read_book
):
    seller = defi_traders[1]
    fill = defi_orders.fill(seller, is_buy=False, size=SIZE, internal_price=PRICE)
    before = read_book(trader=seller.address)

    defi_orders.settle([fill])

    delta = read_book(trader=seller.address) - before
    assert delta.cash == {"trader": 2_000_000_000, "desk": -2_000_000_000, "amm": 0, "fees": 0}
    assert delta.position == {"trader": -SIZE, "desk": SIZE, "amm": 0, "fees": 0}
    assert delta.vault_tokens == 0
    assert delta.reserves == (0, 0)


def test_settle_fills_a_buyer_and_a_seller_in_one_batch_and_the_desk_keeps_the_rounding(
    defi_system, defi_traders, defi_orders, read_book
):
    buyer, seller = defi_traders[0], defi_traders[1]
    fills = [
        defi_orders.fill(buyer, size=SIZE, internal_price=PRICE),
        defi_orders.fill(seller, is_buy=False, size=SIZE, internal_price=PRICE),
    ]
    before = read_book(buyer=buyer.address, seller=seller.address)

    defi_orders.settle(fills)

    delta = read_book(buyer=buyer.address, seller=seller.address) - before
    assert delta.cash == {"buyer": -2_000_000_001, "seller": 2_000_000_000, "desk": 1, "amm": 0, "fees": 0}
    assert delta.position == {"buyer": SIZE, "seller": -SIZE, "desk": 0, "amm": 0, "fees": 0}
    assert delta.vault_tokens == 0


def test_a_whole_fill_marks_the_nonce_filled_without_writing_a_running_total(defi_system, defi_traders, defi_orders):
    chain, settlement = defi_system.chain, defi_system.settlement
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=3 * ONE)
    digest = defi_orders.digest(order)
    assert chain.call(settlement.functions.remaining(order.as_tuple())) == 3 * ONE
    assert chain.call(settlement.functions.nonceState(trader.address, order.nonce)) == 0

    defi_orders.settle([defi_orders.fill(trader, order)])

    assert chain.call(settlement.functions.nonceState(trader.address, order.nonce)) == 2
    assert chain.call(settlement.functions.remaining(order.as_tuple())) == 0
    assert chain.call(settlement.functions.filled(digest)) == 0
