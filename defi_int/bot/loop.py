"""The keeper bot's loop: the same keeper as the simulator's, driven from the journal against a node.

One ``KeeperLoop`` per process, in the main thread beside the API's. ``resume()`` once at start,
then ``iterate()`` until stopped (``run``). One iteration::

    head ─▶ reorg?  (Settlements.check_head: unwind from the fork, settles back in flight)
      ▼
    intake          the API's new orders and cancels, from the journal's change feed, into the
      ▼             keeper's book (a cache of the journal's live orders; evictions journaled)
    events          on-chain cancels close orders, hedges, funding and liquidations are booked,
      ▼             unknown fills counted (this key's: another journal, the keeper stops)
    confirm         settles ``confirmations`` deep: confirmed, reconciled, cursor moved; a head
      ▼             that stands still while one waits: an empty block asked for (``evm_mine``)
    open settles    anything signed and not mined: landed? booked : lost? dropped : resent /
      │             replaced / cancelled. With ``max_in_flight`` of them open nothing new is signed
      ▼
    liquidator      ``Keeper.liquidate`` on the accounts that traded (``bot.liquidating``: each close
      ▼             journaled through the settle stages), at most every ``liquidation_interval``
    batch           expire; select (marketable first, price, time) ; snapshot (one read, at the
      │             node's pending block: the settles in flight stand there) ;
      │             breakers (publish) ; prune ; plan with the breakers' gates (and its
      │             counterfactual re-match, journaled with a batch that settles) ; validate ; trim by
      │             simulating on the node ; reasons for what rests ;
      │             journal planned ─▶ sign (journal) ─▶ send (journal) ─▶ receipt ─▶ book (journal)
      ▼
    hedge / sample  past a soft limit the desk trades its book on the AMM; the markets and the
                    desk's books are sampled for the report and the drawdown breaker

Fail points (``failpoints``) mark the journal stages a crash test kills at. ``resume()`` is the
restart: the head watch seeded with the journal's recent blocks (a reorg while the keeper was down
is found at the first look), the chain's transactions of this key that the journal lacks refused or
taken in (``recovery``), nonces from the node and the journal, the book reloaded with the orders
in flight marked so, and the open settles left to the first ``advance`` (planned: dropped; signed
or sent: found mined, sent again, or their nonce found taken). Nothing is ever signed for fills
that are in flight.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from defi_int.bot import failpoints, recovery
from defi_int.bot.breakers import KILL_SWITCH, BreakerBoard
from defi_int.bot.config import ServiceConfig
from defi_int.bot.errors import KeeperConflict
from defi_int.bot.journal import Journal, OrderRecord, Sample
from defi_int.bot.liquidating import JournaledVenue, LiquidationFailed, LiquidationPending
from defi_int.bot.logs import fields
from defi_int.bot.recovery import Recovered
from defi_int.bot.settling import Settlements
from defi_int.bot.snapshot import DeskSnapshot
from defi_int.bot.state import BotState
from defi_int.bot.txmanager import Landed, TxManager
from defi_int.chain.deploy import System
from defi_int.chain.node import Block
from defi_int.chain.rpc import RpcError, RpcNode
from defi_int.chain.views import check_invariants, ledger_accounts, market_and_accounts
from defi_int.exceptions import ChainError, DefiIntError, OrderRejected
from defi_int.keeper.book import BookEntry, OrderBook
from defi_int.keeper.hedging import HedgeOrder, hedge_order
from defi_int.keeper.keeper import Keeper, KeeperState, Rejection
from defi_int.keeper.matching import Gate
from defi_int.keeper.toxicity.models import Prediction, ToxicityConfig, ToxicityStateError
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.keeper.trace import Plan
from defi_int.keeper.venue import MarketState, Snapshot
from defi_int.market.ledger import INSURANCE_FUND
from defi_int.metrics.pnl import value
from defi_int.reasons import Reason
from defi_int.types import ONE

_log = logging.getLogger(__name__)


@dataclass
class Progress:
    """What the loop did since start (the tests and the demo read it)."""

    iterations: int = 0
    batches: int = 0
    fills: int = 0
    node_errors: int = 0
    errors: int = 0


class KeeperLoop:
    """See the module docstring."""

    def __init__(
        self, state: BotState, system: System, node: RpcNode, *, start_block: int, recover: bool = False
    ) -> None:
        self.state = state
        self.config: ServiceConfig = state.config
        self.params = state.config.loop
        self.journal = state.journal
        self.system = system
        self.node = node
        keeper_config = state.config.keeper
        self.txm = TxManager(
            node,
            system.keeper_account,
            system.chain.chain_id,
            self.journal,
            self.params,
            on_event=state.metrics.loop_event,
        )
        self.venue = JournaledVenue(system, self.journal, self.txm, lambda s, landed: self.settlements.book(s, landed))
        self.keeper = Keeper(self.venue, keeper_config)
        self.settlements = Settlements(
            system,
            self.venue,
            node,
            self.journal,
            self.txm,
            self.params,
            state.metrics,
            on_orders=self.sync_orders,
            marks=lambda: dict(self.keeper.state.marks),
            start_block=start_block,
        )
        self.progress = Progress()
        self._event_id = 0
        self._sampled_at = 0.0
        self._sampled_block = -1
        self._published_at = 0.0
        self._step = 0
        self._markets = tuple(self.config.markets)
        self._looked_block = -1  # the liquidator's last look: the head then, and when
        self._looked_at = 0.0
        self._noted: dict[bytes, tuple[Reason, str]] = {}  # the reason the journal holds, per order the loop noted
        self._traded: dict[str, None] = {}  # the accounts the liquidator watches, in the order they first traded
        self._traded_row = 0  # the last fill row they were read up to
        self._traded_reorgs = 0
        self.recover = recover
        self.recovered: Recovered | None = None
        self._head_seen = (-1, 0.0)  # the head's number and when the loop first saw it
        self._mines: bool | None = None  # whether the node mines on request (None: not asked yet)
        self._full = False  # the last batch selected as many orders as a batch takes
        self._checkpointed_at = float("-inf")

    # ------------------------------------------------------------------ start and run

    def resume(self) -> None:
        """The restart (see the module docstring); also the first start, on an empty journal."""
        journal = self.journal
        head = self._head()
        self.settlements.seed(head)
        self.settlements.check_head(head)
        self._check_chain(head)
        self.txm.resync()
        records = journal.live_orders(include_in_flight=True)
        in_flight = {f.digest for f in journal.orders_in_flight()}
        config = self.config.keeper
        entries = [
            BookEntry(r.order, r.signature, r.digest, seq, 0, r.filled, r.digest in in_flight)
            for seq, r in enumerate(records)
        ]
        for entry, record in zip(entries, records, strict=True):
            if record.score is not None:
                entry.prediction = Prediction(record.score["p_toxic"], record.score["expected_markout_bps"])
        book = OrderBook(config.max_resting, config.max_resting_per_trader, entries)
        self.keeper.state = KeeperState(book, self._scorer())
        self._event_id = journal.last_event_id()
        last = journal.last_step()
        self._step = 0 if last is None else last + 1
        self._sample(head, force=True)
        self.record_invariants()
        _log.info("resumed: %d live orders (%d in flight), head %d", len(entries), len(in_flight), head.number)

    def _check_chain(self, head: Block) -> None:
        """One keeper per deployment (``bot.recovery``): this key's transactions the journal lacks are
        refused, or taken in with ``recover``."""
        cursor = self.journal.cursor("scanned")
        start = cursor.block + 1 if cursor is not None else self.settlements.start_block
        found = recovery.foreign(self.system, self.node, self.journal, start, head.number)
        if not found:
            return
        if not self.recover:
            raise recovery.refusal(found, self.journal, self.system.keeper_account.address)
        self.recovered = recovery.adopt(self.system, self.node, self.journal, found, self.settlements.book)
        for line in self.recovered.lines():
            _log.warning("%s", line)

    def _scorer(self) -> Scorer:
        scorer = restore_scorer(self.journal, self.config.keeper.toxicity)
        self._checkpointed_at = time.monotonic()
        return scorer

    def checkpoint_model(self) -> None:
        """Journals the toxicity model's state (``Scorer.state()``) at the loop's current step."""
        self.journal.save_model_state(self._step, self.keeper.state.scorer.state())
        self._checkpointed_at = time.monotonic()

    def run(self, stop: threading.Event) -> None:
        """Iterates until ``stop`` is set; a failing iteration is logged and the loop carries on."""
        while not stop.is_set():
            wait = self.step_once()
            if stop.is_set():
                break
            if wait > 0:
                self.state.wake.wait(wait)
                if self.state.wake.is_set():
                    self.state.wake.clear()
                    stop.wait(self.params.batch_wait)

    def step_once(self) -> float:
        """One iteration with its errors handled; returns how long to wait before the next."""
        try:
            wait = self.iterate()
        except KeeperConflict:
            raise  # another keeper settles with this key: this one stops (exit 2)
        except ChainError as exc:  # the node: unreachable, the circuit open, a call refused
            self.progress.node_errors += 1
            self.state.node_status(False, str(exc).splitlines()[0])
            self.state.loop_ran()
            _log.warning("node: %s", exc)
            return self.params.loop_interval
        except DefiIntError as exc:
            self.progress.errors += 1
            _log.error("loop iteration failed: %s", exc)
            return self.params.loop_interval
        except Exception:
            self.progress.errors += 1
            _log.exception("loop iteration failed unexpectedly")
            return self.params.loop_interval
        self.state.loop_ran()
        return wait

    def iterate(self) -> float:
        """One iteration (see the module docstring); returns how long to wait before the next."""
        self.progress.iterations += 1
        head = self._head()
        self.settlements.check_head(head)
        self.txm.head = head
        self.state.node_status(True, f"head {head.number} at {head.timestamp}")
        self._follow_intake()
        self.settlements.scan(head)
        if self.settlements.confirm(head):
            self._mine_if_stalled(head)
        if self.txm.hedge is not None:
            self.txm.advance_hedge()
            if self.txm.hedge is not None:
                return self.params.receipt_poll * 10
        open_settles = self.settlements.advance()
        if open_settles >= self.params.max_in_flight:
            return self.params.receipt_poll * 10
        self.venue.read_at = "pending" if open_settles else "latest"  # the settles in flight stand on pending
        if self._liquidate(head):
            return 0.0
        if self._batch(head):
            self._sample(head)
            # a full batch: the next at once; else gather what arrives for ``batch_wait`` (fewer, fuller settles)
            return 0.0 if self._full else self.params.batch_wait
        self._hedge()
        self._sample(head)
        return self.params.loop_interval

    def finish(self) -> None:
        """A graceful stop: what landed booked, the events scanned to the head, the markets sampled there
        and the ledger invariants recorded, so the report's last point has every event before it."""
        self.settlements.advance()
        head = self._head()
        self.settlements.check_head(head)
        self.settlements.scan(head)
        self._sample(head, force=True)
        if self.keeper.config.toxicity.model != "none":
            self.checkpoint_model()
        self.record_invariants()

    def record_invariants(self) -> dict[str, bool]:
        """Checks the ledger invariants over every account that ever held cash; journals the answer."""
        accounts = ledger_accounts(self.system, from_block=self.settlements.start_block)
        checks = check_invariants(self.system, accounts)
        self.journal.set_meta("invariants", json.dumps(checks, sort_keys=True))
        return checks

    # ------------------------------------------------------------------ the book

    def _follow_intake(self) -> None:
        changes = self.journal.order_changes(self._event_id)
        if not changes:
            return
        self._event_id = changes[-1].id
        accepted = [c.digest for c in changes if c.event == "accepted"]
        records = self.journal.get_orders(accepted)
        for digest in accepted:
            record = records.get(digest)
            if record is not None and record.live and digest not in self.keeper.book:
                self._admit(record)
        for change in changes:
            if change.event == "cancelled":
                self.keeper.book.remove(change.digest)

    def _admit(self, record: OrderRecord) -> None:
        """The keeper's intake of an order the API checked and journaled: into the book, scored."""
        keeper = self.keeper
        try:
            admission = keeper.admit(
                record.order, record.signature, record.digest, now=self.state.chain_time(), step=self._step,
                filled=record.filled,
            )  # fmt: skip
        except OrderRejected as exc:
            self._reject([(record.order, OrderRejected(exc.reason, exc.detail, record.digest))])
            return
        prediction = admission.entry.prediction
        if prediction is not None:
            model = keeper.config.toxicity.model
            self.journal.note_scores({record.digest: (model, prediction.p_toxic, prediction.expected_markout_bps)})
            self.state.metrics.scored(model, prediction.p_toxic, prediction.expected_markout_bps)
        for out in admission.evicted:
            self._reject(
                [(out.order, OrderRejected(Reason.EVICTED, "a better-ranked order took its place", out.digest))]
            )

    def sync_orders(self, digests: Iterable[bytes]) -> None:
        """Brings the book's entries of ``digests`` in line with the journal (the truth)."""
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return
        records = self.journal.get_orders(wanted)
        in_flight = {f.digest for f in self.journal.orders_in_flight()}
        book = self.keeper.book
        for digest in wanted:
            record = records.get(digest)
            if record is None or not record.live:
                book.remove(digest)
                continue
            entry = book.get(digest)
            if entry is None:
                self._admit(record)
                entry = book.get(digest)
                if entry is None:
                    continue
            entry.filled = record.filled
            entry.in_flight = digest in in_flight

    def _reject(self, rejected: Iterable[Rejection]) -> None:
        """Journals orders the keeper dropped: rejected, cancelled (on chain), or back to rest with the
        reason when the chain refused the fill for a passing reason (the market moved, margin ...)."""
        resting: dict[bytes, tuple[Reason, str]] = {}
        for _, why in rejected:
            digest = why.digest
            if digest is None:
                continue
            if why.reason.transient:  # the market or an account moved: the order rests
                resting[digest] = (why.reason, why.detail)
                continue
            self.keeper.book.remove(digest)
            record = self.journal.get_order(digest)
            if record is None or not record.live or self.journal.in_flight(digest) is not None:
                continue
            if why.reason is Reason.CANCELLED:  # the trader cancelled it on chain (``Settlement.cancel``)
                self.journal.cancel_order(digest, f"cancelled on chain: {why.detail}")
            else:
                self.journal.reject_order(digest, why.reason, why.detail)
        if resting:
            self.journal.note_reasons(resting)
            self._noted.update(resting)
            self.sync_orders(resting)  # back in the book: the next batch tries again

    # ------------------------------------------------------------------ a batch

    def _batch(self, head: Block) -> bool:
        """Plans, journals, signs, sends and books one batch; False when there was nothing to settle."""
        keeper = self.keeper
        now = max(head.timestamp + 1, int(time.time()))
        for digest in self.journal.expire_orders(now):
            keeper.book.remove(digest)
        selected = keeper.select()
        self._full = len(selected) >= keeper.capacity()
        if not selected:
            if time.monotonic() - self._published_at >= self.params.loop_interval:
                self._publish(keeper.snapshot([]), record=False)
            return False
        snapshot = keeper.snapshot(selected)
        board = self._publish(snapshot, record=False)
        pruned = keeper.prune(selected, snapshot)
        self._reject(pruned.rejected)
        if pruned.expired:
            self.journal.expire_orders(snapshot.view.now)
        gates = self._gates(snapshot, board)
        plan = keeper.plan(pruned.live, snapshot, gates)
        counterfactuals = keeper.rematch(pruned.live, snapshot, plan, gates=gates)
        accepted, rejected = keeper.validate(plan.fills, snapshot)
        plan.decline(rejected, rest_transient=True)
        self._reject(rejected)
        if accepted:
            accepted, rejected = keeper.trim(accepted, snapshot)
            plan.decline(rejected, rest_transient=True)
            self._reject(rejected)
        plan.keep(accepted)
        self._note_reasons(plan)
        _log.debug("batch at block %d: %d selected, %d planned, %d to settle", head.number, len(selected), len(plan),
                   len(accepted))  # fmt: skip
        if not accepted:
            return False
        keeper.hold(accepted)
        journal = self.journal
        journal.record_counterfactuals(counterfactuals)  # a batch that goes on to settle: re-planned, it repeats
        settle = journal.plan_settle(f"{head.number}-{uuid.uuid4().hex[:12]}", accepted)
        failpoints.hit("after_planned")
        settle = self.txm.sign_settle(settle, self.venue.settle_call(accepted))
        failpoints.hit("after_signed")
        settle = self.txm.send(settle)
        failpoints.hit("after_sent")
        self.progress.batches += 1
        self.progress.fills += len(accepted)
        pipelined = self.params.max_in_flight > 1  # plan the next batch now; the next iterations book this one
        landed = self.txm.wait(settle, 0.0 if pipelined else None)
        if landed is not None:
            self.settlements.book(settle, landed)
        return True

    def _gates(self, snapshot: Snapshot, board: BreakerBoard) -> dict[int, Gate]:
        view = snapshot.view
        return {m: board.gate(m, view.ledger.position(view.desk, m)) for m in snapshot.markets}

    def _note_reasons(self, plan: Plan) -> None:
        """Journals the batch's trace of every order it saw, and for those it does not fill whole the
        reason the trace records (``GET /v1/orders/{digest}`` shows both)."""
        self.journal.note_traces(plan.traces)
        reasons = {}
        for digest, trace in plan.traces.items():
            if trace.reason is not None and self._noted.get(digest) != (trace.reason, trace.detail):
                reasons[digest] = (trace.reason, trace.detail)  # else the journal holds it already: no write
        if reasons:
            self.journal.note_reasons(reasons)
            self._noted.update(reasons)
        if len(self._noted) > 2 * len(self.keeper.book) + 1_000:
            self._noted = {d: r for d, r in self._noted.items() if d in self.keeper.book}

    def _mine_if_stalled(self, head: Block) -> None:
        """A settle waits for confirmations and the head has not moved for ``mine_after`` seconds: asks the
        node for an empty block, if it mines on request (a node that refuses is not asked again)."""
        now = time.monotonic()
        if head.number != self._head_seen[0]:
            self._head_seen = (head.number, now)
            return
        if self._mines is False or not self.params.mine_after or now - self._head_seen[1] < self.params.mine_after:
            return
        try:
            self.node.mine()
        except RpcError as exc:
            self._mines = False
            _log.info("the node does not mine on request (%s): settles wait for its own blocks", exc.message)
            return
        if self._mines is None:
            _log.info("the node mines only on demand: an empty block after %g s waiting for confirmations",
                      self.params.mine_after)  # fmt: skip
        self._mines = True
        self._head_seen = (head.number, now)

    # ------------------------------------------------------------------ the liquidator

    def _liquidate(self, head: Block) -> bool:
        """``Keeper.liquidate`` on the accounts the journal knows traded (``bot.liquidating``), at most
        every ``liquidation_interval`` and once per new block; True when a close went out."""
        now = time.monotonic()
        if head.number == self._looked_block or now - self._looked_at < self.params.liquidation_interval:
            return False
        self._looked_block, self._looked_at = head.number, now
        if self.state.board().trip(KILL_SWITCH) is not None:
            return False
        if self.settlements.counters.reorgs != self._traded_reorgs:  # rows were unbooked: read them all again
            self._traded, self._traded_row = {}, 0
            self._traded_reorgs = self.settlements.counters.reorgs
        new, self._traded_row = self.journal.traded_accounts(self._traded_row)
        self._traded.update(dict.fromkeys(new))
        if not self._traded:
            return False
        try:
            receipts = self.keeper.liquidate(list(self._traded), limit=self.params.max_liquidations)
        except LiquidationPending:
            return True
        except LiquidationFailed as exc:
            _log.warning("%s", exc)
            return True
        return bool(receipts)

    # ------------------------------------------------------------------ hedging, sampling

    def _hedge(self) -> None:
        config = self.config.keeper
        if all(soft is None for soft in config.soft_limits.values()):
            return
        snapshot = self.keeper.snapshot([])
        board = self._publish(snapshot, record=False)
        view = snapshot.view
        for market, soft in sorted(config.soft_limits.items()):
            if board.blocks_amm(market) is not None or market not in snapshot.markets:
                continue
            state = snapshot.markets[market]
            order = hedge_order(
                market, state.inventory, soft, config.hedge_to, view.pools.get(market), config.hedge_slippage_bps
            )
            if order is None:
                continue
            landed = self.txm.send_call(self.venue.hedge_call(order))
            if landed is not None and not landed.receipt.status:
                _log.warning("hedge of %d on market %d reverted (the pool moved past its slippage)", order.size, market)
            elif landed is not None:
                self._hedge_line(order, landed)
            return  # one hedge at a time

    def _hedge_line(self, order: HedgeOrder, landed: Landed) -> None:
        receipt = landed.receipt
        quote = self.venue.hedge_quote(receipt)
        unit = 10**self.system.params.decimals
        _log.info(
            "hedge: the desk %s %g in market %d on the AMM for %s tokens (limit %s), gas %s, block %d; tx 0x%s",
            "bought" if order.is_buy else "sold", order.size / ONE, order.market, f"{quote / unit:,.6f}",
            f"{order.limit_quote / unit:,.6f}", f"{receipt.gas_used:,}", receipt.block_number,
            receipt.transaction_hash.hex(),
            extra=fields(event="hedge", market=order.market, is_buy=order.is_buy, size=str(order.size), quote=quote,
                         gas=receipt.gas_used, block=receipt.block_number,
                         tx="0x" + receipt.transaction_hash.hex()),
        )  # fmt: skip

    def _sample(self, head: Block, *, force: bool = False) -> None:
        due = time.monotonic() - self._sampled_at >= self.params.sample_interval
        if not force and (head.number == self._sampled_block or not due):
            return
        system = self.system
        desk, fees = system.desk, system.fee_recipient
        now = max(head.timestamp, int(time.time()))
        states, books = market_and_accounts(system, [desk, fees, INSURANCE_FUND], now=now, block=head.number)
        price_scale = system.params.price_scale
        samples = []
        for market, state in sorted(states.items()):
            mid = state.pool.mid(price_scale) if state.pool is not None and state.pool.base else 0
            samples.append(
                Sample(
                    self._step, market, head.number, head.hash, head.timestamp, state.oracle_price, mid,
                    state.inventory, books[desk].cash, books[fees].cash, books[INSURANCE_FUND].cash,
                )
            )  # fmt: skip
        self.journal.record_samples(samples)
        now = max(head.timestamp, int(time.time()))
        self.keeper.observe_markets(states, block=head.number, now=now, price_scale=price_scale)
        learned = self.keeper.observe_marks(self._step, {m: s.oracle_price for m, s in states.items() if s.fresh})
        due = time.monotonic() - self._checkpointed_at >= self.params.model_checkpoint
        if self.keeper.config.toxicity.model != "none" and (learned or force) and due:
            self.checkpoint_model()
        self._step += 1
        self._sampled_at, self._sampled_block = time.monotonic(), head.number
        equity = books[desk].cash + sum(value(s.inventory, s.oracle_price, price_scale) for s in states.values())
        snapshot = DeskSnapshot.from_states(
            states, block=head.number, time=head.timestamp, price_scale=price_scale, equity=equity
        )
        self.state.publish(snapshot, record_equity=True)
        self._published_at = time.monotonic()

    def _publish(self, snapshot: Snapshot, *, record: bool) -> BreakerBoard:
        view = snapshot.view
        equity = view.ledger.cash.get(view.desk, 0) + sum(
            value(state.inventory, state.oracle_price, view.price_scale) for state in snapshot.markets.values()
        )
        desk = _desk_snapshot(snapshot.markets, snapshot.block, view.now, view.price_scale, equity)
        self._published_at = time.monotonic()
        return self.state.publish(desk, record_equity=record)

    def _head(self) -> Block:
        head = self.node.block("latest")
        if head is None:
            raise ChainError(f"{self.node.url} has no latest block")
        return head


def restore_scorer(journal: Journal, config: ToxicityConfig) -> Scorer:
    """The toxicity model as ``journal`` last checkpointed it (``Journal.save_model_state``): a fresh
    one without a checkpoint, or when the keeper file now configures another model (said in the log)."""
    saved = journal.model_state()
    if saved is None:
        return Scorer(config)
    step, state = saved
    try:
        scorer = Scorer.restore(config, state)
    except ToxicityStateError as exc:
        _log.warning("toxicity model not restored (%s): starting a fresh one", exc.problem)
        return Scorer(config)
    _log.info("toxicity model %s restored from the checkpoint of step %d", config.model, step)
    return scorer


def _desk_snapshot(
    markets: dict[int, MarketState], block: int, now: int, price_scale: int, equity: int
) -> DeskSnapshot:
    return DeskSnapshot.from_states(markets, block=block, time=now, price_scale=price_scale, equity=equity)
