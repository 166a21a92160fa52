"""A web3 provider over an in-process ``Node``: ``NodeProvider``, so ``Chain.w3`` works on revm too.

web3 stays in the public API (``chain.w3``, the contract objects on ``System``, ``chain.call``,
``contract.events.X().process_receipt``). For a JSON-RPC node web3 speaks HTTP and for eth-tester
it has its own provider; for a node living in this process this class answers web3's JSON-RPC
requests by calling the node and writing its plain answers back as JSON-RPC values (hex
quantities, 0x-data), which web3's formatters then read as from any node.

Only the methods a user of the fixtures reaches are served (chain and block data, balances, code, storage,
nonces, calls, raw and unlocked sends, receipts, logs, and anvil's ``evm_*`` helpers); any other
answers a JSON-RPC "method not found" error. A reverted ``eth_call`` answers code 3 with the revert
data, as geth and anvil do, so web3 raises its ``ContractLogicError`` family.
"""

from __future__ import annotations

import itertools
from typing import Any

from eth_bloom.bloom import BloomFilter
from web3.providers import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from defi_int.chain.node import Block, BlockId, Call, CallReverted, Log, Node, Receipt, TransactionRejected
from defi_int.exceptions import ChainError

_ZERO_ADDRESS = "0x" + "00" * 20


def _quantity(value: int) -> str:
    return hex(value)


def _data(value: bytes) -> str:
    return "0x" + value.hex()


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


def _block_id(value: Any) -> BlockId:
    if value in ("latest", "earliest", "pending", "safe", "finalized", None):
        return "latest" if value in ("safe", "finalized", None) else value
    if isinstance(value, str) and len(value) == 66:
        return bytes.fromhex(value[2:])
    return _int(value)


def _topic(topic: str | list[str] | None) -> bytes | list[bytes] | None:
    if topic is None:
        return None
    return bytes.fromhex(topic[2:]) if isinstance(topic, str) else [bytes.fromhex(t[2:]) for t in topic]


def _log_json(log: Log) -> dict[str, Any]:
    return {
        "address": log.address,
        "topics": [_data(t) for t in log.topics],
        "data": _data(log.data),
        "blockNumber": _quantity(log.block_number),
        "blockHash": _data(log.block_hash),
        "transactionHash": _data(log.transaction_hash),
        "transactionIndex": _quantity(log.transaction_index),
        "logIndex": _quantity(log.log_index),
        "removed": False,
    }


def _bloom(logs: tuple[Log, ...]) -> str:
    bloom = BloomFilter()
    for log in logs:
        bloom.add(bytes.fromhex(log.address[2:]))
        for topic in log.topics:
            bloom.add(topic)
    return _data(int(bloom).to_bytes(256, "big"))


def _receipt_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "transactionHash": _data(receipt.transaction_hash),
        "transactionIndex": _quantity(receipt.transaction_index),
        "blockHash": _data(receipt.block_hash),
        "blockNumber": _quantity(receipt.block_number),
        "from": receipt.sender,
        "to": receipt.to,
        "contractAddress": receipt.contract_address,
        "cumulativeGasUsed": _quantity(receipt.cumulative_gas_used),
        "gasUsed": _quantity(receipt.gas_used),
        "effectiveGasPrice": _quantity(receipt.effective_gas_price),
        "logs": [_log_json(log) for log in receipt.logs],
        "logsBloom": _bloom(receipt.logs),
        "status": _quantity(receipt.status),
        "type": _quantity(receipt.type),
    }


def _block_json(block: Block) -> dict[str, Any]:
    return {
        "number": _quantity(block.number),
        "hash": _data(block.hash),
        "parentHash": _data(block.parent_hash),
        "timestamp": _quantity(block.timestamp),
        "gasLimit": _quantity(block.gas_limit),
        "gasUsed": _quantity(block.gas_used),
        "baseFeePerGas": _quantity(block.base_fee),
        "transactions": [_data(t) for t in block.transactions],
        "miner": _ZERO_ADDRESS,
        "difficulty": "0x0",
        "extraData": "0x",
        "uncles": [],
    }


