"""Expiry: an order is valid while block.timestamp <= expiry, and not one second longer."""

import pytest

from defi_int.exceptions import ContractRevert


def test_settle_accepts_an_order_in_the_block_stamped_with_its_expiry(defi_system, defi_traders, defi_orders):
    chain = defi_system.chain
    trader = defi_traders[0]
    fill = defi_orders.fill(trader, expiry=chain.timestamp() + 600)
    chain.set_next_block_timestamp(fill.order.expiry)

    receipt = defi_orders.settle([fill])

    assert chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] == fill.order.expiry
    assert chain.call(defi_system.settlement.functions.nonceState(trader.address, fill.order.nonce)) == 2


def test_settle_rejects_an_order_one_second_past_its_expiry(defi_system, defi_traders, defi_orders, expect_rejection):
    chain = defi_system.chain
    fill = defi_orders.fill(defi_traders[0], expiry=chain.timestamp() + 600)
    expiry = fill.order.expiry
    chain.set_next_block_timestamp(expiry + 1)

    expect_rejection(
        fill,
        "OrderExpired",
        now=expiry + 1,
        replay_in_mined_block=True,
        digest=defi_orders.digest(fill.order),
        expiry=expiry,
        now_=expiry + 1,
    )


def test_an_order_expiring_at_the_latest_block_is_dead_for_the_next_transaction(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    # batch_view's default `now` is the latest block time + 1, the earliest the next transaction
    # can carry (the embedded chain stamps blocks with the wall clock when it is later).
    latest = defi_system.chain.timestamp()
    fill = defi_orders.fill(defi_traders[0], expiry=latest)

    revert = expect_rejection(fill, "OrderExpired", replay_in_mined_block=True, expiry=latest)
    assert revert.args_by_name["now_"] >= latest + 1


def test_the_chain_layer_decodes_an_expired_settle_as_order_expired(defi_system, defi_traders, defi_orders):
    fill = defi_orders.fill(defi_traders[0], expiry=defi_system.chain.timestamp())
    with pytest.raises(ContractRevert) as caught:
        defi_orders.settle([fill])
    assert caught.value.error_name == "OrderExpired"
