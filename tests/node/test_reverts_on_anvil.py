"""Reverts decode the same on anvil as on eth-tester: typed ``ContractRevert`` by custom error name.

On anvil a transaction with explicit gas is not simulated before it is mined, so a failing
``settle`` lands in a block with status 0 and ``Chain`` recovers its reason by replaying it; reads
revert straight from ``eth_call``. A node that goes away mid-session is ``NodeUnavailable``.
"""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address

from defi_int.chain import Chain
from defi_int.chain.anvil import Anvil
from defi_int.exceptions import ContractRevert, NodeUnavailable, TransactionFailed
from defi_int.types import ONE

pytestmark = pytest.mark.node


def _mined_with_status_0(chain: Chain, exc: TransactionFailed) -> bool:
    assert exc.tx_hash is not None, f"no transaction hash on {exc!r}: it was not mined"
    return chain.w3.eth.get_transaction_receipt(exc.tx_hash)["status"] == 0


def _same_address(a: str, b: str) -> bool:
    return to_checksum_address(a) == to_checksum_address(b)


def test_settle_of_an_empty_batch_reverts_with_empty_batch(anvil_chain, anvil_orders):
    with pytest.raises(ContractRevert) as caught:
        anvil_orders.settle([])

    assert caught.value.error_name == "EmptyBatch"
    assert caught.value.contract == "Settlement"
    assert caught.value.error_args == ()
    assert _mined_with_status_0(anvil_chain, caught.value)


def test_reading_a_price_older_than_max_age_reverts_with_stale_price_and_its_arguments(anvil_chain, anvil_system):
    oracle = anvil_system.oracle
    _, updated_at = anvil_chain.call(oracle.functions.latest(0))
    max_age = anvil_chain.call(oracle.functions.maxAge())

    anvil_chain.set_next_block_timestamp(updated_at + max_age)
    anvil_chain.mine()
    assert anvil_chain.call(oracle.functions.price(0)) == anvil_system.params.markets[0].price

    anvil_chain.set_next_block_timestamp(updated_at + max_age + 1)
    anvil_chain.mine()
    with pytest.raises(ContractRevert) as caught:
        anvil_chain.call(oracle.functions.price(0))

    assert caught.value.error_name == "StalePrice"
    assert caught.value.contract == "PriceOracle"
    assert caught.value.args_by_name == {
        "market": 0,
        "updatedAt": updated_at,
        "now_": updated_at + max_age + 1,
        "maxAge": max_age,
    }


def test_a_settlement_mined_with_status_0_is_decoded_by_name_with_its_arguments(
    anvil_chain, anvil_traders, anvil_orders
):
    trader, impostor = anvil_traders[0], anvil_traders[1]
    order = anvil_orders.order(trader)
    forged = anvil_orders.fill(trader, order, signature=anvil_orders.sign(impostor, anvil_orders.order(impostor)))

    with pytest.raises(ContractRevert) as caught:
        anvil_orders.settle([forged])

    assert caught.value.error_name == "InvalidSigner"
    assert caught.value.args_by_name["digest"] == anvil_orders.digest(order)
    assert _same_address(caught.value.args_by_name["trader"], trader.address)
    assert not _same_address(caught.value.args_by_name["signer"], trader.address)
    assert _mined_with_status_0(anvil_chain, caught.value)


def test_a_cancel_by_someone_else_is_mined_with_status_0_and_decoded_as_not_order_trader(
    anvil_chain, anvil_system, anvil_traders, anvil_orders
):
    trader, stranger = anvil_traders[0], anvil_traders[1]
    order = anvil_orders.order(trader)

    with pytest.raises(ContractRevert) as caught:
        anvil_chain.transact(stranger, anvil_system.settlement.functions.cancel(order.as_tuple()), gas=200_000)

    assert caught.value.error_name == "NotOrderTrader"
    assert _same_address(caught.value.args_by_name["caller"], stranger.address)
    assert _same_address(caught.value.args_by_name["trader"], trader.address)
    assert _mined_with_status_0(anvil_chain, caught.value)


def test_the_keeper_settles_again_after_one_of_its_transactions_failed_on_chain(
    anvil_chain, anvil_system, anvil_traders, anvil_orders
):
    buyer = anvil_traders[0]
    with pytest.raises(ContractRevert):
        anvil_orders.settle([])

    anvil_orders.settle([anvil_orders.fill(buyer, size=3 * ONE)])

    assert anvil_chain.call(anvil_system.vault.functions.position(buyer.address, 0)) == 3 * ONE


def test_an_order_that_expired_before_its_block_is_decoded_as_order_expired(anvil_chain, anvil_traders, anvil_orders):
    now = anvil_chain.timestamp()
    fill = anvil_orders.fill(anvil_traders[0], expiry=now + 10)
    anvil_chain.set_next_block_timestamp(now + 100)

    with pytest.raises(ContractRevert) as caught:
        anvil_orders.settle([fill])

    assert caught.value.error_name == "OrderExpired"
    assert caught.value.args_by_name["expiry"] == now + 10
    assert caught.value.args_by_name["now_"] == now + 100


def test_a_transaction_the_node_refuses_raises_transaction_failed(
    anvil_chain, anvil_system, anvil_traders, anvil_orders
):
    settle = anvil_system.settlement.functions.settle([anvil_orders.fill(anvil_traders[0]).as_tuple()])

    with pytest.raises(TransactionFailed):
        anvil_chain.transact(anvil_system.keeper, settle, gas=anvil_chain.w3.eth.get_block("latest")["gasLimit"] + 1)


def test_a_node_stopped_mid_session_raises_node_unavailable_naming_its_url():
    node = Anvil().start()
    try:
        chain = Chain.connect(node.url)
        owner = chain.account("node-test:owner")
        token = chain.deploy(owner, "CollateralToken", "Gone", "GONE", 6, owner.address)
        assert chain.call(token.functions.decimals()) == 6
    finally:
        node.stop()

    attempts = {
        "call": lambda: chain.call(token.functions.decimals()),
        "block number": chain.block_number,
        "transact": lambda: chain.transact(owner, token.functions.mint(owner.address, 1), gas=100_000),
        "snapshot": chain.snapshot,
    }
    for what, attempt in attempts.items():
        with pytest.raises(NodeUnavailable) as caught:
            attempt()
        assert caught.value.url == node.url, what
        assert node.url in str(caught.value), what
