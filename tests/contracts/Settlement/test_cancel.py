"""Cancel: only the order's trader can cancel, it consumes the nonce (state 3), and a cancelled
order can no longer be settled."""

from web3.logs import DISCARD

from defi_int.chain.views import batch_view
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE

CANCELLED = 3


def _cancel(defi_system, trader, order):
    fn = defi_system.settlement.functions.cancel(order.as_tuple())
    return defi_system.chain.transact(trader, fn, gas=200_000)


def test_cancel_consumes_the_nonce_and_emits_order_cancelled(defi_system, defi_traders, defi_orders):
    chain, settlement = defi_system.chain, defi_system.settlement
    trader = defi_traders[0]
    order = defi_orders.order(trader, nonce=300)

    receipt = _cancel(defi_system, trader, order)

    (event,) = settlement.events.OrderCancelled().process_receipt(receipt, errors=DISCARD)
    assert event.args.digest == defi_orders.digest(order)
    assert event.args.trader == trader.address
    assert event.args.nonce == 300
    assert chain.call(settlement.functions.nonceState(trader.address, 300)) == CANCELLED
    assert chain.call(settlement.functions.remaining(order.as_tuple())) == 0


def test_settle_rejects_a_cancelled_order(defi_system, defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    fill = defi_orders.fill(trader)
    _cancel(defi_system, trader, fill.order)

    expect_rejection(fill, "OrderIsCancelled", digest=defi_orders.digest(fill.order))


def test_cancelling_one_order_closes_every_order_signed_with_its_nonce(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    trader = defi_traders[0]
    cancelled = defi_orders.order(trader, nonce=9)
    sibling = defi_orders.order(trader, nonce=9, size=2 * ONE)
    _cancel(defi_system, trader, cancelled)

    expect_rejection(defi_orders.fill(trader, sibling), "OrderIsCancelled", digest=defi_orders.digest(sibling))


def test_cancelling_a_partially_filled_order_stops_the_rest(defi_system, defi_traders, defi_orders, expect_rejection):
    chain, settlement = defi_system.chain, defi_system.settlement
    trader = defi_traders[0]
    order = defi_orders.order(trader, size=2 * ONE)
    defi_orders.settle([defi_orders.fill(trader, order, internal_size=ONE)])

    _cancel(defi_system, trader, order)

    assert chain.call(settlement.functions.remaining(order.as_tuple())) == 0
    assert chain.call(settlement.functions.filled(defi_orders.digest(order))) == ONE
    expect_rejection(defi_orders.fill(trader, order, internal_size=ONE), "OrderIsCancelled")


def test_cancel_by_someone_other_than_the_trader_is_rejected(defi_system, defi_traders, defi_orders, expect_revert):
    chain, settlement = defi_system.chain, defi_system.settlement
    trader, intruder = defi_traders[0], defi_traders[1]
    fill = defi_orders.fill(trader)

    expect_revert(
        intruder,
        settlement.functions.cancel(fill.order.as_tuple()),
        "NotOrderTrader",
        caller=intruder.address,
        trader=trader.address,
    )

    # Nothing was cancelled: the order still validates off-chain and settles.
    assert chain.call(settlement.functions.nonceState(trader.address, fill.order.nonce)) == 0
    assert validate_batch([fill], batch_view(defi_system, [fill.order])).accepted == [fill]
    defi_orders.settle([fill])
    assert chain.call(settlement.functions.nonceState(trader.address, fill.order.nonce)) == 2


def test_cancel_rejects_an_order_that_is_already_filled(defi_system, defi_traders, defi_orders, expect_revert):
    trader = defi_traders[0]
    fill = defi_orders.fill(trader)
    defi_orders.settle([fill])

    fn = defi_system.settlement.functions.cancel(fill.order.as_tuple())
    expect_revert(trader, fn, "OrderAlreadyFilled", digest=defi_orders.digest(fill.order))


def test_cancel_rejects_an_order_cancelled_twice(defi_system, defi_traders, defi_orders, expect_revert):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    _cancel(defi_system, trader, order)

    fn = defi_system.settlement.functions.cancel(order.as_tuple())
    expect_revert(trader, fn, "OrderIsCancelled", digest=defi_orders.digest(order))
