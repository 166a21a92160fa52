"""The plain JSON-RPC client gives a keeper what it needs from a node, in plain values.

Nonces (pending included), raw sends with receipts polled every millisecond, blocks by number and
by hash, logs by address and topic, reverted calls with their data, and a node that stops
answering named in ``NodeUnavailable``.
"""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from defi_int.chain import Chain, codec
from defi_int.chain.anvil import Anvil
from defi_int.chain.node import Call, CallReverted, Receipt
from defi_int.chain.rpc import RpcError, RpcNode
from defi_int.exceptions import NodeUnavailable

pytestmark = pytest.mark.node


def test_a_raw_transaction_is_mined_and_its_receipt_block_and_logs_read_back(anvil_system, anvil_traders) -> None:
    chain, token = anvil_system.chain, anvil_system.token
    node = chain.node
    assert isinstance(node, RpcNode)
    sender = anvil_traders[0]
    nonce = node.transaction_count(sender.address, "pending")

    receipt = chain.transact(sender, token.functions.approve(anvil_system.vault.address, 123), gas=60_000)

    assert isinstance(receipt, Receipt) and receipt.status == 1
    assert node.transaction_count(sender.address, "pending") == nonce + 1
    by_number, by_hash = node.block(receipt.block_number), node.block(receipt.block_hash)
    assert by_number == by_hash and by_number is not None
    assert by_number.transactions == (receipt.transaction_hash,)
    approval = codec.event("CollateralToken", "Approval")
    logs = node.logs(from_block=receipt.block_number, address=token.address, topics=[approval.topic])
    assert [approval.decode(log) for log in logs] == [
        {"owner": sender.address, "spender": anvil_system.vault.address, "value": 123}
    ]
    assert node.find_receipt(receipt.transaction_hash) == receipt


def test_a_reverted_call_carries_its_revert_data(anvil_system) -> None:
    node = anvil_system.chain.node
    price = codec.function("PriceOracle", "price")

    with pytest.raises(CallReverted) as caught:
        node.call(Call(anvil_system.owner.address, anvil_system.oracle.address, price.encode(7)))

    assert caught.value.data[:4] == keccak(text="UnknownMarket(uint32)")[:4]


def test_an_unknown_method_is_an_rpc_error_naming_the_node(anvil_chain) -> None:
    with pytest.raises(RpcError) as caught:
        anvil_chain.node.request("defi_noSuchMethod", [])

    assert caught.value.url == anvil_chain.url and caught.value.method == "defi_noSuchMethod"


def test_a_node_that_stops_answering_raises_node_unavailable_naming_its_url() -> None:
    with Anvil() as node:
        chain = Chain.connect(node.url)
        client = chain.node
        assert client.block_number() == 0

    zero = "0x" + "00" * 20
    for attempt in (client.block_number, lambda: client.block("latest"), lambda: client.balance(zero)):
        with pytest.raises(NodeUnavailable) as caught:
            attempt()
        assert caught.value.url == node.url
