"""An in-process EVM on revm (PyPI ``pyrevm``), gas exact to the unit: ``RevmNode``.

Why: py-evm interprets every opcode in Python; revm runs the same contracts about fifty times
faster. pyrevm alone is not a node, though. It never finalizes revm's journal, so an account or
slot touched by an earlier call stays warm, the SSTORE "original" value is that of the first call
that loaded it, and transient storage persists: used as is, 56 of the 70 transactions of the
differential test's recording get another gasUsed than on py-evm (a 24-fill settle: 572,097
instead of 665,997). It builds on revm 8 with Cancun rules, so it also lacks Prague's EIP-7623
calldata floor.

How every transaction runs here (the "exact mode")::

    raw tx ─ decode, recover sender, check like a node (nonce, gas, fees, funds) ─▶ block env
      ─▶ evm.snapshot() ─▶ message_call / deploy ─▶ result (gas, logs, output or revert data)
      ─▶ read the post-state of every touched account and slot from revm's journal
      ─▶ evm.revert(snapshot): the journal is empty again, nothing is warm, no transient storage
      ─▶ write the post-state into revm's database (and an undo log for snapshots)
      ─▶ gasUsed = max(revm's gas, EIP-7623 floor); fee charged; one block mined; receipt

So each transaction starts from a cold journal whose originals are the committed values, as on a
node. Reads (``call``) run the same way and write nothing back. The differential test
(tests/integration/test_backends_agree.py) replays one recorded sequence of transactions on
py-evm, here and on anvil and compares every gasUsed, status, output and log.

Limits, all checked or refused with a clear error:
- State is kept for the latest block only: ``call`` at an older block raises ``ChainError``.
- Fees: a base fee per EIP-1559 is charged and reported, but execution sees BASEFEE = 0 and
  GASPRICE = 0 (pyrevm fixes both), and BLOCKHASH answers revm's placeholder, not these blocks'
  hashes. The shipped contracts read none of them.
- Block hashes are this node's own (keccak over the block's fields), not RLP header hashes.
- Legacy, EIP-2930 and EIP-1559 transactions; blob and set-code transactions are refused.
- Rules are Cancun plus the Prague calldata floor: enough for contracts compiled for Prague that
  use no Prague-only precompile (BLS12-381) or EIP-7702 delegation.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import pyrevm
from eth_account import Account
from eth_utils.crypto import keccak

from defi_int.chain.node import (
    LOCAL_CHAIN_ID,
    Block,
    BlockId,
    Call,
    CallReverted,
    Log,
    Receipt,
    TransactionRejected,
    checksum,
)
from defi_int.chain.transactions import (
    MAX_INITCODE_SIZE,
    SignedTx,
    decode_transaction,
    floor_gas,
    intrinsic_gas,
    sign,
)
from defi_int.exceptions import ChainError
from defi_int.hashing import keccak256

SPEC = "Cancun"
GAS_LIMIT = 60_000_000
GENESIS_BASE_FEE = 1_000_000_000
#: The account the node signs for (eth-tester's first account: private key 1), with its ether.
FUNDER_KEY = (1).to_bytes(32, "big")
FUNDER_ETHER = 1_000_000 * 10**18
COINBASE = "0x0000000000000000000000000000000000000000"

EMPTY_CODE_HASH = keccak(b"")

_ACCOUNT = re.compile(r"(0x[0-9a-f]{40}): Account \{ info: AccountInfo \{ balance: (\d+), nonce: (\d+), code_hash: 0x")
_HEADER = ": Account { info: AccountInfo { balance: "
_SLOT = re.compile(r"(\d+): StorageSlot \{ previous_or_original_value: (\d+), present_value: (\d+) \}")
_OUTPUT = re.compile(r"output: 0x([0-9a-f]*)")


@dataclass(frozen=True)
class _Account:
    balance: int = 0
    nonce: int = 0
    code_hash: bytes = EMPTY_CODE_HASH


_EMPTY = _Account()


@dataclass
class _Outcome:
    success: bool
    gas_used: int
    output: bytes
    logs: list[tuple[str, tuple[bytes, ...], bytes]] = field(default_factory=list)
    created: str | None = None
    halt: str | None = None


@dataclass
class _Snapshot:
    undo: int
    blocks: int
    next_timestamp: int | None


class RevmNode:
    """A chain in this process on revm; see the module docstring."""

    name = "revm"

    def __init__(
        self,
        *,
        chain_id: int = LOCAL_CHAIN_ID,
        genesis_time: int | None = None,
        gas_limit: int = GAS_LIMIT,
    ) -> None:
        self._chain_id = chain_id
        self._gas_limit = gas_limit
        # "raw": created code is kept as returned; revm's analysed form is padded with 33 zero bytes,
        # which ``get_code`` (the output of a creation, the code written back) would include.
        cfg = pyrevm.CfgEnv(chain_id=chain_id, perf_analyse_created_bytecodes="raw")
        self._evm = pyrevm.EVM(env=pyrevm.Env(cfg=cfg), gas_limit=gas_limit, spec_id=SPEC)
        self._accounts: dict[str, _Account] = {}
        self._undo: list[tuple[str, Any, Any, Any]] = []
        self._snapshots: dict[int, _Snapshot] = {}
        self._snapshot_ids = 0
        self._blocks: list[Block] = []
        self._by_hash: dict[bytes, Block] = {}
        self._receipts: dict[bytes, Receipt] = {}
        self._outputs: dict[bytes, bytes] = {}
        self._inputs: dict[bytes, bytes] = {}
        self._next_timestamp: int | None = None
        self._block_env: tuple[int, int, int] | None = None  # what ``_set_block_env`` last set
        self._version = 0  # ``state_version``: bumped by every write to revm's database and every block
        self._funder: str = Account.from_key(FUNDER_KEY).address
        funder = self._funder.lower()
        self._write_account(funder, _Account(balance=FUNDER_ETHER))
        genesis = int(time.time()) if genesis_time is None else genesis_time
        self._append_block(genesis, 0, GENESIS_BASE_FEE, ())

    # ------------------------------------------------------------------ reads

    @property
    def state_version(self) -> int | None:
        """Changes with every account or slot written (a transaction, a revert) and every block
        appended (``Node.state_version``): calls run on the database and the latest block only."""
        return self._version

    def chain_id(self) -> int:
        return self._chain_id

    def accounts(self) -> list[str]:
        return [self._funder]

    def block_number(self) -> int:
        return self._blocks[-1].number

    def block(self, block: BlockId = "latest") -> Block | None:
        if isinstance(block, bytes):
            return self._by_hash.get(block)
        if block in ("latest", "pending"):
            return self._blocks[-1]
        if block == "earliest":
            return self._blocks[0]
        if isinstance(block, int) and 0 <= block < len(self._blocks):
            return self._blocks[block]
        return None

    def transaction_count(self, address: str, block: BlockId = "pending") -> int:
        self._latest_only(block)
        return self._account(address.lower()).nonce

    def balance(self, address: str) -> int:
        return self._account(address.lower()).balance

    def code(self, address: str) -> bytes:
        if self._account(address.lower()).code_hash == EMPTY_CODE_HASH:
            return b""
        return self._isolated(lambda: self._evm.get_code(address.lower())) or b""

    def storage(self, address: str, slot: int) -> int:
        value: int = self._isolated(lambda: self._evm.storage(address.lower(), slot))
        return value

    def call(self, call: Call, block: BlockId = "latest") -> bytes:
        self._latest_only(block)
        latest = self._blocks[-1]
        self._set_block_env(latest.number, latest.timestamp, latest.base_fee)
        gas = self._gas_limit if call.gas is None else call.gas
        outcome = self._run(call.sender.lower(), call.to.lower() if call.to else None, call.data, call.value, gas)
        if not outcome.success:
            raise CallReverted(outcome.output, f"execution {'halted: ' + outcome.halt if outcome.halt else 'reverted'}")
        return outcome.output

    def receipt(self, tx_hash: bytes, *, timeout: float = 120.0) -> Receipt:
        receipt = self._receipts.get(tx_hash)
        if receipt is None:
            raise ChainError(f"revm has no transaction 0x{tx_hash.hex()}")
        return receipt

    def find_receipt(self, tx_hash: bytes) -> Receipt | None:
        return self._receipts.get(tx_hash)

    def output(self, tx_hash: bytes) -> bytes | None:
        return self._outputs.get(tx_hash)

    def transaction_input(self, tx_hash: bytes) -> bytes | None:
        return self._inputs.get(tx_hash)

    def logs(
        self,
        *,
        from_block: int,
        to_block: int | None = None,
        address: str | list[str] | None = None,
        topics: list[bytes | list[bytes] | None] | None = None,
    ) -> list[Log]:
        last = self.block_number() if to_block is None else min(to_block, self.block_number())
        addresses = (
            None if address is None else {a.lower() for a in ([address] if isinstance(address, str) else address)}
        )
        wanted = [None if t is None else {t} if isinstance(t, bytes) else set(t) for t in topics or []]
        found = []
        for block in self._blocks[max(0, from_block) : last + 1]:
            for tx_hash in block.transactions:
                for log in self._receipts[tx_hash].logs:
                    if addresses is not None and log.address.lower() not in addresses:
                        continue
                    if any(
                        t is not None and (i >= len(log.topics) or log.topics[i] not in t) for i, t in enumerate(wanted)
                    ):
                        continue
                    found.append(log)
        return found

    # ----------------------------------------------------------- transactions

    def send_raw_transaction(self, raw: bytes) -> bytes:
        tx = self._decode(raw)
        self._validate(tx)
        number = self.block_number() + 1
        timestamp = self._take_timestamp()
        base_fee = self._next_base_fee()
        self._set_block_env(number, timestamp, base_fee)
        outcome = self._run(tx.sender, tx.to, tx.data, tx.value, tx.gas, access_list=tx.access_list, commit=True)
        gas_used = max(outcome.gas_used, floor_gas(tx.data))
        price = min(tx.max_fee, base_fee + tx.priority_fee)
        sender = self._account(tx.sender)
        fee = gas_used * price
        self._write_account(tx.sender, _Account(sender.balance - fee, tx.nonce + 1, sender.code_hash))
        tip = gas_used * (price - base_fee)
        if tip:
            coinbase = self._account(COINBASE)
            self._write_account(COINBASE, _Account(coinbase.balance + tip, coinbase.nonce, coinbase.code_hash))
        block = self._append_block(timestamp, gas_used, base_fee, (tx.hash,))
        logs = tuple(
            Log(checksum(address), topics, data, block.number, block.hash, tx.hash, 0, index)
            for index, (address, topics, data) in enumerate(outcome.logs)
        )
        self._receipts[tx.hash] = Receipt(
            transaction_hash=tx.hash,
            block_number=block.number,
            block_hash=block.hash,
            transaction_index=0,
            sender=checksum(tx.sender),
            to=checksum(tx.to) if tx.to else None,
            contract_address=checksum(outcome.created) if outcome.created else None,
            status=1 if outcome.success else 0,
            gas_used=gas_used,
            cumulative_gas_used=gas_used,
            effective_gas_price=price,
            logs=logs,
            type=tx.type,
        )
        self._outputs[tx.hash] = outcome.output
        self._inputs[tx.hash] = bytes(tx.data)
        return tx.hash

    def send_transaction(self, tx: dict[str, Any]) -> bytes:
        """Signs ``tx`` with the funder's key (the one account this node signs for) and sends it."""
        sender = str(tx.get("from", "")).lower()
        if sender != self._funder.lower():
            raise TransactionRejected(f"revm signs only for {self._funder}, not {tx.get('from')}")
        raw, _ = sign(
            FUNDER_KEY,
            chain_id=self._chain_id,
            nonce=int(tx.get("nonce", self._account(sender).nonce)),
            gas=int(tx["gas"]),
            max_fee=int(tx.get("maxFeePerGas", 2 * self._next_base_fee())),
            priority_fee=int(tx.get("maxPriorityFeePerGas", 0)),
            to=tx.get("to"),
            data=tx.get("data", b""),
            value=int(tx.get("value", 0)),
        )
        return self.send_raw_transaction(raw)

    # ------------------------------------------------------------- time & state

    def set_next_block_timestamp(self, timestamp: int) -> None:
        latest = self._blocks[-1].timestamp
        if timestamp <= latest:
            raise ChainError(f"revm: the next block's time {timestamp} must be after the latest block's {latest}")
        self._next_timestamp = timestamp

    def mine(self) -> None:
        self._append_block(self._take_timestamp(), 0, self._next_base_fee(), ())

    def snapshot(self) -> int:
        self._snapshot_ids += 1
        self._snapshots[self._snapshot_ids] = _Snapshot(len(self._undo), len(self._blocks), self._next_timestamp)
        return self._snapshot_ids

    def revert(self, snapshot_id: int) -> bool:
        snap = self._snapshots.get(snapshot_id)
        if snap is None:
            return False
        for later in [i for i in self._snapshots if i >= snapshot_id]:
            del self._snapshots[later]
        while len(self._undo) > snap.undo:
            kind, address, key, old = self._undo.pop()
            if kind == "account":
                self._insert_account(address, old, code=None)
            else:
                self._insert_slot(address, key, old)
        if not self._snapshots:
            self._undo.clear()
        for block in self._blocks[snap.blocks :]:
            del self._by_hash[block.hash]
            for tx_hash in block.transactions:
                self._receipts.pop(tx_hash, None)
                self._outputs.pop(tx_hash, None)
        del self._blocks[snap.blocks :]
        self._version += 1  # the latest block is another one
        self._next_timestamp = snap.next_timestamp
        return True

    def close(self) -> None:
        """Nothing to release: the chain lives as long as this object."""

    # ---------------------------------------------------------------- internals

    def _latest_only(self, block: BlockId) -> None:
        if block in ("latest", "pending") or block == self.block_number():
            return
        raise ChainError(f"the revm backend keeps only the latest state; it cannot read at block {block!r}")

    def _account(self, address: str) -> _Account:
        return self._accounts.get(address, _EMPTY)

    def _isolated(self, read: Any) -> Any:
        """Runs ``read`` on revm and undoes whatever it loaded into the journal (nothing stays warm)."""
        checkpoint = self._evm.snapshot()
        try:
            return read()
        finally:
            self._evm.revert(checkpoint)

    def _take_timestamp(self) -> int:
        timestamp = self._next_timestamp or self._blocks[-1].timestamp + 1
        self._next_timestamp = None
        return timestamp

    def _next_base_fee(self) -> int:
        """EIP-1559: the base fee of the block after the latest."""
        parent = self._blocks[-1]
        target = parent.gas_limit // 2
        if parent.gas_used == target:
            return parent.base_fee
        delta = parent.base_fee * abs(parent.gas_used - target) // target // 8
        if parent.gas_used > target:
            return parent.base_fee + max(delta, 1)
        return parent.base_fee - delta

    def _append_block(self, timestamp: int, gas_used: int, base_fee: int, txs: tuple[bytes, ...]) -> Block:
        parent = self._blocks[-1].hash if self._blocks else b"\0" * 32
        number = len(self._blocks)
        digest = keccak256(
            b"defi-int revm block" + parent + number.to_bytes(32, "big") + timestamp.to_bytes(32, "big") + b"".join(txs)
        )
        block = Block(number, digest, parent, timestamp, self._gas_limit, gas_used, base_fee, txs)
        self._version += 1
        self._blocks.append(block)
        self._by_hash[digest] = block
        return block

    def _set_block_env(self, number: int, timestamp: int, base_fee: int) -> None:
        if self._block_env == (number, timestamp, base_fee):
            return  # the reads of one block, one after the other
        self._block_env = (number, timestamp, base_fee)
        self._evm.set_block_env(
            pyrevm.BlockEnv(
                number=number,
                coinbase=COINBASE,
                timestamp=timestamp,
                prevrandao=keccak256(number.to_bytes(32, "big")),
                basefee=base_fee,
                gas_limit=self._gas_limit,
                excess_blob_gas=0,
            )
        )

    def _decode(self, raw: bytes) -> SignedTx:
        try:
            tx = decode_transaction(raw)
        except Exception as exc:  # RLP, signature and field errors alike: the node refuses it
            raise TransactionRejected(f"not a valid signed transaction: {exc}") from exc
        if tx.chain_id is not None and tx.chain_id != self._chain_id:
            raise TransactionRejected(f"transaction for chain {tx.chain_id}, this chain is {self._chain_id}")
        return tx

    def _validate(self, tx: SignedTx) -> None:
        """What a node checks before it mines a transaction."""
        account = self._account(tx.sender)
        if tx.nonce != account.nonce:
            relation = "too low" if tx.nonce < account.nonce else "too high"
            raise TransactionRejected(f"nonce {relation}: {tx.sender} sent nonce {tx.nonce}, expected {account.nonce}")
        if tx.gas > self._gas_limit:
            raise TransactionRejected(f"gas {tx.gas} exceeds the block gas limit {self._gas_limit}")
        if tx.to is None and len(tx.data) > MAX_INITCODE_SIZE:
            raise TransactionRejected(f"initcode of {len(tx.data)} bytes exceeds {MAX_INITCODE_SIZE}")
        needed = max(intrinsic_gas(tx.data, create=tx.to is None, access_list=tx.access_list), floor_gas(tx.data))
        if tx.gas < needed:
            raise TransactionRejected(f"intrinsic gas too low: gas {tx.gas}, needs at least {needed}")
        base_fee = self._next_base_fee()
        if tx.max_fee < base_fee:
            raise TransactionRejected(f"max fee per gas {tx.max_fee} is below the block's base fee {base_fee}")
        if tx.priority_fee > tx.max_fee:
            raise TransactionRejected("max priority fee per gas is above max fee per gas")
        cost = tx.gas * tx.max_fee + tx.value
        if account.balance < cost:
            raise TransactionRejected(f"insufficient funds: {tx.sender} has {account.balance} wei, needs {cost}")
        if account.code_hash != EMPTY_CODE_HASH:
            raise TransactionRejected(f"sender {tx.sender} is a contract (EIP-3607)")

    def _run(
        self,
        sender: str,
        to: str | None,
        data: bytes,
        value: int,
        gas: int,
        *,
        access_list: tuple[Any, ...] = (),
        commit: bool = False,
    ) -> _Outcome:
        """One execution on a cold journal; with ``commit`` its post-state is written back."""
        evm = self._evm
        writes = None
        if access_list:
            evm.set_tx_env(pyrevm.TxEnv(access_list=[(a, list(slots)) for a, slots in access_list]))
        checkpoint = evm.snapshot()
        try:
            try:
                if to is None:
                    created = evm.deploy(sender, data, value=value, gas=gas)
                    output = evm.get_code(created) or b""
                    outcome = _Outcome(True, 0, output, created=created.lower())
                else:
                    outcome = _Outcome(True, 0, bytes(evm.message_call(sender, to, data, value=value, gas=gas)))
            except RuntimeError as exc:
                if evm.result is None:
                    raise ChainError(f"revm refused to run the transaction: {exc}") from exc
                outcome = self._failure(str(exc))
            result = evm.result
            if result is None:
                raise ChainError("revm ran the transaction but reported no result")
            outcome.gas_used = result.gas_used
            if outcome.success:
                outcome.logs = [(log.address.lower(), tuple(log.data[0]), bytes(log.data[1])) for log in result.logs]
                if commit:
                    writes = self._post_state()
        finally:
            evm.revert(checkpoint)
            if access_list:
                evm.set_tx_env(pyrevm.TxEnv())
        if writes is not None:
            accounts, slots = writes
            for address, key, value_, original in slots:
                self._write_slot(address, key, value_, original)
            for address, account in accounts.items():
                self._write_account(address, account, code=outcome.output if address == outcome.created else None)
        return outcome

    @staticmethod
    def _failure(message: str) -> _Outcome:
        if message.startswith("Revert"):
            match = _OUTPUT.search(message)
            return _Outcome(False, 0, bytes.fromhex(match.group(1)) if match else b"")
        reason = message.split("reason: ", 1)[-1].split(",", 1)[0] if "reason: " in message else message
        return _Outcome(False, 0, b"", halt=reason)

    def _post_state(self) -> tuple[dict[str, _Account], list[tuple[str, int, int, int]]]:
        """Every touched account whose info changed and every slot whose value changed.

        The journal's text holds each touched contract's whole bytecode: the account headers are
        found with ``str.find`` and only the headers and storage bodies are read with expressions."""
        text = self._evm.journal_str
        end = text.find("}, transient_storage: ")
        end = len(text) if end < 0 else end
        starts = []
        at = text.find(_HEADER, 0, end)
        while at >= 0:
            starts.append(at - 42)  # the 0x-hex address before the header
            at = text.find(_HEADER, at + len(_HEADER), end)
        accounts: dict[str, _Account] = {}
        slots: list[tuple[str, int, int, int]] = []
        for index, start in enumerate(starts):
            header = _ACCOUNT.match(text, start)
            if header is None:
                raise ChainError(f"revm's journal changed its format near {text[start : start + 120]!r}")
            address = header.group(1)
            stop = starts[index + 1] if index + 1 < len(starts) else end
            code_hash = bytes.fromhex(text[header.end() : header.end() + 64])
            account = _Account(int(header.group(2)), int(header.group(3)), code_hash)
            if account != self._account(address):
                accounts[address] = account
            body_at = text.find("storage: {", header.end(), stop)
            if body_at < 0:
                continue
            for slot in _SLOT.finditer(text, body_at, stop):
                original, present = int(slot.group(2)), int(slot.group(3))
                if original != present:
                    slots.append((address, int(slot.group(1)), present, original))
        return accounts, slots

    def _write_account(self, address: str, account: _Account, *, code: bytes | None = None) -> None:
        if self._snapshots:  # the undo log is kept only while a snapshot may need it
            self._undo.append(("account", address, None, self._account(address)))
        self._insert_account(address, account, code=code)

    def _insert_account(self, address: str, account: _Account, *, code: bytes | None) -> None:
        self._version += 1
        if account == _EMPTY:
            self._accounts.pop(address, None)
        else:
            self._accounts[address] = account
        info = pyrevm.AccountInfo(  # type: ignore[call-arg]  # the stub omits ``balance``, revm takes it
            balance=account.balance,
            nonce=account.nonce,
            code_hash=account.code_hash,
            code=code,
        )
        self._evm.insert_account_info(address, info)

    def _write_slot(self, address: str, key: int, value: int, original: int) -> None:
        if self._snapshots:
            self._undo.append(("slot", address, key, original))
        self._insert_slot(address, key, value)

    def _insert_slot(self, address: str, key: int, value: int) -> None:
        # Inserting into a cold account loads it into the journal: undo that, keep the value.
        self._version += 1
        checkpoint = self._evm.snapshot()
        self._evm.insert_account_storage(address, key, value)
        self._evm.revert(checkpoint)
