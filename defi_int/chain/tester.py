"""The reference chain, eth-tester on py-evm, as a ``Node``: ``TesterNode``.

The contract tests run on it and every other backend's gas must equal it, so it stays the plain
``EthereumTester`` web3's ``EthereumTesterProvider`` talks to (``Chain.w3`` shares the very same
object); this adapter only skips web3's request formatting and middleware on the hot path.

Two things eth-tester does not offer as a node would, done here on py-evm directly:
- the next block's timestamp: eth-tester's ``time_travel`` mines an empty block to get there; here
  the pending header's timestamp is set instead, so a step mines no block the other backends do
  not;
- a mined transaction's output or revert data: it is executed again on its parent's state in its
  own block's context (each block holds one transaction), so time-dependent reasons (expiry, stale
  prices) come out as they did.
"""

from __future__ import annotations

from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import BlockNotFound, SnapshotNotFound, TransactionNotFound
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from eth_utils.exceptions import ValidationError as EthValidationError

from defi_int.chain.errors import revert_data
from defi_int.chain.node import Block, BlockId, Call, CallReverted, Log, Receipt, TransactionRejected, checksum
from defi_int.exceptions import ChainError

#: eth-tester's fee fields for transactions it signs itself (``send_transaction``).
_FEE_FIELDS = {"maxFeePerGas": "max_fee_per_gas", "maxPriorityFeePerGas": "max_priority_fee_per_gas"}


def _hash(value: str | bytes) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _topic_param(topic: bytes | list[bytes] | None) -> str | list[str] | None:
    if topic is None:
        return None
    return "0x" + topic.hex() if isinstance(topic, bytes) else ["0x" + t.hex() for t in topic]


def _block_param(block: BlockId) -> int | str:
    return block if isinstance(block, (int, str)) else "0x" + block.hex()


