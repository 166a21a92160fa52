"""A plain JSON-RPC client for a node (anvil, geth, hardhat ...): ``RpcNode``.

One ``requests.Session`` (kept-alive HTTP), one request per call, results turned into plain ints,
``bytes``, checksummed addresses and the records of ``chain.node``. No web3 on this path: web3's
middleware and formatters, and its receipt polling every 0.1 s, took most of a run's time on a
local node; here a receipt is polled every millisecond.

It is what ``Chain`` uses for every node, and what a keeper bot needs on its own: nonces
(``transaction_count(address, "pending")``, or at a block), fee data (the latest block's base fee,
``max_priority_fee``), raw sends and whether the node still holds a transaction
(``knows_transaction``), receipts (``receipt`` waits, ``find_receipt`` does not), blocks by number
or hash, and logs.

Failures: a node that does not answer (refused, reset, timed out) raises ``NodeUnavailable``
naming the URL; a JSON-RPC error raises ``RpcError`` (``.code``, ``.message``, ``.data``), except
where the node interface names a better one: a reverted ``eth_call`` is ``CallReverted`` with its
data, and a transaction the node refuses is ``TransactionRejected``.

A long-running client (the keeper bot) gives the node a ``RetryPolicy``: a request that fails in
transit (no answer, not JSON-RPC, or the node's own internal error) is retried after a backoff that
doubles, and a ``CircuitBreaker`` counts failures in a row: past its threshold it opens, and
requests fail at once with ``NodeUnavailable`` ("circuit open") for its cooldown, then one request
tries the node again. An answer that is an ordinary JSON-RPC error (a revert, a nonce too low) is
the node working: it is neither retried nor counted.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from defi_int.chain.node import (
    Block,
    BlockId,
    Call,
    CallReverted,
    Log,
    Receipt,
    TransactionInfo,
    TransactionRejected,
    checksum,
)
from defi_int.exceptions import ChainError, NodeUnavailable

#: How often ``receipt`` asks for a transaction that is not mined yet.
RECEIPT_POLL_SECONDS = 0.001


class RpcError(ChainError):
    """The node answered a request with a JSON-RPC error."""

    def __init__(self, url: str, method: str, code: int, message: str, data: Any = None) -> None:
        self.url = url
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"{method} on {url} failed ({code}): {message}")


def _hex(value: int) -> str:
    return hex(value)


def _bytes(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else b""


def _int(value: str | int | None) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value, 16)


def _block_param(block: BlockId) -> str:
    if isinstance(block, int):
        return _hex(block)
    if isinstance(block, bytes):
        raise ValueError("use block(hash) for a block by hash")
    return block


def _revert_data(error: dict[str, Any]) -> bytes | None:
    """Revert data in a JSON-RPC error, as anvil, geth and hardhat put it."""
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    return None


def _log(raw: dict[str, Any]) -> Log:
    return Log(
        checksum(raw["address"]),
        tuple(_bytes(t) for t in raw["topics"]),
        _bytes(raw["data"]),
        _int(raw.get("blockNumber")),
        _bytes(raw.get("blockHash")),
        _bytes(raw.get("transactionHash")),
        _int(raw.get("transactionIndex")),
        _int(raw.get("logIndex")),
    )


def _receipt(raw: dict[str, Any]) -> Receipt:
    contract = raw.get("contractAddress")
    return Receipt(
        transaction_hash=_bytes(raw["transactionHash"]),
        block_number=_int(raw["blockNumber"]),
        block_hash=_bytes(raw["blockHash"]),
        transaction_index=_int(raw["transactionIndex"]),
        sender=checksum(raw["from"]),
        to=checksum(raw["to"]) if raw.get("to") else None,
        contract_address=checksum(contract) if contract else None,
        status=_int(raw["status"]),
        gas_used=_int(raw["gasUsed"]),
        cumulative_gas_used=_int(raw["cumulativeGasUsed"]),
        effective_gas_price=_int(raw.get("effectiveGasPrice")),
        logs=tuple(_log(log) for log in raw["logs"]),
        type=_int(raw.get("type", "0x0")),
    )


def _block(raw: dict[str, Any]) -> Block:
    return Block(
        number=_int(raw["number"]),
        hash=_bytes(raw["hash"]),
        parent_hash=_bytes(raw["parentHash"]),
        timestamp=_int(raw["timestamp"]),
        gas_limit=_int(raw["gasLimit"]),
        gas_used=_int(raw["gasUsed"]),
        base_fee=_int(raw.get("baseFeePerGas")),
        transactions=tuple(_bytes(t if isinstance(t, str) else t["hash"]) for t in raw["transactions"]),
    )


#: JSON-RPC error codes a node gives when it failed itself (internal error, over its limits): worth a retry.
TRANSIENT_CODES = frozenset({-32603, -32005})


@dataclass
class CircuitBreaker:
    """Opens after ``failures`` failed requests in a row, for ``cooldown`` seconds; then one request tries."""

    failures: int = 5
    cooldown: float = 1.0
    clock: Callable[[], float] = time.monotonic
    in_a_row: int = 0
    open_until: float | None = None
    opened: int = 0  # times it opened

    def check(self, url: str) -> None:
        """Raises ``NodeUnavailable`` while open; lets one request through once the cooldown is over."""
        if self.open_until is not None and self.clock() < self.open_until:
            raise NodeUnavailable(url, f"circuit open after {self.in_a_row} failed requests in a row")

    def failed(self) -> None:
        self.in_a_row += 1
        if self.in_a_row >= self.failures:
            if self.open_until is None or self.clock() >= self.open_until:
                self.opened += 1
            self.open_until = self.clock() + self.cooldown

    def succeeded(self) -> None:
        self.in_a_row = 0
        self.open_until = None

    @property
    def is_open(self) -> bool:
        return self.open_until is not None and self.clock() < self.open_until


@dataclass
class RetryPolicy:
    """Retries a request that failed in transit ``retries`` times, ``backoff`` seconds apart and doubling."""

    retries: int = 3
    backoff: float = 0.05
    circuit: CircuitBreaker = field(default_factory=CircuitBreaker)
    on_error: Callable[[str], None] | None = None  # called with the method of every failed attempt
    sleep: Callable[[float], None] = time.sleep


def transient(exc: Exception) -> bool:
    """Whether a request that raised ``exc`` failed in transit (worth a retry) rather than being answered."""
    return isinstance(exc, NodeUnavailable) or (isinstance(exc, RpcError) and exc.code in TRANSIENT_CODES)


class RpcNode:
    """A JSON-RPC node at ``url``; see the module docstring."""

    def __init__(self, url: str, *, timeout: float = 30.0, policy: RetryPolicy | None = None) -> None:
        self.name = url
        self.url = url
        self.timeout = timeout
        self.policy = policy
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy lookup in the environment on every request (~1 ms each)
        self._ids = itertools.count(1)

    def request(self, method: str, params: list[Any] | None = None) -> Any:
        """The ``result`` of one JSON-RPC request, retried under the node's policy; see the module docstring."""
        policy = self.policy
        if policy is None:
            return self._request(method, params)
        attempt = 0
        while True:
            policy.circuit.check(self.url)
            try:
                result = self._request(method, params)
            except (NodeUnavailable, RpcError) as exc:
                if not transient(exc):
                    policy.circuit.succeeded()
                    raise
                policy.circuit.failed()
                if policy.on_error is not None:
                    policy.on_error(method)
                if attempt >= policy.retries or policy.circuit.is_open:
                    raise
                policy.sleep(policy.backoff * 2**attempt)
                attempt += 1
                continue
            policy.circuit.succeeded()
            return result

    def _request(self, method: str, params: list[Any] | None) -> Any:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}
        try:
            response = self._session.post(self.url, json=body, timeout=self.timeout)
        except (requests.exceptions.RequestException, OSError) as exc:
            raise NodeUnavailable(self.url, f"{method}: {str(exc).splitlines()[0]}") from exc
        try:
            answer = response.json()
        except (ValueError, requests.exceptions.RequestException) as exc:
            raise NodeUnavailable(self.url, f"{method}: not a JSON-RPC answer (HTTP {response.status_code})") from exc
        if not isinstance(answer, dict):
            raise NodeUnavailable(self.url, f"{method}: not a JSON-RPC answer: {str(answer)[:200]}")
        error = answer.get("error")
        if error is not None:
            raise RpcError(self.url, method, int(error.get("code", 0)), str(error.get("message")), error.get("data"))
        return answer.get("result")

    # ------------------------------------------------------------------ reads

    @property
    def state_version(self) -> int | None:
        """None: others may change a node's state at any time (``Node.state_version``)."""
        return None

    def chain_id(self) -> int:
        return _int(self.request("eth_chainId"))

    def client_version(self) -> str:
        return str(self.request("web3_clientVersion"))

    def accounts(self) -> list[str]:
        return [checksum(a) for a in self.request("eth_accounts") or []]

    def block_number(self) -> int:
        return _int(self.request("eth_blockNumber"))

    def block(self, block: BlockId = "latest") -> Block | None:
        if isinstance(block, bytes):
            raw = self.request("eth_getBlockByHash", ["0x" + block.hex(), False])
        else:
            raw = self.request("eth_getBlockByNumber", [_block_param(block), False])
        return None if raw is None else _block(raw)

    def transaction_count(self, address: str, block: BlockId = "pending") -> int:
        return _int(self.request("eth_getTransactionCount", [address, _block_param(block)]))

    def balance(self, address: str) -> int:
        return _int(self.request("eth_getBalance", [address, "latest"]))

    def code(self, address: str) -> bytes:
        return _bytes(self.request("eth_getCode", [address, "latest"]))

    def storage(self, address: str, slot: int) -> int:
        return _int(self.request("eth_getStorageAt", [address, hex(slot), "latest"]))

    def max_priority_fee(self) -> int:
        """The tip the node suggests (``eth_maxPriorityFeePerGas``), wei per gas."""
        return _int(self.request("eth_maxPriorityFeePerGas"))

    def knows_transaction(self, tx_hash: bytes) -> bool:
        """Whether the node holds ``tx_hash``, pending in its pool or mined."""
        return self.request("eth_getTransactionByHash", ["0x" + tx_hash.hex()]) is not None

    def transaction(self, tx_hash: bytes) -> TransactionInfo | None:
        """``tx_hash`` as the node holds it (sender, nonce, calldata), None when it does not."""
        raw = self.request("eth_getTransactionByHash", ["0x" + tx_hash.hex()])
        if raw is None:
            return None
        number = raw.get("blockNumber")
        return TransactionInfo(
            _bytes(raw["hash"]),
            checksum(raw["from"]),
            _int(raw["nonce"]),
            checksum(raw["to"]) if raw.get("to") else None,
            _bytes(raw.get("input") or raw.get("data")),
            None if number is None else _int(number),
        )

    def raw_transaction(self, tx_hash: bytes) -> bytes | None:
        """The signed bytes of ``tx_hash`` (``eth_getRawTransactionByHash``), None when the node does not
        have it or does not offer the method."""
        try:
            raw = self.request("eth_getRawTransactionByHash", ["0x" + tx_hash.hex()])
        except RpcError:
            return None
        return _bytes(raw) if isinstance(raw, str) and raw != "0x" else None

    def call(self, call: Call, block: BlockId = "latest") -> bytes:
        tx: dict[str, Any] = {"from": call.sender, "input": "0x" + call.data.hex()}
        if call.to is not None:
            tx["to"] = call.to
        if call.gas is not None:
            tx["gas"] = _hex(call.gas)
        if call.value:
            tx["value"] = _hex(call.value)
        try:
            return _bytes(self.request("eth_call", [tx, _block_param(block)]))
        except RpcError as exc:
            data = _revert_data({"data": exc.data})
            if data is None and "revert" not in exc.message.lower():
                raise
            raise CallReverted(data or b"", exc.message) from exc

    # ----------------------------------------------------------- transactions

    def send_raw_transaction(self, raw: bytes) -> bytes:
        try:
            return _bytes(self.request("eth_sendRawTransaction", ["0x" + raw.hex()]))
        except RpcError as exc:
            raise TransactionRejected(exc.message) from exc

    def send_transaction(self, tx: dict[str, Any]) -> bytes:
        fields = {k: (_hex(v) if isinstance(v, int) else v) for k, v in tx.items()}
        try:
            return _bytes(self.request("eth_sendTransaction", [fields]))
        except RpcError as exc:
            raise TransactionRejected(exc.message) from exc

    def find_receipt(self, tx_hash: bytes) -> Receipt | None:
        raw = self.request("eth_getTransactionReceipt", ["0x" + tx_hash.hex()])
        return None if raw is None else _receipt(raw)

    def receipt(self, tx_hash: bytes, *, timeout: float = 120.0) -> Receipt:
        deadline = time.monotonic() + timeout
        while True:
            found = self.find_receipt(tx_hash)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise ChainError(f"transaction 0x{tx_hash.hex()} was not mined within {timeout:g}s on {self.url}")
            time.sleep(RECEIPT_POLL_SECONDS)

    def transaction_input(self, tx_hash: bytes) -> bytes | None:
        raw = self.request("eth_getTransactionByHash", ["0x" + tx_hash.hex()])
        if not raw:
            return None
        data = raw.get("input", raw.get("data"))
        return _bytes(data) if isinstance(data, str) else None

    def output(self, tx_hash: bytes) -> bytes | None:
        """What the transaction returned or reverted with, from the node's call tracer (if it has one)."""
        try:
            trace = self.request("debug_traceTransaction", ["0x" + tx_hash.hex(), {"tracer": "callTracer"}])
        except RpcError:
            return None
        output = (trace or {}).get("output")
        return _bytes(output) if isinstance(output, str) else b""

    def logs(
        self,
        *,
        from_block: int,
        to_block: int | None = None,
        address: str | list[str] | None = None,
        topics: list[bytes | list[bytes] | None] | None = None,
    ) -> list[Log]:
        query: dict[str, Any] = {
            "fromBlock": _hex(from_block),
            "toBlock": "latest" if to_block is None else _hex(to_block),
        }
        if address is not None:
            query["address"] = address
        if topics is not None:
            query["topics"] = [
                None if t is None else "0x" + t.hex() if isinstance(t, bytes) else ["0x" + x.hex() for x in t]
                for t in topics
            ]
        return [_log(raw) for raw in self.request("eth_getLogs", [query]) or []]

    # ------------------------------------------------------------- time & state

    def set_next_block_timestamp(self, timestamp: int) -> None:
        self.request("evm_setNextBlockTimestamp", [_hex(timestamp)])

    def mine(self) -> None:
        self.request("evm_mine", [])

    def snapshot(self) -> int:
        return _int(self.request("evm_snapshot", []))

    def revert(self, snapshot_id: int) -> bool:
        return self.request("evm_revert", [_hex(snapshot_id)]) is True

    def close(self) -> None:
        self._session.close()