class NodeProvider(BaseProvider):
    """web3 JSON-RPC over an in-process ``node``; see the module docstring."""

    def __init__(self, node: Node, *, client: str) -> None:
        super().__init__()
        self.node = node
        self.client = client
        self._ids = itertools.count(1)
        self._methods: dict[str, Any] = {
            "web3_clientVersion": lambda: self.client,
            "eth_chainId": lambda: _quantity(node.chain_id()),
            "net_version": lambda: str(node.chain_id()),
            "eth_accounts": node.accounts,
            "eth_blockNumber": lambda: _quantity(node.block_number()),
            "eth_getBlockByNumber": self._get_block,
            "eth_getBlockByHash": self._get_block,
            "eth_getBalance": lambda address, block="latest": _quantity(node.balance(address)),
            "eth_getCode": lambda address, block="latest": _data(node.code(address)),
            "eth_getStorageAt": lambda address, slot, block="latest": _data(
                node.storage(address, _int(slot)).to_bytes(32, "big")
            ),
            "eth_getTransactionCount": lambda address, block="latest": _quantity(
                node.transaction_count(address, _block_id(block))
            ),
            "eth_call": self._call,
            "eth_gasPrice": lambda: _quantity(self._base_fee()),
            "eth_maxPriorityFeePerGas": lambda: "0x0",
            "eth_sendRawTransaction": lambda raw: _data(node.send_raw_transaction(bytes.fromhex(raw[2:]))),
            "eth_sendTransaction": self._send_transaction,
            "eth_getTransactionReceipt": self._get_receipt,
            "eth_getLogs": self._get_logs,
            "evm_snapshot": lambda: _quantity(node.snapshot()),
            "evm_revert": lambda snapshot_id: node.revert(_int(snapshot_id)),
            "evm_mine": self._mine,
            "evm_setNextBlockTimestamp": lambda timestamp: node.set_next_block_timestamp(_int(timestamp)),
        }

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        request_id = next(self._ids)
        handler = self._methods.get(method)
        if handler is None:
            return self._error(request_id, -32601, f"{method} is not served by the in-process {self.node.name} node")
        try:
            result = handler(*(params or []))
        except CallReverted as exc:
            return self._error(request_id, 3, "execution reverted", _data(exc.data))
        except (TransactionRejected, ChainError, ValueError) as exc:
            return self._error(request_id, -32000, str(exc))
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    @staticmethod
    def _error(request_id: int, code: int, message: str, data: str | None = None) -> RPCResponse:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        return {"jsonrpc": "2.0", "id": request_id, "error": error}  # type: ignore[typeddict-item]

    def _base_fee(self) -> int:
        latest = self.node.block("latest")
        return latest.base_fee if latest else 0

    def _mine(self, *_: Any) -> str:
        self.node.mine()
        return "0x0"

    def _get_block(self, block: Any, full: bool = False) -> dict[str, Any] | None:
        if full:
            raise ValueError("full transaction objects are not served by the in-process node")
        found = self.node.block(_block_id(block))
        return None if found is None else _block_json(found)

    def _call(self, tx: dict[str, Any], block: Any = "latest") -> str:
        data = tx.get("data") or tx.get("input") or "0x"
        call = Call(
            sender=tx.get("from") or _ZERO_ADDRESS,
            to=tx.get("to"),
            data=bytes.fromhex(data[2:]),
            gas=_int(tx["gas"]) if "gas" in tx else None,
            value=_int(tx.get("value", 0)),
        )
        return _data(self.node.call(call, _block_id(block)))

    def _send_transaction(self, tx: dict[str, Any]) -> str:
        fields = {
            k: (_int(v) if k in ("gas", "value", "nonce", "maxFeePerGas", "maxPriorityFeePerGas") else v)
            for k, v in tx.items()
        }
        return _data(self.node.send_transaction(fields))

    def _get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        finder = getattr(self.node, "find_receipt", None)
        found = finder(bytes.fromhex(tx_hash[2:])) if finder else None
        return None if found is None else _receipt_json(found)

    def _get_logs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        latest = self.node.block_number()
        start = _block_id(query.get("fromBlock", "latest"))
        stop = _block_id(query.get("toBlock", "latest"))
        topics = query.get("topics")
        found = self.node.logs(
            from_block=latest if not isinstance(start, int) else start,
            to_block=None if not isinstance(stop, int) else stop,
            address=query.get("address"),
            topics=None if topics is None else [_topic(t) for t in topics],
        )
        return [_log_json(log) for log in found]
