"""A chain to deploy on and send transactions to: embedded (eth-tester on py-evm) or any JSON-RPC node.

Both backends go through the same path: every transaction is built with explicit gas, signed
locally by an eth-account ``LocalAccount`` and sent raw, so tests, simulations and the keeper behave
the same on py-evm and on anvil. A failed transaction is replayed as a call on the block before it
to recover its revert data, which ``errors.decode_revert`` turns into a ``ContractRevert``.

Accounts are derived deterministically from labels (``chain.account("trader-3")``) and funded with
ether from the backend's first unlocked account, so the same scenario sees the same addresses
everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError as EthValidationError
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import BlockIdentifier, TxReceipt, Wei

from defi_int.chain import artifacts
from defi_int.chain.errors import decode_revert, revert_data
from defi_int.exceptions import ChainError, NodeUnavailable, TransactionFailed

#: Fee cap for every transaction: far above any base fee a local chain reaches, paid only up to it.
MAX_FEE_PER_GAS = 50 * 10**9
#: Ether given to every derived account on first use.
ACCOUNT_ETHER = 100 * 10**18
DEFAULT_GAS = 1_000_000
#: 2033-05-18: ahead of the wall clock, so embedded block times are deterministic.
EMBEDDED_GENESIS_TIME = 2_000_000_000
_LABEL_SALT = b"defi-int account v1:"


def _reverts(exc: BaseException) -> bool:
    return isinstance(exc, (ContractLogicError, EthTesterTransactionFailed))


class Chain:
    """One connection to one chain; see the module docstring."""

    def __init__(self, w3: Web3, *, kind: str, url: str | None = None, tester: EthereumTester | None = None):
        self.w3 = w3
        self.kind = kind
        self.url = url
        self._tester = tester
        self._nonces: dict[str, int] = {}
        self._funded: set[str] = set()
        self._snapshots: dict[int, Any] = {}
        with self._talking():
            self.chain_id: int = w3.eth.chain_id
            self._funder = w3.eth.accounts[0] if w3.eth.accounts else None
        # Reads need a sender; without one, web3 asks the node for its accounts on every call.
        w3.eth.default_account = Web3.to_checksum_address(self._funder or "0x" + "00" * 20)

    # ------------------------------------------------------------ creation

    @classmethod
    def embedded(cls, *, gas_limit: int = 60_000_000, genesis_time: int = EMBEDDED_GENESIS_TIME) -> Chain:
        """A fresh in-process chain (eth-tester on py-evm, latest fork py-evm knows).

        Its clock starts at ``genesis_time`` and moves one second per block: py-evm stamps a block
        with ``max(parent + 1, wall clock)``, so a genesis ahead of the wall clock makes block times
        independent of how long anything takes, and runs reproducible.
        """
        params = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": gas_limit, "timestamp": genesis_time})
        tester = EthereumTester(PyEVMBackend(genesis_parameters=params))
        return cls(Web3(EthereumTesterProvider(tester)), kind="embedded", tester=tester)

    @classmethod
    def connect(cls, url: str, *, timeout: float = 30.0) -> Chain:
        """A JSON-RPC node at ``url``; raises ``NodeUnavailable`` when it does not answer."""
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
        chain = cls(w3, kind="rpc", url=url)
        return chain

    # ------------------------------------------------------------- helpers

    @contextmanager
    def _talking(self) -> Iterator[None]:
        """Turns transport failures into ``NodeUnavailable`` naming the node."""
        try:
            yield
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, TimeExhausted, OSError) as exc:
            raise NodeUnavailable(self.url or "embedded", str(exc).splitlines()[0]) from exc

    @property
    def tester(self) -> EthereumTester:
        if self._tester is None:
            raise ChainError("this chain is a JSON-RPC node, not the embedded eth-tester")
        return self._tester

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
        """Gives ``address`` ether from the backend's unlocked account, once."""
        if address in self._funded:
            return
        if self._funder is None:
            raise ChainError(f"node at {self.url} has no unlocked account to fund {address} with ether")
        with self._talking():
            target = Web3.to_checksum_address(address)
            if self.w3.eth.get_balance(target) < amount // 2:
                tx = self.w3.eth.send_transaction(
                    {"from": self._funder, "to": target, "value": Wei(amount), "gas": 21_000}
                )
                self.w3.eth.wait_for_transaction_receipt(tx)
        self._funded.add(address)

    # -------------------------------------------------------- transactions

    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            with self._talking():
                self._nonces[address] = self.w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending")
        return self._nonces[address]

    def send(self, sender: LocalAccount, tx: dict[str, Any], *, label: str = "transaction") -> TxReceipt:
        """Signs and sends ``tx`` (must carry ``gas``), waits for it and raises on failure."""
        if "gas" not in tx:
            raise ChainError(f"{label}: every transaction needs explicit gas")
        tx = {
            "chainId": self.chain_id,
            "nonce": self._next_nonce(sender.address),
            "maxFeePerGas": MAX_FEE_PER_GAS,
            "maxPriorityFeePerGas": 0,
            "value": 0,
            **tx,
        }
        tx.pop("from", None)
        signed = sender.sign_transaction(tx)
        with self._talking():
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except (
                ValueError,
                Web3RPCError,
                EthValidationError,
                ContractLogicError,
                EthTesterTransactionFailed,
            ) as exc:
                self._nonces.pop(sender.address, None)
                data = revert_data(exc)
                raise (decode_revert(data) if data is not None else TransactionFailed(f"{label}: {exc}")) from exc
            self._nonces[sender.address] = tx["nonce"] + 1
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] == 1:
            return receipt
        raise self._explain_failure(sender.address, tx, receipt, label)

    def _explain_failure(self, sender: str, tx: dict[str, Any], receipt: TxReceipt, label: str) -> TransactionFailed:
        tx_hash = receipt["transactionHash"].to_0x_hex()
        if receipt["gasUsed"] >= tx["gas"]:
            return TransactionFailed(f"{label} ran out of gas ({tx['gas']} given)", tx_hash)
        if self._tester is None:
            # A node can tell the real revert output; a replay on the parent block would run at
            # the parent's time and miss time-dependent reasons (expiry, stale prices).
            data = self._traced_revert_data(tx_hash)
            if data is not None:
                return decode_revert(data, tx_hash)
        call = {
            "from": sender,
            "to": tx.get("to"),
            "data": tx.get("data", "0x"),
            "value": tx["value"],
            "gas": tx["gas"],
        }
        # eth-tester: the failed transaction left the state as it was, so replaying on the latest
        # block runs it again at (or after) the time it failed, keeping time-dependent reasons.
        block = "latest" if self._tester is not None else receipt["blockNumber"] - 1
        try:
            with self._talking():
                self.w3.eth.call(call, block)  # type: ignore[arg-type]
        except Exception as exc:
            data = revert_data(exc)
            if data is not None:
                return decode_revert(data, tx_hash)
        return TransactionFailed(f"{label} failed on-chain (status 0) and its replay gave no reason", tx_hash)

    def _traced_revert_data(self, tx_hash: str) -> bytes | None:
        try:
            with self._talking():
                result = self.w3.provider.make_request(
                    "debug_traceTransaction",  # type: ignore[arg-type]
                    [tx_hash, {"tracer": "callTracer"}],
                )
        except NodeUnavailable:
            raise
        except Exception:
            return None
        output = (result.get("result") or {}).get("output")
        if isinstance(output, str) and output.startswith("0x"):
            return bytes.fromhex(output[2:])
        return None

    def transact(
        self, sender: LocalAccount, fn: ContractFunction, *, gas: int = DEFAULT_GAS, value: int = 0
    ) -> TxReceipt:
        """Calls a contract function in a transaction from ``sender`` with explicit ``gas``."""
        tx = {"to": fn.address, "data": fn._encode_transaction_data(), "gas": gas, "value": value}
        return self.send(sender, tx, label=f"{fn.fn_name}")

    def deploy(self, sender: LocalAccount, name: str, *args: Any, gas: int = 6_000_000) -> Contract:
        """Deploys shipped contract ``name`` with constructor ``args``."""
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = self.send(sender, {"data": data, "gas": gas}, label=f"deploy {name}")
        address = receipt["contractAddress"]
        if address is None:
            raise TransactionFailed(f"deploy {name}: the receipt names no contract address")
        return self.contract(name, address)

    def call(self, fn: ContractFunction, *, sender: str | None = None, block: BlockIdentifier = "latest") -> Any:
        """Reads ``fn``; a revert is raised as a decoded ``ContractRevert``."""
        with self._reading():
            return fn.call({"from": sender} if sender else {}, block_identifier=block)

    def eth_call(
        self, data: bytes, *, to: str | None = None, gas: int | None = None, block: BlockIdentifier = "latest"
    ) -> bytes:
        """The raw output of an ``eth_call`` of ``data`` to ``to`` (without ``to``: running ``data``
        as creation code); a revert is raised as a decoded ``ContractRevert``."""
        tx: dict[str, Any] = {"data": data}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        if gas is not None:
            tx["gas"] = gas
        with self._reading():
            return bytes(self.w3.eth.call(tx, block))  # type: ignore[arg-type]

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """``_talking``, and a revert raised as a decoded ``ContractRevert``."""
        with self._talking():
            try:
                yield
            except Exception as exc:
                if not _reverts(exc):
                    raise
                data = revert_data(exc)
                raise (decode_revert(data) if data is not None else TransactionFailed(str(exc))) from exc

    # ------------------------------------------------------- time & state

    def block_number(self) -> int:
        with self._talking():
            return int(self.w3.eth.block_number)

    def timestamp(self) -> int:
        """Timestamp of the latest block."""
        with self._talking():
            return int(self.w3.eth.get_block("latest")["timestamp"])

    def mine(self) -> None:
        """Mines one empty block."""
        with self._talking():
            if self._tester is not None:
                self._tester.mine_blocks(1)
            else:
                self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def set_next_block_timestamp(self, timestamp: int) -> None:
        """Makes the next block (the next transaction's, with automine) carry ``timestamp``.

        It must be later than the latest block. On eth-tester this mines an empty block at
        ``timestamp - 1`` on the way, which is how its time travel works.
        """
        latest = self.timestamp()
        if timestamp <= latest + (1 if self._tester is not None else 0):
            raise ChainError(f"cannot set the next block time to {timestamp}: the latest block is at {latest}")
        with self._talking():
            if self._tester is not None:
                self._tester.time_travel(timestamp)
            else:
                self.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]

    def snapshot(self) -> int:
        """Takes a snapshot of the chain state; ``revert(id)`` returns to it."""
        with self._talking():
            if self._tester is not None:
                return int(self._tester.take_snapshot())
            result = self.w3.provider.make_request("evm_snapshot", [])  # type: ignore[arg-type]
            return int(result["result"], 16)

    def revert(self, snapshot_id: int) -> None:
        """Returns to ``snapshot_id``; on a node the snapshot is used up, take a new one to reuse."""
        self._nonces.clear()
        self._funded.clear()
        with self._talking():
            if self._tester is not None:
                self._tester.revert_to_snapshot(snapshot_id)
                return
            result = self.w3.provider.make_request("evm_revert", [hex(snapshot_id)])  # type: ignore[arg-type]
            if result.get("result") is not True:
                raise ChainError(f"node could not revert to snapshot {snapshot_id}: {result}")
