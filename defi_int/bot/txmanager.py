"""The keeper's transaction manager: its own nonces, fees, signatures, sends, receipts and replacements.

The loop hands it a call (sender, contract, calldata, gas: whatever the settle entry point; it comes
from the venue) and a journaled settle; every step is journaled before the next one talks to the
node, so a process killed anywhere leaves a journal the next one resumes from::

    sign_settle  nonce allocated, fees read, signed locally  ──journal──▶ signed (raw kept)
    send         eth_sendRawTransaction (again: harmless)    ──journal──▶ sent
    advance      one look at an unmined settle:
                   a receipt of any of its transactions      ──▶ Landed (the loop books it)
                   its nonce mined by another transaction    ──▶ LOST   (the loop drops it; only once
                                                                 no receipt of its own came for
                                                                 ``LOST_AFTER`` s and the node holds
                                                                 none of its transactions in a block)
                   unknown to the node (a reorg, a crash before sending, a node restart):
                     still settles (the loop's simulation)   ──▶ rebroadcast the same raw bytes
                     would revert now                        ──▶ cancel: a no-op to itself at
                                                                 that nonce, fees bumped, journaled
                   known but not mined for ``replace_after`` ──▶ replaced at the same nonce with
                                                                 fees bumped >= 12.5% (journaled)

Nonces: the next one is the node's pending count, or one past the highest nonce of a journaled
settle not mined yet, whichever is higher (``resync``, at start, after a reorg and after any error
about nonces); the loop keeps up to ``max_in_flight`` settles signed and not mined, their nonces in
a row, and advances them lowest nonce first. Nonces below an open settle that nothing of ours holds
any more (a hedge a reorg took away) are filled with no-ops. Hedges go through ``send_call``:
signed, sent and awaited like a settle, not journaled (the ``Hedged`` event books them), replaced
when stuck.

Fees (EIP-1559): a tip from ``eth_maxPriorityFeePerGas`` and a cap of twice the latest base fee
plus the tip, never above ``max_fee_gwei``; a replacement pays at least ``fee_bump_bps`` more of
both. Receipts are polled every ``receipt_poll`` seconds, at most ``receipt_wait`` per call.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from eth_account.signers.local import LocalAccount

from defi_int.bot.config import LoopParams
from defi_int.bot.journal import Journal, SettleRecord, SignedTx
from defi_int.bot.journal.records import SENT, SIGNED
from defi_int.chain import transactions
from defi_int.chain.node import Block, Call, Receipt, TransactionRejected
from defi_int.chain.rpc import RpcError, RpcNode
from defi_int.market.ledger import ceil_div
from defi_int.types import BPS

GWEI = 10**9
NO_OP_GAS = 21_000
#: Seconds the node's suggested tip is reused before asking again.
TIP_SECONDS = 10.0
#: Returned by ``advance`` for a settle whose nonce another transaction took.
LOST = "lost"
#: Returned by ``advance`` for a settle still on its way.
PENDING = "pending"
#: Seconds a settle's nonce must stay mined without a receipt of its own before it is taken for lost.
LOST_AFTER = 2.0


@dataclass(frozen=True)
class Landed:
    """A mined transaction: the signed one (of a settle, or a hedge) and its receipt."""

    tx: SignedTx
    receipt: Receipt


class TxManager:
    """See the module docstring."""

    def __init__(
        self,
        node: RpcNode,
        account: LocalAccount,
        chain_id: int,
        journal: Journal,
        params: LoopParams,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.node = node
        self.address = account.address
        self._key = bytes(account.key)
        self.chain_id = chain_id
        self.journal = journal
        self.params = params
        self._clock = clock
        self._sleep = sleep
        self._next: int | None = None
        self.hedge: SignedTx | None = None  # a hedge sent and not mined yet
        self.head: Block | None = None  # the latest block the loop read (its base fee prices new transactions)
        self._tip: tuple[int, float] | None = None  # (the node's suggested tip, when asked)
        self.events: Counter[str] = Counter()  # replacement, cancel, rebroadcast, gap_filler
        self._on_event = on_event
        self._taken: dict[int, float] = {}  # settle id -> when its nonce was first seen mined without its receipt

    # ------------------------------------------------------------------ nonces

    def resync(self) -> int:
        """The next nonce from the node and the journal (see the module docstring)."""
        pending = self.node.transaction_count(self.address, "pending")
        open_nonces = [s.nonce + 1 for s in self.journal.settles_in((SIGNED, SENT)) if s.nonce is not None]
        if self.hedge is not None:
            open_nonces.append(self.hedge.nonce + 1)
        self._next = max([pending, *open_nonces])
        return self._next

    def _allocate(self) -> int:
        nonce = self.resync() if self._next is None else self._next
        self._next = nonce + 1
        return nonce

    def mined_count(self) -> int:
        """How many of the keeper's transactions the latest block holds (the next nonce to be mined)."""
        return self.node.transaction_count(self.address, "latest")

    # -------------------------------------------------------------------- fees

    def fees(self, above: SignedTx | None = None) -> tuple[int, int]:
        """(max fee, tip) per gas for a new transaction, or for one replacing ``above``.

        The base fee is the head's (``head``, when the loop just read it, else read now); the tip
        the node suggests is asked at most every ``TIP_SECONDS``.
        """
        head = self.head if self.head is not None else self.node.block("latest")
        base = head.base_fee if head is not None else 0
        if self._tip is None or self._clock() - self._tip[1] > TIP_SECONDS:
            try:
                self._tip = (self.node.max_priority_fee(), self._clock())
            except RpcError:
                self._tip = (GWEI, self._clock())
        tip = self._tip[0]
        max_fee = 2 * base + tip
        if above is not None:
            bump = BPS + self.params.fee_bump_bps
            tip = max(tip, ceil_div(above.priority_fee * bump, BPS))
            max_fee = max(max_fee, ceil_div(above.max_fee * bump, BPS), tip)
        cap = int(self.params.max_fee_gwei * GWEI)
        return min(max_fee, cap), min(tip, cap)

    def _sign(self, call: Call, nonce: int, fees: tuple[int, int], **flags: bytes | bool | None) -> SignedTx:
        max_fee, tip = fees
        raw, tx_hash = transactions.sign(
            self._key,
            chain_id=self.chain_id,
            nonce=nonce,
            gas=call.gas or NO_OP_GAS,
            max_fee=max_fee,
            priority_fee=tip,
            to=call.to,
            data=call.data,
            value=call.value,
        )
        replaces = flags.get("replaces")
        cancel = bool(flags.get("cancel", False))
        assert replaces is None or isinstance(replaces, bytes)
        return SignedTx(tx_hash, raw, nonce, max_fee, tip, call.gas or NO_OP_GAS, replaces, cancel=cancel)

    # -------------------------------------------------------------- settles

    def sign_settle(self, settle: SettleRecord, call: Call) -> SettleRecord:
        """Signs the first transaction of a planned settle and journals it (stage signed)."""
        nonce = self._allocate()
        try:
            tx = self._sign(call, nonce, self.fees())
            return self.journal.sign_settle(settle.id, tx)
        except BaseException:
            self._next = None  # the nonce may not be taken: ask again next time
            raise

    def send(self, settle: SettleRecord) -> SettleRecord:
        """Broadcasts the settle's current transaction; journals it sent once the node has it."""
        tx = settle.current
        assert tx is not None
        if self._broadcast(tx.raw) == "nonce_low":
            return settle  # mined already, or its nonce went elsewhere: ``advance`` finds out which
        return self.journal.mark_sent(settle.id, tx.tx_hash)

    def landed(self, settle: SettleRecord) -> Landed | None:
        """The receipt of whichever of the settle's transactions was mined, if one was."""
        for tx in reversed(settle.txs):
            receipt = self.node.find_receipt(tx.tx_hash)
            if receipt is not None:
                return Landed(tx, receipt)
        return None

    def wait(self, settle: SettleRecord, seconds: float | None = None) -> Landed | None:
        """Polls for the settle's receipt up to ``seconds`` (default ``receipt_wait``)."""
        deadline = self._clock() + (self.params.receipt_wait if seconds is None else seconds)
        while True:
            found = self.landed(settle)
            if found is not None or self._clock() >= deadline:
                return found
            self._sleep(self.params.receipt_poll)

    def advance(self, settle: SettleRecord, can_land: Callable[[SettleRecord], bool]) -> Landed | str:
        """One look at an unmined settle (see the module docstring): ``Landed``, ``LOST`` or ``PENDING``.

        ``can_land(settle)`` says whether its transaction still settles (the loop simulates it); it
        is asked only before sending again a transaction the node does not hold.
        """
        found = self.landed(settle)
        if found is not None:
            return found
        nonce, tx = settle.nonce, settle.current
        assert nonce is not None and tx is not None
        mined = self.mined_count()
        if mined > nonce:
            found = self.landed(settle)  # mined between the two questions?
            if found is not None:
                return found
            return LOST if self._lost(settle) else PENDING
        self._taken.pop(settle.id, None)
        self._fill_gap(mined, nonce)
        if not self.node.knows_transaction(tx.tx_hash):
            if tx.cancel or can_land(settle):
                self._event("rebroadcast")
                self.send(settle)
            else:
                self.cancel(settle)
            return PENDING
        sent = tx.sent_at if tx.sent_at is not None else tx.signed_at
        if self._clock() - sent >= self.params.replace_after:
            self.replace(settle)
        return PENDING

    def _lost(self, settle: SettleRecord) -> bool:
        """The settle's nonce is mined and no receipt of its transactions is found: lost only once that
        has held ``LOST_AFTER`` seconds and the node holds none of them in a block. A node updates an
        account's nonce before it serves the block's receipts (anvil under load, a load-balanced RPC
        answering from two backends): a settle taken for lost there would have its orders released
        while its fills land."""
        first = self._taken.setdefault(settle.id, self._clock())
        if self._clock() - first < LOST_AFTER:
            return False
        for tx in settle.txs:
            known = self.node.transaction(tx.tx_hash)
            if known is not None and known.block_number is not None:
                return False  # mined: its receipt is on its way
        self._taken.pop(settle.id, None)
        return True

    def replace(self, settle: SettleRecord) -> SettleRecord:
        """Signs the current transaction again at its nonce with fees bumped, journals and sends it."""
        tx = settle.current
        assert tx is not None and settle.nonce is not None
        if tx.cancel:
            call = Call(self.address, self.address, b"", NO_OP_GAS)
        else:
            decoded = transactions.decode_transaction(tx.raw)
            call = Call(self.address, decoded.to, decoded.data, decoded.gas, decoded.value)
        replacement = self._sign(call, settle.nonce, self.fees(above=tx), replaces=tx.tx_hash, cancel=tx.cancel)
        settle = self.journal.sign_settle(settle.id, replacement)
        self._event("replacement")
        return self.send(settle)

    def cancel(self, settle: SettleRecord) -> SettleRecord:
        """Takes the settle's nonce back with a no-op to the keeper itself, fees bumped; journaled and sent."""
        tx = settle.current
        assert tx is not None and settle.nonce is not None
        call = Call(self.address, self.address, b"", NO_OP_GAS)
        no_op = self._sign(call, settle.nonce, self.fees(above=tx), replaces=tx.tx_hash, cancel=True)
        settle = self.journal.sign_settle(settle.id, no_op)
        self._event("cancel")
        return self.send(settle)

    # ---------------------------------------------------------------- hedges

    def send_call(self, call: Call) -> Landed | None:
        """Signs, sends and awaits a transaction that is not a settle (a hedge); None while unmined."""
        nonce = self._allocate()
        try:
            tx = self._sign(call, nonce, self.fees())
        except BaseException:
            self._next = None
            raise
        self.hedge = replace(tx, sent_at=self._clock())
        self._broadcast(tx.raw)
        return self.advance_hedge(wait=True)

    def advance_hedge(self, *, wait: bool = False) -> Landed | None:
        """One look at the pending hedge: its receipt (and it is done), or a replacement when stuck."""
        tx = self.hedge
        if tx is None:
            return None
        deadline = self._clock() + (self.params.receipt_wait if wait else 0.0)
        while True:
            receipt = self.node.find_receipt(tx.tx_hash)
            if receipt is not None:
                self.hedge = None
                return Landed(tx, receipt)
            if self._clock() >= deadline:
                break
            self._sleep(self.params.receipt_poll)
        if self.mined_count() > tx.nonce:
            receipt = self.node.find_receipt(tx.tx_hash)
            self.hedge = None
            return None if receipt is None else Landed(tx, receipt)
        sent = tx.sent_at or tx.signed_at
        if not self.node.knows_transaction(tx.tx_hash) or self._clock() - sent >= self.params.replace_after:
            decoded = transactions.decode_transaction(tx.raw)
            call = Call(self.address, decoded.to, decoded.data, decoded.gas, decoded.value)
            bumped = self._sign(call, tx.nonce, self.fees(above=tx), replaces=tx.tx_hash)
            self.hedge = replace(bumped, sent_at=self._clock())
            self._broadcast(bumped.raw)
            self._event("replacement")
        return None

    # ---------------------------------------------------------------- helpers

    def _broadcast(self, raw: bytes) -> str:
        """Sends ``raw``: ``accepted``, ``known`` (the node had it) or ``nonce_low`` (its nonce is mined)."""
        try:
            self.node.send_raw_transaction(raw)
        except TransactionRejected as exc:
            message = str(exc).lower()
            if "already" in message or "known" in message:
                return "known"
            if "nonce too low" in message or "nonce is too low" in message:
                self._next = None
                return "nonce_low"
            raise
        return "accepted"

    def _event(self, name: str) -> None:
        self.events[name] += 1
        if self._on_event is not None:
            self._on_event(name)

    def _fill_gap(self, mined: int, nonce: int) -> None:
        """Sends no-ops for nonces below ``nonce`` the node holds nothing for (a reorg took a hedge away)."""
        pending = self.node.transaction_count(self.address, "pending")
        for missing in range(max(mined, pending), nonce):
            no_op = self._sign(Call(self.address, self.address, b"", NO_OP_GAS), missing, self.fees(), cancel=True)
            self._broadcast(no_op.raw)
            self._event("gap_filler")