class TesterNode:
    """eth-tester on py-evm; see the module docstring."""

    name = "pyevm"

    def __init__(self, *, gas_limit: int, genesis_time: int) -> None:
        params = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": gas_limit, "timestamp": genesis_time})
        self.tester = EthereumTester(PyEVMBackend(genesis_parameters=params))
        self._chain_id = int(self.tester.backend.chain.chain_id)

    # ------------------------------------------------------------------ reads

    @property
    def state_version(self) -> int | None:
        """None: eth-tester does not tell when its state changes (``Node.state_version``)."""
        return None

    def chain_id(self) -> int:
        return self._chain_id

    def accounts(self) -> list[str]:
        return [checksum(a) for a in self.tester.get_accounts()]

    def block_number(self) -> int:
        return int(self.tester.get_block_by_number("latest")["number"])

    def block(self, block: BlockId = "latest") -> Block | None:
        try:
            if isinstance(block, bytes):
                raw = self.tester.get_block_by_hash("0x" + block.hex())
            else:
                raw = self.tester.get_block_by_number(block)
        except BlockNotFound:
            return None
        return Block(
            number=raw["number"],
            hash=_hash(raw["hash"]),
            parent_hash=_hash(raw["parent_hash"]),
            timestamp=raw["timestamp"],
            gas_limit=raw["gas_limit"],
            gas_used=raw["gas_used"],
            base_fee=raw.get("base_fee_per_gas", 0),
            transactions=tuple(_hash(t) for t in raw["transactions"]),
        )

    def transaction_count(self, address: str, block: BlockId = "pending") -> int:
        # Transactions are mined as they are sent: nothing is ever pending.
        return int(self.tester.get_nonce(checksum(address), "latest" if block == "pending" else _block_param(block)))

    def balance(self, address: str) -> int:
        return int(self.tester.get_balance(checksum(address)))

    def code(self, address: str) -> bytes:
        return _hash(self.tester.get_code(checksum(address)))

    def storage(self, address: str, slot: int) -> int:
        value: int = self.tester.get_storage_at(checksum(address), hex(slot))
        return value

    def call(self, call: Call, block: BlockId = "latest") -> bytes:
        tx: dict[str, Any] = {"from": checksum(call.sender), "data": "0x" + call.data.hex(), "value": call.value}
        if call.to is not None:
            tx["to"] = checksum(call.to)
        if call.gas is not None:
            tx["gas"] = call.gas
        try:
            return _hash(self.tester.call(tx, _block_param(block)))
        except EthTesterTransactionFailed as exc:
            raise CallReverted(revert_data(exc) or b"", str(exc)) from exc
        except BlockNotFound as exc:
            raise ChainError(f"pyevm has no block {block!r}") from exc

    # ----------------------------------------------------------- transactions

    def send_raw_transaction(self, raw: bytes) -> bytes:
        try:
            return _hash(self.tester.send_raw_transaction("0x" + raw.hex()))
        except (EthValidationError, ValueError) as exc:
            raise TransactionRejected(str(exc)) from exc

    def send_transaction(self, tx: dict[str, Any]) -> bytes:
        fields = {_FEE_FIELDS.get(k, k): v for k, v in tx.items()}
        fields["from"] = checksum(fields["from"])
        fields["to"] = checksum(fields["to"])
        try:
            return _hash(self.tester.send_transaction(fields))
        except (EthValidationError, ValueError) as exc:
            raise TransactionRejected(str(exc)) from exc

    def receipt(self, tx_hash: bytes, *, timeout: float = 120.0) -> Receipt:
        found = self.find_receipt(tx_hash)
        if found is None:
            raise ChainError(f"pyevm has no transaction 0x{tx_hash.hex()}")
        return found

    def find_receipt(self, tx_hash: bytes) -> Receipt | None:
        try:
            raw = self.tester.get_transaction_receipt("0x" + tx_hash.hex())
        except TransactionNotFound:
            return None
        block_hash = _hash(raw["block_hash"])
        logs = tuple(
            Log(
                checksum(log["address"]),
                tuple(_hash(t) for t in log["topics"]),
                _hash(log["data"]),
                raw["block_number"],
                block_hash,
                tx_hash,
                raw["transaction_index"],
                log["log_index"],
            )
            for log in raw["logs"]
        )
        contract = raw["contract_address"]
        return Receipt(
            transaction_hash=tx_hash,
            block_number=raw["block_number"],
            block_hash=block_hash,
            transaction_index=raw["transaction_index"],
            sender=checksum(raw["from"]),
            to=checksum(raw["to"]) if raw["to"] else None,
            contract_address=checksum(contract) if contract else None,
            status=raw["status"],
            gas_used=raw["gas_used"],
            cumulative_gas_used=raw["cumulative_gas_used"],
            effective_gas_price=raw["effective_gas_price"],
            logs=logs,
            type=int(raw["type"], 16) if isinstance(raw["type"], str) else int(raw["type"]),
        )

    def transaction_input(self, tx_hash: bytes) -> bytes | None:
        try:
            tx = self.tester.get_transaction_by_hash("0x" + tx_hash.hex())
        except TransactionNotFound:
            return None
        data = tx["data"]
        return bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)

    def output(self, tx_hash: bytes) -> bytes | None:
        """Runs the mined transaction again on its parent's state, in its own block's context."""
        chain = self.tester.backend.chain
        receipt = self.find_receipt(tx_hash)
        if receipt is None or receipt.block_number == 0:
            return None
        block = chain.get_canonical_block_by_number(receipt.block_number)
        parent = chain.get_canonical_block_header_by_number(receipt.block_number - 1)
        index = receipt.transaction_index
        if index != 0:
            return None  # not this package's one transaction per block
        header = block.header.copy(state_root=parent.state_root, gas_used=0)
        tx = block.transactions[index]
        state = chain.get_vm(at_header=header).state
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(tx)
        finally:
            state.revert(snapshot)
        return bytes(computation.output)

    def logs(
        self,
        *,
        from_block: int,
        to_block: int | None = None,
        address: str | list[str] | None = None,
        topics: list[bytes | list[bytes] | None] | None = None,
    ) -> list[Log]:
        raw_topics = None if topics is None else [_topic_param(t) for t in topics]
        found = self.tester.get_logs(
            from_block=from_block,
            to_block="latest" if to_block is None else to_block,
            address=None
            if address is None
            else checksum(address)
            if isinstance(address, str)
            else [checksum(a) for a in address],
            topics=raw_topics,
        )
        return [
            Log(
                checksum(log["address"]),
                tuple(_hash(t) for t in log["topics"]),
                _hash(log["data"]),
                log["block_number"],
                _hash(log["block_hash"]),
                _hash(log["transaction_hash"]),
                log["transaction_index"],
                log["log_index"],
            )
            for log in found
        ]

    # ------------------------------------------------------------- time & state

    def set_next_block_timestamp(self, timestamp: int) -> None:
        backend = self.tester.backend
        latest = self.tester.get_block_by_number("latest")["timestamp"]
        if timestamp <= latest:
            raise ChainError(f"pyevm: the next block's time {timestamp} must be after the latest block's {latest}")
        backend.chain.header = backend.chain.header.copy(timestamp=timestamp)

    def mine(self) -> None:
        self.tester.mine_blocks(1)

    def snapshot(self) -> int:
        return int(self.tester.take_snapshot())

    def revert(self, snapshot_id: int) -> bool:
        try:
            self.tester.revert_to_snapshot(snapshot_id)
        except SnapshotNotFound:
            return False
        return True

    def close(self) -> None:
        """Nothing to release: the chain lives as long as this object."""
