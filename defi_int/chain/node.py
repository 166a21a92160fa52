"""What every chain backend offers ``Chain``: a small node interface in plain values.

A ``Node`` is one chain we can send raw signed transactions to and read from: the embedded
eth-tester (``chain.tester.TesterNode``, the reference), the in-process revm
(``chain.revm.RevmNode``) or any JSON-RPC node (``chain.rpc.RpcNode``). ``Chain`` drives all of
them the same way, and nothing on the hot path goes through web3's middleware::

    Chain.send ── sign (eth-account) ──▶ Node.send_raw_transaction ──▶ Node.receipt ──▶ Receipt
    Chain.eth_call ─────────────────────▶ Node.call ──▶ bytes        (a revert: CallReverted)

Everything in and out is plain: ints, ``bytes``, checksummed address strings and the frozen
records below. ``Receipt`` and ``Log`` also read like web3's dictionaries (``receipt["gasUsed"]``,
``contract.events.X().process_receipt(receipt)``), so the public API that hands receipts to users
and tests keeps web3's shape without paying for web3's formatters on every transaction.

Block production is the caller's: one block per transaction (automine) or per ``mine()``, and the
next block carries the timestamp last given to ``set_next_block_timestamp``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.datastructures import AttributeDict

#: The chain id of the in-process backends (eth-tester's) and of the anvil this package starts: the
#: same chain id signs every order to the same bytes, so calldata and gas are the same on all three.
LOCAL_CHAIN_ID = 131_277_322_940_537

#: A block by number, by hash, or by tag.
BlockId = int | bytes | Literal["latest", "earliest", "pending"]


class CallReverted(Exception):
    """An ``eth_call`` reverted; ``data`` is the raw revert output (may be empty)."""

    def __init__(self, data: bytes, message: str = "execution reverted") -> None:
        self.data = data
        super().__init__(f"{message}: 0x{data.hex()}")


class TransactionRejected(Exception):
    """The node refused a transaction before mining it (nonce, gas, funds ...); says why."""


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    """A transaction as a node returns it by hash: who sent it, at which nonce, to what, with what."""

    tx_hash: bytes
    sender: str
    nonce: int
    to: str | None
    data: bytes
    block_number: int | None  # None while pending


@dataclass(frozen=True, slots=True)
class Call:
    """An ``eth_call``: ``to=None`` runs ``data`` as creation code."""

    sender: str
    to: str | None
    data: bytes
    gas: int | None = None
    value: int = 0


class _Record(Mapping[str, Any]):
    """Read access by web3's camelCase key names, on top of the plain attributes."""

    __slots__ = ()

    _KEYS: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, key: str) -> Any:
        for name, attr in self._KEYS:
            if name == key:
                return self._web3(attr)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)

    def _web3(self, attr: str) -> Any:
        value = getattr(self, attr)
        return HexBytes(value) if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True, eq=True)
class Log(_Record):
    """One event log as mined."""

    address: str  # checksummed
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int

    _KEYS = (
        ("address", "address"),
        ("topics", "topics"),
        ("data", "data"),
        ("blockNumber", "block_number"),
        ("blockHash", "block_hash"),
        ("transactionHash", "transaction_hash"),
        ("transactionIndex", "transaction_index"),
        ("logIndex", "log_index"),
        ("removed", "removed"),
    )

    @property
    def removed(self) -> bool:
        return False

    def _web3(self, attr: str) -> Any:
        if attr == "topics":
            return [HexBytes(t) for t in self.topics]
        return _Record._web3(self, attr)


