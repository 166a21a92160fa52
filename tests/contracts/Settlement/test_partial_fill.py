"""Orders filled in parts: the running total lives in `filled(digest)`, what is left in
`remaining(order)`, and the nonce moves OPEN (0) -> PARTIAL (1) -> FILLED (2)."""

from defi_int.types import ONE

PRICE = 2_000 * ONE


def _state(defi_system, order, digest):
    call, settlement = defi_system.chain.call, defi_system.settlement
    return (
        call(settlement.functions.nonceState(order.trader, order.nonce)),
        call(settlement.functions.filled(digest)),
        call(settlement.functions.remaining(order.as_tuple())),
    )


def test_partial_fills_accumulate_in_filled_and_remaining_until_the_order_is_complete(
    defi_system, defi_traders, defi_orders
):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=4 * ONE)
    digest = defi_orders.digest(order)
    assert _state(defi_system, order, digest) == (0, 0, 4 * ONE)

    defi_orders.settle([defi_orders.fill(trader, order, internal_size=ONE)])
    assert _state(defi_system, order, digest) == (1, ONE, 3 * ONE)

    defi_orders.settle([defi_orders.fill(trader, order, internal_size=5 * ONE // 2)])
    assert _state(defi_system, order, digest) == (1, 7 * ONE // 2, ONE // 2)

    defi_orders.settle([defi_orders.fill(trader, order, internal_size=ONE // 2)])
    assert _state(defi_system, order, digest) == (2, 4 * ONE, 0)
    assert defi_system.chain.call(defi_system.vault.functions.position(trader.address, 0)) == 4 * ONE


def test_a_partial_fill_books_only_the_filled_size_rounded_against_the_seller(
    defi_system, defi_traders, defi_orders, read_book
):
    seller = defi_traders[2]
    third = ONE // 3  # 0.333333333333333333 base: 666.666666666 USD
    order = defi_orders.order(seller, is_buy=False, size=ONE)
    before = read_book(trader=seller.address)

    defi_orders.settle([defi_orders.fill(seller, order, internal_size=third, internal_price=PRICE)])

    delta = read_book(trader=seller.address) - before
    assert delta.cash == {"trader": 666_666_666, "desk": -666_666_666, "amm": 0, "fees": 0}
    assert delta.position == {"trader": -third, "desk": third, "amm": 0, "fees": 0}
    assert delta.vault_tokens == 0
    assert _state(defi_system, order, defi_orders.digest(order)) == (1, third, ONE - third)


def test_two_partial_fills_of_one_order_in_one_batch_add_up(defi_system, defi_traders, defi_orders):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=4 * ONE)

    defi_orders.settle(
        [
            defi_orders.fill(trader, order, internal_size=ONE),
            defi_orders.fill(trader, order, internal_size=2 * ONE),
        ]
    )

    assert _state(defi_system, order, defi_orders.digest(order)) == (1, 3 * ONE, ONE)


def test_a_partial_fill_completed_in_the_same_batch_fills_the_order(defi_system, defi_traders, defi_orders):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=4 * ONE)

    defi_orders.settle(
        [
            defi_orders.fill(trader, order, internal_size=ONE),
            defi_orders.fill(trader, order, internal_size=3 * ONE),
        ]
    )

    assert _state(defi_system, order, defi_orders.digest(order)) == (2, 4 * ONE, 0)


def test_partial_fills_of_two_orders_sharing_a_nonce_are_tracked_per_digest(defi_system, defi_traders, defi_orders):
    trader = defi_traders[0]
    first = defi_orders.order(trader, size=4 * ONE, nonce=77)
    second = defi_orders.order(trader, size=2 * ONE, nonce=77)

    defi_orders.settle([defi_orders.fill(trader, first, internal_size=ONE)])
    defi_orders.settle([defi_orders.fill(trader, second, internal_size=ONE // 2)])

    assert _state(defi_system, first, defi_orders.digest(first)) == (1, ONE, 3 * ONE)
    assert _state(defi_system, second, defi_orders.digest(second)) == (1, ONE // 2, 3 * ONE // 2)
