"""Replay: a filled order cannot be filled again, and completing an order consumes its nonce, which
closes every other order the trader signed with the same nonce."""

from defi_int.types import ONE


def test_settle_rejects_the_replay_of_a_filled_order(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0])
    defi_orders.settle([fill])

    expect_rejection(fill, "OrderAlreadyFilled", digest=defi_orders.digest(fill.order))


def test_settle_rejects_the_same_whole_fill_twice_in_one_batch(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    first, again = defi_orders.fill(trader, order), defi_orders.fill(trader, order)

    expect_rejection([first, again], "OrderAlreadyFilled", culprit=again, digest=defi_orders.digest(order))


def test_settle_rejects_a_partially_filled_order_once_it_is_complete(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=2 * ONE)
    defi_orders.settle([defi_orders.fill(trader, order, internal_size=ONE)])
    defi_orders.settle([defi_orders.fill(trader, order, internal_size=ONE)])

    expect_rejection(defi_orders.fill(trader, order, internal_size=1), "OrderAlreadyFilled")


def test_completing_an_order_closes_every_order_signed_with_its_nonce(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    trader = defi_traders[0]
    first = defi_orders.order(trader, size=ONE, nonce=42)
    sibling = defi_orders.order(trader, size=2 * ONE, nonce=42)
    defi_orders.settle([defi_orders.fill(trader, first)])

    assert defi_system.chain.call(defi_system.settlement.functions.remaining(sibling.as_tuple())) == 0
    expect_rejection(defi_orders.fill(trader, sibling), "OrderAlreadyFilled", digest=defi_orders.digest(sibling))


def test_a_filled_nonce_of_one_trader_does_not_close_another_traders_nonce(defi_system, defi_traders, defi_orders):
    alice, bob = defi_traders[0], defi_traders[1]
    defi_orders.settle([defi_orders.fill(alice, nonce=7)])
    defi_orders.settle([defi_orders.fill(bob, nonce=7)])

    state = defi_system.settlement.functions.nonceState
    assert defi_system.chain.call(state(alice.address, 7)) == 2
    assert defi_system.chain.call(state(bob.address, 7)) == 2
    assert defi_system.chain.call(state(alice.address, 8)) == 0