@dataclass(frozen=True, slots=True, eq=True)
class Receipt(_Record):
    """A mined transaction's receipt."""

    transaction_hash: bytes
    block_number: int
    block_hash: bytes
    transaction_index: int
    sender: str
    to: str | None
    contract_address: str | None
    status: int
    gas_used: int
    cumulative_gas_used: int
    effective_gas_price: int
    logs: tuple[Log, ...] = ()
    type: int = 2

    _KEYS = (
        ("transactionHash", "transaction_hash"),
        ("blockNumber", "block_number"),
        ("blockHash", "block_hash"),
        ("transactionIndex", "transaction_index"),
        ("from", "sender"),
        ("to", "to"),
        ("contractAddress", "contract_address"),
        ("status", "status"),
        ("gasUsed", "gas_used"),
        ("cumulativeGasUsed", "cumulative_gas_used"),
        ("effectiveGasPrice", "effective_gas_price"),
        ("logs", "logs"),
        ("type", "type"),
    )

    def _web3(self, attr: str) -> Any:
        if attr == "logs":
            # web3 decodes events into AttributeDicts only from AttributeDict logs
            return [AttributeDict(dict(log)) for log in self.logs]
        return _Record._web3(self, attr)


@dataclass(frozen=True, slots=True)
class Block:
    """A mined block: what ``Chain`` and a keeper need of its header."""

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    gas_limit: int
    gas_used: int
    base_fee: int
    transactions: tuple[bytes, ...] = field(default=())


class Node(Protocol):
    """One chain, spoken to in plain values; see the module docstring."""

    #: Where the node is, for messages: its URL, or ``"revm"`` / ``"pyevm"`` in process.
    name: str

    @property
    def state_version(self) -> int | None:
        """A number that changes whenever the latest state (or the latest block a call runs in)
        changes, for a node that knows it (in process); None for a node that others may change
        under us (``Chain.latest_reads``)."""
        ...

    def chain_id(self) -> int: ...

    def accounts(self) -> list[str]:
        """Accounts the node signs for (``send_transaction``); may be empty."""
        ...

    def block_number(self) -> int: ...

    def block(self, block: BlockId = "latest") -> Block | None: ...

    def transaction_count(self, address: str, block: BlockId = "pending") -> int: ...

    def balance(self, address: str) -> int: ...

    def code(self, address: str) -> bytes: ...

    def storage(self, address: str, slot: int) -> int:
        """The word at storage ``slot`` of ``address``, latest state."""
        ...

    def call(self, call: Call, block: BlockId = "latest") -> bytes:
        """The output of ``call`` on the state at ``block``; raises ``CallReverted``."""
        ...

    def send_raw_transaction(self, raw: bytes) -> bytes:
        """Sends a signed transaction and returns its hash; raises ``TransactionRejected``."""
        ...

    def send_transaction(self, tx: dict[str, Any]) -> bytes:
        """Sends ``tx`` (``from`` one of ``accounts()``, plain values) signed by the node."""
        ...

    def receipt(self, tx_hash: bytes, *, timeout: float = 120.0) -> Receipt:
        """The receipt of ``tx_hash``, waiting up to ``timeout`` seconds for it to be mined."""
        ...

    def find_receipt(self, tx_hash: bytes) -> Receipt | None:
        """The receipt of ``tx_hash`` if it is mined, without waiting."""
        ...

    def output(self, tx_hash: bytes) -> bytes | None:
        """What a mined transaction returned, or its revert data; None when the node cannot tell."""
        ...

    def transaction_input(self, tx_hash: bytes) -> bytes | None:
        """The calldata of a mined (or pending) transaction; None when the node does not know it."""
        ...

    def logs(
        self,
        *,
        from_block: int,
        to_block: int | None = None,
        address: str | list[str] | None = None,
        topics: list[bytes | list[bytes] | None] | None = None,
    ) -> list[Log]:
        """Logs of blocks ``from_block`` to ``to_block`` (default: the latest) by any of ``address``
        and matching ``topics`` position by position (None: any; a list: any of them)."""
        ...

    def set_next_block_timestamp(self, timestamp: int) -> None: ...

    def mine(self) -> None:
        """Mines one empty block."""
        ...

    def snapshot(self) -> int: ...

    def revert(self, snapshot_id: int) -> bool:
        """Returns to ``snapshot_id`` (on most nodes used up, with every later one); False if unknown."""
        ...

    def close(self) -> None: ...


@lru_cache(maxsize=1 << 16)
def checksum(address: str) -> str:
    """The checksummed spelling of a 0x-hex address (cached: a run sees few distinct ones)."""
    return to_checksum_address(address)
