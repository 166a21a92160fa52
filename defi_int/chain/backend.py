"""A chain to deploy on and send transactions to, on any backend: ``Chain``.

Backends (``chain.BACKENDS``, the names ``--backend`` and a scenario's ``[chain] backend`` take):

- ``revm``   in process, revm through pyrevm in exact mode (``chain.revm``): the fast default of
             ``defi-int run``, its gas equal to py-evm's to the unit (a differential test proves it);
- ``pyevm``  in process, eth-tester on py-evm (``chain.tester``): the reference, and what the
             contract tests and the pytest plugin use;
- ``anvil``  a local anvil started from npm for the run and stopped after it (``chain.anvil``);
- ``rpc``    any JSON-RPC node by URL (``chain.rpc``).

Every backend is driven the same way, through the plain ``Node`` interface (``chain.node``):
each transaction is built with explicit gas, signed locally (``chain.transactions``) and sent raw;
each one is mined in its own block; and every block's timestamp is set by ``Chain`` itself, one
second after the block before unless ``set_next_block_timestamp`` asks for later. So block
production and the time every transaction sees are the same on every backend, whatever a node's
own clock or flags would do, and the same scenario gives the same fills everywhere.

A failed transaction's revert data comes from the node (``Node.output``) and ``errors.decode_revert``
turns it into a ``ContractRevert``. web3 stays available as ``chain.w3`` (and behind ``call``,
``transact``, ``deploy`` and ``contract``) on every backend; the hot path (``send``,
``eth_call``) does not go through it.

Accounts are derived deterministically from labels (``chain.account("trader-3")``) and funded with
ether from the backend's first unlocked account, so the same scenario sees the same addresses
everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from eth_utils.crypto import keccak
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import BlockIdentifier

from defi_int.chain import BACKENDS, DEFAULT_BACKEND, artifacts, transactions
from defi_int.chain.anvil import Anvil
from defi_int.chain.errors import decode_revert, revert_data
from defi_int.chain.node import BlockId, Call, CallReverted, Node, Receipt, TransactionRejected, checksum
from defi_int.chain.rpc import RpcError
from defi_int.exceptions import ChainError, ConfigError, NodeUnavailable, TransactionFailed

if TYPE_CHECKING:
    from defi_int.chain.rpc import RetryPolicy

#: Fee cap for every transaction: far above any base fee a local chain reaches, paid only up to it.
MAX_FEE_PER_GAS = 50 * 10**9
#: Ether given to every derived account on first use (a stock anvil's first account funds ~1,000).
ACCOUNT_ETHER = 10 * 10**18
DEFAULT_GAS = 1_000_000
BLOCK_GAS_LIMIT = 60_000_000
#: 2033-05-18: ahead of the wall clock, so in-process block times never depend on it.
EMBEDDED_GENESIS_TIME = 2_000_000_000
_LABEL_SALT = b"defi-int account v1:"
_NO_SENDER = "0x" + "00" * 20


def _reverts(exc: BaseException) -> bool:
    return isinstance(exc, (ContractLogicError, EthTesterTransactionFailed))


class Chain:
    """One connection to one chain; see the module docstring. Close it (or use ``with``) to stop
    a node it started."""

    def __init__(
        self,
        node: Node,
        w3: Web3,
        *,
        kind: str,
        url: str | None = None,
        manage_clock: bool = True,
        anvil: Anvil | None = None,
    ) -> None:
        self.node = node
        self.w3 = w3
        self.kind = kind
        self.url = url
        #: Whether ``Chain`` sets every block's timestamp (off for a node whose clock is not ours).
        self.manage_clock = manage_clock
        self._anvil = anvil
        self._nonces: dict[str, int] = {}
        self._funded: set[str] = set()
        self._clock: int | None = None  # the next block's timestamp, once known
        self._clocks: dict[int, int | None] = {}  # snapshot id -> clock
        self._memo: dict[bytes, bytes] = {}  # ``latest_reads``: view results at ``_memo_version``
        self._memo_version: int | None = None
        self.chain_id: int = node.chain_id()
        funders = node.accounts()
        self._funder = funders[0] if funders else None
        self._reader = self._funder or _NO_SENDER
        # Reads need a sender; without one, web3 asks the node for its accounts on every call.
        w3.eth.default_account = Web3.to_checksum_address(self._reader)

    # ------------------------------------------------------------ creation

    @classmethod
    def pyevm(cls, *, gas_limit: int = BLOCK_GAS_LIMIT, genesis_time: int = EMBEDDED_GENESIS_TIME) -> Chain:
        """A fresh in-process eth-tester chain on py-evm (Prague): the reference backend.

        Its clock starts at ``genesis_time``, ahead of the wall clock, and ``Chain`` sets every
        block's time, so runs are reproducible.
        """
        from defi_int.chain.tester import TesterNode

        node = TesterNode(gas_limit=gas_limit, genesis_time=genesis_time)
        return cls(node, Web3(EthereumTesterProvider(node.tester)), kind="pyevm")

    #: The reference in-process chain; the name existing callers use for ``pyevm``.
    embedded = pyevm

    @classmethod
    def revm(cls, *, gas_limit: int = BLOCK_GAS_LIMIT, genesis_time: int = EMBEDDED_GENESIS_TIME) -> Chain:
        """A fresh in-process chain on revm in exact mode: the fast backend (see ``chain.revm``)."""
        from importlib.metadata import version

        from defi_int.chain.provider import NodeProvider
        from defi_int.chain.revm import RevmNode

        node = RevmNode(genesis_time=genesis_time, gas_limit=gas_limit)
        provider = NodeProvider(node, client=f"defi-int/revm (pyrevm {version('pyrevm')})")
        return cls(node, Web3(provider), kind="revm")

    @classmethod
    def connect(
        cls, url: str, *, timeout: float = 30.0, manage_clock: bool = True, policy: RetryPolicy | None = None
    ) -> Chain:
        """A JSON-RPC node at ``url``; raises ``NodeUnavailable`` when it does not answer.

        With ``manage_clock`` (the default, for local nodes: anvil, hardhat) every block's time is
        set through ``evm_setNextBlockTimestamp``; turn it off for a node whose clock is not ours
        (a keeper bot's). ``policy`` retries requests that fail in transit (``rpc.RetryPolicy``).
        """
        from defi_int.chain.rpc import RpcNode

        node = RpcNode(url, timeout=timeout, policy=policy)
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
        return cls(node, w3, kind="rpc", url=url, manage_clock=manage_clock)

    @classmethod
    def anvil(cls) -> Chain:
        """A fresh local anvil (from npm), started now and stopped by ``close``."""
        node = Anvil().start()
        try:
            chain = cls.connect(node.url)
        except BaseException:
            node.stop()
            raise
        chain.kind = "anvil"
        chain._anvil = node
        return chain

    @classmethod
    def open(cls, backend: str = DEFAULT_BACKEND, *, url: str | None = None, genesis_time: int | None = None) -> Chain:
        """A chain of ``backend`` (one of ``BACKENDS``; ``rpc`` needs ``url``).

        ``genesis_time`` sets the in-process backends' first block time (default
        ``EMBEDDED_GENESIS_TIME``); nodes keep their own.
        """
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if (backend == "rpc") != (url is not None):
            raise ConfigError("a node URL goes with the rpc backend, and only with it")
        genesis = EMBEDDED_GENESIS_TIME if genesis_time is None else genesis_time
        if backend == "revm":
            return cls.revm(genesis_time=genesis)
        if backend == "pyevm":
            return cls.pyevm(genesis_time=genesis)
        if backend == "anvil":
            return cls.anvil()
        assert url is not None
        return cls.connect(url)

    def close(self) -> None:
        """Releases the node: stops an anvil this chain started; the chain is unusable after."""
        self.node.close()
        if self._anvil is not None:
            self._anvil.stop()
            self._anvil = None

    def __enter__(self) -> Chain:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def name(self) -> str:
        """The backend for people: ``revm``, ``pyevm``, ``anvil`` (one this chain started), or the node's URL."""
        return self.url if self.kind == "rpc" and self.url else self.kind

    # ------------------------------------------------------------- helpers

    @contextmanager
    def _talking(self) -> Iterator[None]:
        """Turns transport failures under web3 into ``NodeUnavailable`` naming the node."""
        try:
            yield
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, TimeExhausted, OSError) as exc:
            raise NodeUnavailable(self.name, str(exc).splitlines()[0]) from exc

    @property
    def tester(self) -> EthereumTester:
        """The eth-tester behind the ``pyevm`` backend."""
        tester = getattr(self.node, "tester", None)
        if not isinstance(tester, EthereumTester):
            raise ChainError(f"this chain is {self.name}, not the pyevm backend")
        return tester

    def contract(self, name: str, address: str) -> Contract:
        """A web3 contract object for a shipped contract ``name`` at ``address``."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifacts.load(name).abi)

    # ------------------------------------------------------------ accounts

    def account(self, label: str, *, fund: bool = True) -> LocalAccount:
        """The account derived from ``label``, funded with ether on first use."""
        acct: LocalAccount = Account.from_key(keccak(_LABEL_SALT + label.encode()))
        if fund:
            self.fund(acct.address)
        return acct

    def fund(self, address: str, amount: int = ACCOUNT_ETHER) -> None:
        """Gives ``address`` ether from the backend's unlocked account, once (if it has less than half)."""
        if address in self._funded:
            return
        if self.node.balance(address) < amount // 2:
            if self._funder is None:
                raise ChainError(f"node at {self.name} has no unlocked account to fund {address} with ether")
            tx = {
                "from": self._funder,
                "to": checksum(address),
                "value": amount,
                "gas": 21_000,
                "maxFeePerGas": MAX_FEE_PER_GAS,
                "maxPriorityFeePerGas": 0,
            }
            timestamp = self._stamp()
            try:
                tx_hash = self.node.send_transaction(tx)
            except TransactionRejected as exc:
                raise TransactionFailed(f"funding {address} with ether: {exc}") from exc
            self.node.receipt(tx_hash)
            self._mined(timestamp)
        self._funded.add(address)

    # -------------------------------------------------------- transactions

    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = self.node.transaction_count(address, "pending")
        return self._nonces[address]

    def send(self, sender: LocalAccount, tx: dict[str, Any], *, label: str = "transaction") -> Receipt:
        """Signs and sends ``tx`` (must carry ``gas``; ``to``, ``data``, ``value`` optional), waits
        for it to be mined and returns its receipt; a failure raises (a revert as ``ContractRevert``)."""
        if "gas" not in tx:
            raise ChainError(f"{label}: every transaction needs explicit gas")
        data = tx.get("data", b"")
        if isinstance(data, str):
            data = bytes.fromhex(data.removeprefix("0x"))
        to = tx.get("to")
        needed = transactions.least_gas(data, create=not to)
        if int(tx["gas"]) < needed:
            raise TransactionFailed(
                f"{label}: gas {tx['gas']} is below the {needed} it needs before execution "
                "(intrinsic gas, and Prague's calldata floor)"
            )
        nonce = self._next_nonce(sender.address)
        raw, _ = transactions.sign(
            bytes(sender.key),
            chain_id=self.chain_id,
            nonce=nonce,
            gas=int(tx["gas"]),
            max_fee=int(tx.get("maxFeePerGas", MAX_FEE_PER_GAS)),
            priority_fee=int(tx.get("maxPriorityFeePerGas", 0)),
            to=checksum(to) if to else None,
            data=data,
            value=int(tx.get("value", 0)),
        )
        try:
            receipt = self.send_raw(raw, label=label)
        except TransactionFailed:
            self._nonces.pop(sender.address, None)
            raise
        self._nonces[sender.address] = nonce + 1
        if receipt.status == 1:
            return receipt
        raise self._explain_failure(sender.address, tx, data, receipt, label)

    def send_raw(self, raw: bytes, *, label: str = "transaction") -> Receipt:
        """Sends a transaction signed elsewhere in the next block and returns its receipt, status 0
        included (``Node.output`` tells why); a transaction the node refuses raises ``TransactionFailed``."""
        timestamp = self._stamp()
        try:
            tx_hash = self.node.send_raw_transaction(raw)
        except TransactionRejected as exc:
            raise TransactionFailed(f"{label}: the node refused it: {exc}") from exc
        receipt = self.node.receipt(tx_hash)
        self._mined(timestamp)
        return receipt

    def _explain_failure(
        self, sender: str, tx: dict[str, Any], data: bytes, receipt: Receipt, label: str
    ) -> TransactionFailed:
        tx_hash = "0x" + receipt.transaction_hash.hex()
        if receipt.gas_used >= int(tx["gas"]):
            return TransactionFailed(f"{label} ran out of gas ({tx['gas']} given)", tx_hash)
        output = self.node.output(receipt.transaction_hash)
        if output is not None:
            return decode_revert(output, tx_hash)
        # A node without a tracer: replay on the parent block (time-dependent reasons may differ).
        call = Call(sender, tx.get("to"), data, int(tx["gas"]), int(tx.get("value", 0)))
        try:
            self.node.call(call, receipt.block_number - 1)
        except CallReverted as exc:
            return decode_revert(exc.data, tx_hash)
        return TransactionFailed(f"{label} failed on-chain (status 0) and its replay gave no reason", tx_hash)

    def transact(
        self, sender: LocalAccount, fn: ContractFunction, *, gas: int = DEFAULT_GAS, value: int = 0
    ) -> Receipt:
        """Calls a contract function in a transaction from ``sender`` with explicit ``gas``."""
        tx = {"to": fn.address, "data": fn._encode_transaction_data(), "gas": gas, "value": value}
        return self.send(sender, tx, label=f"{fn.fn_name}")

    def deploy(self, sender: LocalAccount, name: str, *args: Any, gas: int = 6_000_000) -> Contract:
        """Deploys shipped contract ``name`` with constructor ``args``."""
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = self.send(sender, {"data": data, "gas": gas}, label=f"deploy {name}")
        address = receipt.contract_address
        if address is None:
            raise TransactionFailed(f"deploy {name}: the receipt names no contract address")
        return self.contract(name, address)

    def call(self, fn: ContractFunction, *, sender: str | None = None, block: BlockIdentifier = "latest") -> Any:
        """Reads ``fn`` through web3; a revert is raised as a decoded ``ContractRevert``."""
        with self._reading():
            return fn.call({"from": sender} if sender else {}, block_identifier=block)

    def eth_call(
        self,
        data: bytes,
        *,
        to: str | None = None,
        gas: int | None = None,
        block: BlockId = "latest",
        sender: str | None = None,
    ) -> bytes:
        """The raw output of an ``eth_call`` of ``data`` to ``to`` (without ``to``: running ``data``
        as creation code); a revert is raised as a decoded ``ContractRevert``."""
        call = Call(sender or self._reader, checksum(to) if to else None, data, gas)
        try:
            return self.node.call(call, block)
        except CallReverted as exc:
            raise decode_revert(exc.data) from exc

    def latest_reads(self) -> dict[bytes, bytes] | None:
        """A memo of view results on the latest state, for a node that versions its state
        (``Node.state_version``; in process), else None.

        ``multiread.read_many`` keeps each view's output here under its call (target and calldata)
        and reads only what is missing: the keeper's snapshot after the liquidator's look at the
        same block, or the end-of-step read of a step that sent nothing, cost no second execution.
        Any write or block empties it, so a value is never older than the state it is read on.
        """
        version = self.node.state_version
        if version is None:
            return None
        if version != self._memo_version:
            self._memo = {}
            self._memo_version = version
        return self._memo

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """``_talking``, and a revert raised as a decoded ``ContractRevert``."""
        with self._talking():
            try:
                yield
            except Web3RPCError as exc:
                raise ChainError(f"{self.name}: {exc}") from exc
            except Exception as exc:
                if not _reverts(exc):
                    raise
                data = revert_data(exc)
                raise (decode_revert(data) if data is not None else TransactionFailed(str(exc))) from exc

    # ------------------------------------------------------- time & state

    def block_number(self) -> int:
        return self.node.block_number()

    def timestamp(self) -> int:
        """Timestamp of the latest block."""
        block = self.node.block("latest")
        if block is None:
            raise ChainError(f"{self.name} has no latest block")
        return block.timestamp

    def next_timestamp(self) -> int:
        """The timestamp the next block will carry (on a chain whose clock ``Chain`` manages)."""
        if self._clock is None:
            self._clock = self.timestamp() + 1
        return self._clock

    def _stamp(self) -> int | None:
        """Gives the node the next block's timestamp; returns it (None when the clock is not ours)."""
        if not self.manage_clock:
            return None
        timestamp = self.next_timestamp()
        try:
            self.node.set_next_block_timestamp(timestamp)
        except RpcError:
            # Another writer mined on this node since our clock was last set (a shared test node, a
            # keeper on the same anvil): the clock resumes one second after the node's latest block.
            timestamp = self._clock = self.timestamp() + 1
            self.node.set_next_block_timestamp(timestamp)
        return timestamp

    def _mined(self, timestamp: int | None) -> None:
        if timestamp is not None:
            self._clock = timestamp + 1

    def mine(self) -> None:
        """Mines one empty block."""
        timestamp = self._stamp()
        self.node.mine()
        self._mined(timestamp)

    def set_next_block_timestamp(self, timestamp: int) -> None:
        """Makes the next block (the next transaction's) carry ``timestamp``; later blocks follow
        one second apart. It must be later than the latest block."""
        latest = self.timestamp()
        if timestamp <= latest:
            raise ChainError(f"cannot set the next block time to {timestamp}: the latest block is at {latest}")
        if not self.manage_clock:
            self.node.set_next_block_timestamp(timestamp)
        self._clock = timestamp

    def snapshot(self) -> int:
        """Takes a snapshot of the chain state; ``revert(id)`` returns to it."""
        snapshot_id = self.node.snapshot()
        self._clocks[snapshot_id] = self._clock
        return snapshot_id

    def revert(self, snapshot_id: int) -> None:
        """Returns to ``snapshot_id``; on a node the snapshot is used up, take a new one to reuse."""
        self._nonces.clear()
        self._funded.clear()
        if not self.node.revert(snapshot_id):
            raise ChainError(f"{self.name} could not revert to snapshot {snapshot_id}")
        self._clock = self._clocks.get(snapshot_id)
