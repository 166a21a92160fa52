"""Settles after planning: sending, landing, booking, confirming, reconciling, and what reorgs undo.

``Settlements`` is the loop's half that deals with transactions already decided on. Everything it
learns goes to the journal first; the keeper's book (a cache of the journal's live orders) is told
which orders changed (``on_orders``). Per loop iteration:

- ``check_head(head)``: the chain as the ``HeadWatch`` saw it; a fork unwinds the journal from the
  fork (``Journal.unwind_reorg``: settles back to sent, orders still in flight), rewinds the event
  cursor and resyncs nonces — a reorg, never a dead node;
- ``scan(head)``: the contracts' events since the last block scanned: an on-chain ``OrderCancelled``
  closes its order, a ``Hedged`` is booked, a settled fill (``fill_events_between``) the journal
  does not hold is counted (``unexpected_fills``: another keeper, or a bug) and logged;
- ``advance()``: every settle not mined yet, oldest first, through the transaction manager: a
  receipt is booked (``book``), a nonce taken by another transaction drops the settle (its orders
  go back to rest), a transaction the node lost is sent again if it still settles (a simulation)
  or its nonce taken back by a no-op; stuck ones are replaced. Returns how many are still open
  (the loop keeps at most ``max_in_flight`` so);
- ``confirm(head)``: mined settles ``confirmations`` blocks deep whose receipt is still in the same
  block are confirmed, then reconciled (the receipt's fills are the booked ones); the ``confirmed``
  cursor follows.

``book`` turns a receipt into the journal's legs (``booking``): status 0 fails the settle and
releases its orders; a no-op that took the nonce drops it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from defi_int.bot import failpoints
from defi_int.bot.booking import booked_legs, mismatches
from defi_int.bot.chainwatch import HeadWatch
from defi_int.bot.config import LoopParams
from defi_int.bot.errors import JournalError, KeeperConflict, OrderInFlight
from defi_int.bot.journal import Cursor, HedgeRecord, Journal, SettleRecord
from defi_int.bot.journal.records import CONFIRMED, LIQUIDATION, MINED, PLANNED, RECONCILED, SENT, SIGNED
from defi_int.bot.logs import fields
from defi_int.bot.metrics import BotMetrics
from defi_int.bot.perpbook import funding_records, liquidation_line, liquidation_records
from defi_int.bot.txmanager import LOST, Landed, TxManager
from defi_int.chain import transactions
from defi_int.chain.deploy import System
from defi_int.chain.errors import decode_revert
from defi_int.chain.node import Block, Log, Receipt
from defi_int.chain.rpc import RpcNode
from defi_int.chain.venue import ChainVenue
from defi_int.chain.views import (
    contract_logs,
    decode_events,
    fill_events,
    funding_logged,
    liquidations_logged,
    settle_fills,
)
from defi_int.exceptions import ContractRevert
from defi_int.orders.booking import FillEvent, Leg
from defi_int.reasons import Reason

_log = logging.getLogger(__name__)
#: Blocks one ``eth_getLogs`` covers at most while the loop catches up.
SCAN_SPAN = 2_000
#: The scanned cursor is journaled when an event changed the journal, else at most this often (a
#: restart rescans from it: every event's effect is idempotent).
CURSOR_SECONDS = 5.0
_EVENTS = (("Settlement", "OrderCancelled"), ("Settlement", "Hedged"))
#: Everything a scan reads, in one ``eth_getLogs``: the events above, the fills, funding and liquidations.
_SCANNED = (
    *_EVENTS, ("Settlement", "FillsSettled"), ("Vault", "FundingSettled"), ("Vault", "Liquidated"),
    ("Vault", "BadDebtRealized"),
)  # fmt: skip


@dataclass
class Counters:
    """What the settle side has seen since start (``/metrics`` and the tests read them)."""

    reorgs: int = 0
    unwound: int = 0  # settles a reorg took a block from
    failed: int = 0  # mined with status 0
    dropped: int = 0  # never landed (nonce taken, or planned and never signed)
    unexpected_fills: int = 0
    mismatches: int = 0
    hedges: int = 0
    onchain_cancels: int = 0
    liquidations: int = 0


class Settlements:
    """See the module docstring."""

    def __init__(
        self,
        system: System,
        venue: ChainVenue,
        node: RpcNode,
        journal: Journal,
        txm: TxManager,
        params: LoopParams,
        metrics: BotMetrics,
        *,
        on_orders: Callable[[Iterable[bytes]], None],
        marks: Callable[[], dict[int, int]],
        start_block: int,
    ) -> None:
        self.system = system
        self.venue = venue
        self.node = node
        self.journal = journal
        self.txm = txm
        self.params = params
        self.metrics = metrics
        self.on_orders = on_orders
        self.marks = marks
        self.start_block = start_block
        self.watch = HeadWatch(lambda n: node.block(n), params.reorg_window)
        self.counters = Counters()
        self._scanned: int | None = None  # the last block scanned for events
        self._scanned_at = 0.0
        self._clock = time.monotonic
        #: Receipts of settles booked and not reconciled yet, with their fills: confirming them needs no
        #: second read while the head watch vouches for their block.
        self._receipts: dict[bytes, tuple[Receipt, list[FillEvent]]] = {}
        self.price_scale = system.params.price_scale
        self.decimals = system.params.decimals
        self.keeper_address = system.keeper_account.address

    # ------------------------------------------------------------------ the chain's head

    def seed(self, head: Block) -> None:
        """Remembers the blocks the journal's recent settles and cursors name (a restart)."""
        low = max(0, head.number - self.params.reorg_window)
        settles = self.journal.settles_in((MINED, CONFIRMED, RECONCILED), from_block=low)
        self.watch.seed((s.block_number, s.block_hash) for s in settles if s.block_number and s.block_hash)
        for name in ("scanned", "confirmed"):
            cursor = self.journal.cursor(name)
            if cursor is not None and cursor.block >= low:
                self.watch.remember(cursor.block, cursor.block_hash)

    def check_head(self, head: Block) -> int | None:
        """Watches ``head``; on a fork, unwinds the journal from it. Returns the fork, if any."""
        fork = self.watch.observe(head)
        if fork is not None:
            self.unwind(fork, f"the node's block {fork} differs from the one seen (head {head.number})")
        return fork

    def unwind(self, fork: int, detail: str) -> None:
        unwound = self.journal.unwind_reorg(fork, detail)
        self.watch.forget(fork)
        self.counters.reorgs += 1
        self.counters.unwound += len(unwound)
        self.metrics.loop_event("reorg")
        below = self.node.block(fork - 1) if fork > 0 else None
        if below is not None:
            self.journal.set_cursor("scanned", below.number, below.hash)
            self.watch.remember(below.number, below.hash)
        self._scanned = None  # read again from the journal
        self.txm.resync()
        self.on_orders(f.digest for s in unwound for f in s.fills)
        if unwound:
            _log.warning("reorg from block %d: %d settles back in flight (%s)", fork, len(unwound), detail)

    # ------------------------------------------------------------------ events

    def scan(self, head: Block) -> None:
        """Applies the contracts' events from the last block scanned up to ``head``."""
        if self._scanned is None:
            cursor = self.journal.cursor("scanned")
            self._scanned = cursor.block if cursor is not None else self.start_block - 1
        start = self._scanned + 1
        while start <= head.number:  # nothing to do until the head moves past the last block scanned
            end = min(head.number, start + SCAN_SPAN - 1)
            logs = contract_logs(self.system, _SCANNED, from_block=start, to_block=end)
            changed = False  # an event changed the journal: the cursor follows at once
            for event in decode_events(self.system, _EVENTS, logs):
                if event.name == "OrderCancelled":
                    changed |= self._cancelled(event.args["digest"], event.tx_hash, event.block_number)
                else:
                    changed |= self._hedged(
                        event.args, event.tx_hash, event.log_index, event.block_number, event.block_hash
                    )
            known: dict[bytes, bool] = {}  # tx hash -> one of this keeper's transactions
            for fill in settle_fills(self.system, logs):
                if fill.tx_hash not in known:
                    known[fill.tx_hash] = self.journal.settle_of_tx(fill.tx_hash) is not None
                    if not known[fill.tx_hash]:
                        self._foreign(fill.tx_hash, fill.block, "settled fills")
                if not known[fill.tx_hash]:
                    self.counters.unexpected_fills += 1
                    self.metrics.loop_event("unexpected_fill")
                    _log.error(
                        "fill of 0x%s in tx 0x%s: no settle of this keeper", fill.digest.hex(), fill.tx_hash.hex()
                    )
            changed |= self.book_perp(logs, scanned=True)
            start = end + 1
            if start <= head.number or changed or self._clock() - self._scanned_at >= CURSOR_SECONDS:
                block = head if end == head.number else self.node.block(end)
                if block is None:
                    return
                self.journal.set_cursor("scanned", block.number, block.hash)
                self._scanned_at = self._clock()
            self._scanned = end

    def book_perp(self, logs: Sequence[Log], *, scanned: bool = False) -> bool:
        """Books the funding charges and liquidations among ``logs`` (a receipt's or a scan's); True when
        anything was new. A scan also checks that every liquidation by this keeper's account is one of
        its journaled transactions."""
        charges = funding_logged(self.system, logs)
        closes = liquidations_logged(self.system, logs)
        if not charges and not closes:
            return False
        if scanned:
            for close in closes:
                if close.item.liquidator == self.keeper_address and self.journal.settle_of_tx(close.tx_hash) is None:
                    self._foreign(close.tx_hash, close.block_number, "liquidated an account")
        times: dict[int, int] = {}

        def block_time(number: int) -> int:
            if number not in times:
                block = self.node.block(number)
                times[number] = block.timestamp if block is not None else 0
            return times[number]

        new = self.journal.record_funding(funding_records(charges))
        new += self.journal.record_liquidations(liquidation_records(closes, block_time))
        return new > 0

    def _foreign(self, tx_hash: bytes, block: int, what: str) -> None:
        """A transaction this journal does not hold: another keeper's (counted), or one signed with this
        keeper's key from another journal, which this keeper refuses to run beside."""
        tx = self.node.transaction(tx_hash)
        if tx is not None and tx.sender == self.keeper_address:
            raise KeeperConflict(
                f"transaction 0x{tx_hash.hex()} (block {block}, nonce {tx.nonce}) {what} with this keeper's key "
                f"{self.keeper_address} and is not in the journal {self.journal.path}: another keeper with another "
                "journal runs for this deployment; stop it, then restart this one (with --recover to take its "
                "settles in)"
            )

    def _cancelled(self, digest: bytes, tx_hash: bytes, block: int) -> bool:
        record = self.journal.get_order(digest)
        if record is None or not record.live:
            return False
        try:
            self.journal.cancel_order(digest, f"cancelled on chain (tx 0x{tx_hash.hex()}, block {block})")
        except OrderInFlight:
            return False  # its settle decides first; the order leaves the book when it is released
        self.counters.onchain_cancels += 1
        self.on_orders([digest])
        return True

    def _hedged(self, args: dict[str, object], tx_hash: bytes, index: int, number: int, block_hash: bytes) -> bool:
        block = self.node.block(number)
        receipt = self.node.find_receipt(tx_hash)
        market = int(args["market"])  # type: ignore[call-overload]
        hedge = HedgeRecord(
            tx_hash, index, number, block_hash, block.timestamp if block else 0, market, bool(args["isBuy"]),
            int(args["size"]), int(args["quote"]),  # type: ignore[call-overload]
            self.marks().get(market, 0), receipt.gas_used if receipt else 0,
        )  # fmt: skip
        if not self.journal.record_hedge(hedge):
            return False
        self.counters.hedges += 1
        return True

    # ------------------------------------------------------------------ open settles

    def advance(self) -> int:
        """Moves every settle not mined yet, oldest (lowest nonce) first; returns how many are still on
        their way."""
        pending = 0
        for settle in self.journal.settles_in((PLANNED, SIGNED, SENT)):
            if settle.stage == PLANNED:
                self._drop(settle, "planned but never signed (the keeper stopped before signing)")
                continue
            outcome = self.txm.advance(settle, self.can_land)
            if isinstance(outcome, Landed):
                self.book(settle, outcome)
                continue
            if outcome == LOST:
                self._drop(settle, f"its nonce {settle.nonce} was mined by another transaction")
                continue
            pending += 1
        return pending

    def can_land(self, settle: SettleRecord) -> bool:
        """Whether the settle's current transaction would still settle now (a simulation)."""
        tx = settle.current
        assert tx is not None
        decoded = transactions.decode_transaction(tx.raw)
        try:
            self.system.chain.eth_call(decoded.data, to=decoded.to, sender=self.keeper_address, block="pending")
        except ContractRevert as exc:
            _log.warning("settle %d no longer settles (%s): taking its nonce back", settle.id, exc)
            return False
        return True

    def book(self, settle: SettleRecord, landed: Landed) -> SettleRecord:
        """Books a mined transaction of ``settle`` in the journal (see the module docstring)."""
        tx, receipt = landed.tx, landed.receipt
        digests = [f.digest for f in settle.fills]
        if tx.cancel:
            settle = self._drop(settle, f"nonce {tx.nonce} taken back by no-op 0x{tx.tx_hash.hex()}")
            return settle
        self.watch.remember(receipt.block_number, receipt.block_hash)
        if settle.kind == LIQUIDATION:
            return self._book_liquidation(settle, landed)
        legs = []
        read = self.venue.settle_receipt(receipt)
        received: list[float] = []
        if receipt.status:
            records = self.journal.get_orders(digests)
            orders = {d: r.order for d, r in records.items()}
            received = [r.received_at for r in records.values()]
            legs = booked_legs(settle, read, self.price_scale, orders)
            self._check(settle, read.events)
            self._receipts[tx.tx_hash] = (receipt, read.events)
        settle = self.journal.mark_mined(
            settle.id,
            tx.tx_hash,
            block_number=receipt.block_number,
            block_hash=receipt.block_hash,
            block_time=read.time,
            status=receipt.status,
            gas_used=receipt.gas_used,
            legs=legs,
        )
        if not receipt.status:
            self.counters.failed += 1
            self.metrics.loop_event("settle_failed")
            self._blame(settle, tx.tx_hash)
        else:
            self.book_perp(receipt.logs)
            self._batch_line(settle, len(read.events), legs, received)
        failpoints.hit("after_mined")
        self.on_orders(digests)
        return settle

    def _batch_line(self, settle: SettleRecord, fills: int, legs: list[Leg], received: list[float]) -> None:
        """The operator's line for a mined batch: orders, fills by venue, gas, latency."""
        now = time.time()
        internal = sum(1 for leg in legs if leg.venue == "internal")
        gas = settle.gas_used or 0
        latency = now - settle.times.get("planned", now)
        waited = now - min(received) if received else 0.0
        _log.info(
            "settle %d mined: %d fills of %d orders (%d internal, %d AMM legs), gas %s (%s a fill), block %s, "
            "%.2f s from plan to block, the oldest order waited %.2f s; tx 0x%s",
            settle.id, fills, len(settle.fills), internal, len(legs) - internal, f"{gas:,}",
            f"{gas // max(1, fills):,}", settle.block_number, latency, waited, (settle.tx_hash or b"").hex(),
            extra=fields(event="settle", settle=settle.id, orders=len(settle.fills), fills=fills,
                         internal_legs=internal, amm_legs=len(legs) - internal, gas=gas, block=settle.block_number,
                         plan_to_block_seconds=round(latency, 4), oldest_wait_seconds=round(waited, 4),
                         tx="0x" + (settle.tx_hash or b"").hex()),
        )  # fmt: skip

    def _book_liquidation(self, settle: SettleRecord, landed: Landed) -> SettleRecord:
        tx, receipt = landed.tx, landed.receipt
        block = self.node.block(receipt.block_number)
        settle = self.journal.mark_mined(
            settle.id,
            tx.tx_hash,
            block_number=receipt.block_number,
            block_hash=receipt.block_hash,
            block_time=block.timestamp if block is not None else 0,
            status=receipt.status,
            gas_used=receipt.gas_used,
            legs=[],
        )
        if receipt.status:
            self.book_perp(receipt.logs)
            self.counters.liquidations += 1
            self.metrics.loop_event("liquidation")
            for event in liquidations_logged(self.system, receipt.logs):
                e = event.item
                _log.info(
                    "%s", liquidation_line(e, receipt.gas_used, tx.tx_hash, self.decimals),
                    extra=fields(event="liquidation", account=e.account, market=e.market, size=str(e.size),
                                 to_desk=str(e.to_desk), to_amm=str(e.to_amm), mark=str(e.mark), penalty=e.penalty,
                                 bad_debt=e.bad_debt, gas=receipt.gas_used, block=e.block, tx="0x" + tx.tx_hash.hex()),
                )  # fmt: skip
        else:
            self.counters.failed += 1
            self.metrics.loop_event("liquidation_failed")
            _log.warning("liquidation %d reverted in tx 0x%s (the account moved)", settle.id, tx.tx_hash.hex())
        failpoints.hit("after_liquidation_mined")
        return settle

    # ------------------------------------------------------------------ confirmation

    def confirm(self, head: Block) -> bool:
        """Confirms and reconciles the mined settles deep enough (see the module docstring); True while
        one waits for more blocks."""
        waiting = False
        for settle in self.journal.settles_in((MINED, CONFIRMED)):
            assert settle.block_number is not None and settle.tx_hash is not None
            depth = head.number - settle.block_number + 1
            if settle.stage == MINED and depth < self.params.confirmations:
                waiting = True
                continue
            cached = self._receipts.get(settle.tx_hash)
            if cached is not None and self.watch.knows(settle.block_number, settle.block_hash or b""):
                receipt, events = cached  # its block is still the chain's: the head watch followed it since
            else:
                found = self.node.find_receipt(settle.tx_hash)
                if found is None or found.block_hash != settle.block_hash:
                    self.unwind(settle.block_number, f"settle {settle.id}'s receipt left block {settle.block_number}")
                    return waiting
                receipt, events = found, fill_events(self.system, found)
            if settle.stage == MINED:
                settle = self.journal.mark_confirmed(settle.id, depth)
                if settle.kind != LIQUIDATION:
                    self.metrics.settle_confirmed(settle)
                self.on_orders(f.digest for f in settle.fills)
            failpoints.hit("before_reconciled")
            booked = {(leg.leg.digest, leg.leg.fill_index) for leg in self.journal.settle_legs(settle.id)}
            chain = {(e.digest, e.index) for e in events}
            if booked != chain:
                raise JournalError(f"settle {settle.id}: {len(booked)} fills booked, {len(chain)} on the chain")
            self.journal.mark_reconciled(settle.id, Cursor("confirmed", receipt.block_number, receipt.block_hash))
            self._receipts.pop(receipt.transaction_hash, None)
        return waiting

    # ------------------------------------------------------------------ helpers

    def _drop(self, settle: SettleRecord, detail: str) -> SettleRecord:
        settle = self.journal.drop_settle(settle.id, detail)
        self.counters.dropped += 1
        self.metrics.loop_event("settle_dropped")
        self.on_orders(f.digest for f in settle.fills)
        return settle

    def _blame(self, settle: SettleRecord, tx_hash: bytes) -> None:
        """A settle that reverted: rejects the order its error names (the rest rest and are planned again)."""
        output = self.node.output(tx_hash)
        if not output:
            _log.warning("settle %d reverted in tx 0x%s (no reason from the node)", settle.id, tx_hash.hex())
            return
        revert = decode_revert(output, "0x" + tx_hash.hex())
        _log.warning("settle %d reverted: %s", settle.id, revert)
        digest = revert.args_by_name.get("digest") if isinstance(revert, ContractRevert) else None
        if isinstance(digest, bytes) and any(f.digest == digest for f in settle.fills):
            name = revert.error_name if isinstance(revert, ContractRevert) else "revert"
            record = self.journal.get_order(digest)
            if record is not None and record.live and self.journal.in_flight(digest) is None:
                reason = Reason.of_error(name)
                if reason.transient:  # the market moved between the simulation and the block: it rests
                    self.journal.note_reasons({digest: (reason, str(revert))})
                else:
                    self.journal.reject_order(digest, reason, str(revert))
                self.on_orders([digest])

    def _check(self, settle: SettleRecord, events: list[FillEvent]) -> None:
        problems = mismatches(settle, events)
        if problems:
            self.counters.mismatches += len(problems)
            self.metrics.loop_event("plan_mismatch")
            _log.warning("settle %d booked other legs than planned: %s", settle.id, "; ".join(problems[:3]))
