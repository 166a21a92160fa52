"""The keeper: DESIGN's "keeper's loop" as separate steps over a venue, for a service or the simulator.

Data flow of one batch (``Keeper.step`` runs them all; a service drives them one by one between
its journal's stages)::

    intake(order, signature)      verify (market, size, expiry, signature), dedupe by digest,
        │                         admit into the bounded book (the digest is computed here, once)
        ▼
    select()                      the resting orders a batch looks at: marketable first, then
        │                         price, then time, up to the batch bound
        ▼
    snapshot(entries)             one read of the venue (Snapshot: BatchView, markets, gas bound)
        ▼
    prune(entries, snapshot)      expired orders leave the whole book; orders the chain closed
        │                         leave; partial fills are read from the chain
        ▼
    plan(live, snapshot)          pricing, netting, inventory, routing per market (pure):
        │                         one PlannedFill per order, with the legs the chain should book
        │                         (rematch: the same batch planned without the desk's
        │                         priorities, the counterfactual audit of ``keeper.audit``)
        ▼
    validate(plan, snapshot)      the off-chain replay of settle; rejected orders leave the book
        ▼
    hold(plan) / settle(plan)     one transaction through the venue; on a revert the fill at
        │                         fault is found (by digest, or by simulating prefixes), dropped,
        │                         the rest revalidated and resent
        ▼
    reconcile(fills, receipt)     the chain's fills (FillEvent) are the truth: the book, the
        │                         filled set and the markout history move by them; any event
        │                         that differs from its planned legs is reported
        ▼
    hedge(snapshot, fills)        past the soft limit the desk trades its book on the AMM

Besides the batch, ``liquidate(accounts)`` is the liquidator's role: the watched accounts below
maintenance margin are closed through the venue (``keeper.liquidator`` decides, purely). With a
``MarginWatch`` (``keeper.watch``), fed by the batches' snapshots and settles, only the accounts
it cannot clear off-chain are read.

The book and everything else the keeper remembers between batches is one ``KeeperState``, which
a service may build from its own storage and pass in. A batch can be planned and held, settled
later (by the venue or by the service's own transaction manager) and reconciled from events read
back from the chain; ``release`` returns a held batch's orders to the book's selection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from defi_int.exceptions import ChainError, ContractRevert, OrderRejected
from defi_int.keeper.audit import rematch
from defi_int.keeper.book import BookEntry, OrderBook, Priority, priority
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.hedging import hedge_order
from defi_int.keeper.intake import check_admissible, verify_signature
from defi_int.keeper.liquidator import LiquidationOrder, plan_liquidations
from defi_int.keeper.matching import Closure, Gate, Look, MarketBook, plan_market
from defi_int.keeper.plan import PlannedFill, desk_delta, pools_after
from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.quote import Quote, quote, receipt
from defi_int.keeper.toxicity.labels import Label
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.keeper.trace import OrderTrace, Plan
from defi_int.keeper.venue import LiquidationReceipt, MarketState, SettleReceipt, Snapshot, Venue
from defi_int.keeper.watch import MarginWatch
from defi_int.metrics.records import Counterfactual
from defi_int.orders.booking import FillEvent
from defi_int.orders.model import Order
from defi_int.orders.validation import CANCELLED, FILLED, OPEN, PARTIAL, validate_plan
from defi_int.reasons import Reason

#: Reason recorded for an order whose nonce was consumed elsewhere while it rested.
_CLOSED_REASON = {FILLED: Reason.ALREADY_FILLED, CANCELLED: Reason.CANCELLED}

Rejection = tuple[Order, OrderRejected]


@dataclass
class KeeperState:
    """What the keeper remembers between batches; a service may persist it and pass it back."""

    book: OrderBook
    scorer: Scorer  # the toxicity model, its features and labels (``keeper.toxicity``)
    filled: set[bytes] = field(default_factory=set)  # digests of orders the chain filled anything of
    marks: dict[int, int] = field(default_factory=dict)  # fresh oracle prices of the latest snapshot
    view: MarketView | None = None  # the markets of the latest read: what quotes and receipts see
    max_fills: int | None = None  # the gas bound of the latest snapshot
    step: int = 0  # the latest step the keeper was told of (intake, a batch, the marks)

    @classmethod
    def empty(cls, config: KeeperConfig) -> KeeperState:
        return cls(OrderBook(config.max_resting, config.max_resting_per_trader), Scorer(config.toxicity))


@dataclass(frozen=True)
class MarketView:
    """The desk's latest view of every market: one read of the venue, at ``time`` (``block``)."""

    block: int
    time: int
    price_scale: int
    markets: dict[int, MarketState]


@dataclass(frozen=True)
class Admission:
    """An order taken into the book, and the resting orders it pushed out of a full book."""

    entry: BookEntry
    evicted: list[BookEntry]


@dataclass(frozen=True)
class Pruned:
    """The selected orders still live, and those that left the book before planning."""

    live: list[BookEntry]  # in arrival order, within the batch bound
    expired: list[BookEntry]  # rested to expiry without any fill (anywhere in the book)
    rejected: list[Rejection]  # closed on-chain outside this keeper
    lapsed: list[BookEntry] = field(default_factory=list)  # every order that left by expiry, filled in part or not


@dataclass(frozen=True)
class Settled:
    """The outcome of ``Keeper.settle``: the fills that went through and the ones dropped on the way."""

    fills: list[PlannedFill]  # as settled, in batch order (one event each)
    receipt: SettleReceipt | None  # None when every fill was dropped
    rejected: list[Rejection]
    resends: int  # settle transactions that reverted and were sent again without the culprit


@dataclass(frozen=True)
class Mismatch:
    """A fill the chain booked with legs other than the planned ones (the chain is the truth)."""

    digest: bytes
    planned: tuple[int, int, int, int, int]  # internal size, internal price, AMM size, AMM quote, fee
    booked: tuple[int, int, int, int, int]

    def __str__(self) -> str:
        return f"the fill of 0x{self.digest.hex()} booked {self.booked}, the plan expected {self.planned}"


@dataclass(frozen=True)
class HedgeFill:
    """A settled hedge: the desk traded ``size`` of its own book on the AMM for ``quote``."""

    market: int
    is_buy: bool
    size: int
    quote: int
    gas: int
    block: int
    oracle_price: int
    funding: int = 0  # what the desk's book settled before the trade (+: paid)
    time: int = 0  # the block's timestamp


@dataclass
class BatchOutcome:
    """What one ``Keeper.step`` did, for the recorder: settled fills with their events, drops, hedges."""

    step: int
    snapshot: Snapshot  # what the batch was planned on (pools and marks before settlement)
    fills: list[PlannedFill] = field(default_factory=list)  # as settled, in batch order
    receipt: SettleReceipt | None = None
    rejected: list[Rejection] = field(default_factory=list)
    expired: list[Order] = field(default_factory=list)  # rested to expiry without any fill
    lapsed: list[bytes] = field(
        default_factory=list
    )  # digests of every order that left by expiry, filled in part or not
    hedges: list[HedgeFill] = field(default_factory=list)
    resends: int = 0
    traces: dict[bytes, OrderTrace] = field(default_factory=dict)  # what the batch did with each order it saw
    counterfactuals: list[Counterfactual] = field(default_factory=list)  # the re-match's changes (``audit``)

    @property
    def events(self) -> list[FillEvent]:
        return [] if self.receipt is None else self.receipt.events


class Keeper:
    """Collects signed orders and settles them in batches on a venue; see the module docstring."""

    def __init__(
        self, venue: Venue, config: KeeperConfig, state: KeeperState | None = None, *, watch: MarginWatch | None = None
    ) -> None:
        self.venue = venue
        self.config = config
        self.state = state if state is not None else KeeperState.empty(config)
        #: The liquidator's watch (``keeper.watch``): with one, ``liquidate`` reads only the accounts it
        #: cannot clear off-chain; whoever writes an account's book outside this keeper tells it.
        self.watch = watch
        self.domain = venue.domain
        self._deviations = {m: p.max_deviation_bps for m, p in config.pricing.items()}

    @property
    def book(self) -> OrderBook:
        return self.state.book

    def rank(self, entry: BookEntry) -> Priority:
        """``entry``'s selection priority at the latest snapshot's marks (smaller first)."""
        return priority(entry, self.state.marks, self._deviations)

    # ------------------------------------------------------------------ intake

    def intake(self, order: Order, signature: bytes, *, now: int, step: int = 0) -> Admission:
        """Checks what needs no chain state, records what the desk saw, and admits the order into the book.

        ``verify_signature`` and ``check_admissible`` (a service runs the same two), then a
        duplicate check, the receipt (``quote.receipt`` on the desk's latest view of the market,
        when it has one), and the bounded book. Raises ``OrderRejected``: a signature reason,
        ``unknown_market``, ``empty_order``, ``expired``, ``duplicate``, ``resting_cap`` or
        ``book_full``.
        """
        digest = verify_signature(order, signature, self.domain)
        check_admissible(order, digest, now=now, markets=self.config.pricing)
        if digest in self.book or digest in self.state.filled:
            raise OrderRejected(Reason.DUPLICATE, "the keeper already holds this order", digest)
        return self.admit(order, signature, digest, now=now, step=step)

    def admit(
        self, order: Order, signature: bytes, digest: bytes, *, now: int, step: int, filled: int = 0
    ) -> Admission:
        """Takes a checked order into the book, with what the desk saw at its receipt and the model's score.

        The receipt is ``quote.receipt`` on the desk's latest view of the market; the toxicity model
        (when one is configured) scores the order there and then (``Scorer.score``: its features,
        its prediction, the counterfactual label at the desk's quote). A service that checked the
        order itself (the bot's API) admits it here; ``filled`` is what the chain already filled.
        Raises ``OrderRejected`` (``resting_cap``, ``book_full``) when it does not fit.
        """
        self.state.step = step
        entry, evicted = self.book.admit(order, signature, digest, step, self.rank)
        entry.filled = filled
        seen = self.quote(order.market, order.is_buy, order.size, now=now)
        entry.receipt = None if seen is None else receipt(order, seen, step=step)
        view = self.state.view
        if self.config.toxicity.model != "none" and view is not None and order.market in view.markets:
            state = view.markets[order.market]
            cap = self.config.risk_limits.get(order.market, state.inventory_cap)
            desk = None if seen is None else seen.desk_price
            entry.features, entry.prediction = self.state.scorer.score(
                order, digest, step=step, now=now, inventory=state.inventory, cap=cap, desk_quote=desk
            )
        return Admission(entry, evicted)

    def quote(self, market: int, trader_buys: bool, size: int, *, now: int, gate: Gate | None = None) -> Quote | None:
        """The desk's quote for ``size`` on its latest view of ``market`` (None before it read the market)."""
        view = self.state.view
        pricing = self.config.pricing.get(market)
        if view is None or pricing is None or market not in view.markets:
            return None
        return quote(
            view.markets[market],
            pricing=pricing,
            risk_limit=self.config.risk_limits.get(market, 0),
            trader_buys=trader_buys,
            size=size,
            price_scale=view.price_scale,
            now=now,
            block=view.block,
            gate=gate,
        )

    def observe_marks(self, step: int, marks: dict[int, int]) -> list[Label]:
        """The fresh oracle marks at the end of ``step``: the labels that mature now teach the
        toxicity model and the per-trader history; they are returned (predictions against outcomes)."""
        self.state.step = step
        return self.state.scorer.on_step(step, marks)

    # ------------------------------------------------------------------- a batch

    def step(self, step: int) -> BatchOutcome:
        """One batch: select, read, prune, plan, validate, settle (isolating reverts), reconcile, hedge."""
        self.state.step = step
        selected = self.select()
        snapshot = self.snapshot(selected)
        pruned = self.prune(selected, snapshot)
        plan = self.plan(pruned.live, snapshot)
        counterfactuals = self.rematch(pruned.live, snapshot, plan, step=step)
        accepted, rejected = self.validate(plan.fills, snapshot)
        plan.decline(rejected)
        self.hold(accepted)
        try:
            settled = self.settle(accepted, snapshot)
        except BaseException:
            self.release(accepted)
            raise
        plan.decline(settled.rejected)
        plan.keep(settled.fills)
        if self.watch is not None:
            self.watch.settled(snapshot.view, settled.fills, settled.receipt)
        if settled.receipt is not None:
            mismatches = self.reconcile(settled.fills, settled.receipt, step=step)
            if mismatches:
                raise ChainError("; ".join(str(m) for m in mismatches))
        hedges = self.hedge(snapshot, settled.fills)
        return BatchOutcome(
            step=step,
            snapshot=snapshot,
            fills=settled.fills,
            receipt=settled.receipt,
            rejected=[*pruned.rejected, *rejected, *settled.rejected],
            expired=[e.order for e in pruned.expired],
            lapsed=[e.digest for e in pruned.lapsed],
            hedges=hedges,
            resends=settled.resends,
            traces=plan.traces,
            counterfactuals=counterfactuals,
        )

    def liquidate(
        self, accounts: Sequence[str], *, limit: int = 10, step: int | None = None
    ) -> list[LiquidationReceipt]:
        """The liquidator's role: closes the watched ``accounts`` that are below maintenance margin.

        The closes ``liquidation_orders`` plans, each sent through the venue; a close the chain
        refuses (the world moved since the read) is skipped until the next call. A closed account's
        book is left for the watch to read again.
        """
        receipts = []
        for order in self.liquidation_orders(accounts, limit=limit, step=step):
            try:
                receipts.append(self.venue.liquidate(order))
            except ContractRevert:
                continue
            finally:
                if self.watch is not None:
                    self.watch.touched(order.account)
        return receipts

    def liquidation_orders(
        self, accounts: Sequence[str], *, limit: int = 10, step: int | None = None
    ) -> list[LiquidationOrder]:
        """The closes to send now among ``accounts``: the pure decision of
        ``liquidator.plan_liquidations`` (at most ``limit``) on one read of their books.

        The read is also the desk's latest view of the markets (``observe``), at ``step`` when given.
        With a watch, the first read is of the markets and of the accounts the watch does not vouch
        for; the books of those it cannot clear (``MarginWatch.candidates``, in ``accounts``' order)
        are read again with the house books, to plan on, only when there are any.
        """
        if step is not None:
            self.state.step = step
        liquidator = self.venue.liquidator
        watch = self.watch
        if watch is None:
            snapshot = self.venue.snapshot({}, [*accounts, liquidator])
            self.observe(snapshot)
            view = snapshot.view
            return plan_liquidations(view.ledger, view.env, accounts, liquidator, limit=limit)
        unknown = watch.unknown(accounts)
        look = self.venue.snapshot({}, unknown, house=False)
        self.observe(look)
        watch.learn(look.view.ledger, unknown)
        near = watch.candidates(accounts, look.view)
        if not near:
            return []
        view = self.venue.snapshot({}, [*near, liquidator]).view
        watch.learn(view.ledger, near)
        return plan_liquidations(view.ledger, view.env, near, liquidator, limit=limit)

    def capacity(self) -> int:
        """How many orders the next batch may take: ``max_batch``, and the latest gas bound."""
        if self.state.max_fills is None:
            return self.config.max_batch
        return min(self.config.max_batch, self.state.max_fills)

    def select(self) -> list[BookEntry]:
        """The resting orders (not in flight) the next batch looks at, best priority first.

        Ranked at the latest snapshot's marks; a keeper that never read the venue reads the markets
        first (a snapshot of no orders), so its first batch is ranked too.
        """
        if self.state.max_fills is None and len(self.book):
            self.snapshot([])
        return self.book.select(self.capacity(), self.rank)

    def snapshot(self, entries: Sequence[BookEntry]) -> Snapshot:
        """Reads the venue for ``entries``; remembers its marks and gas bound for the next selection,
        and its markets as the desk's latest view (quotes and receipts)."""
        snapshot = self.venue.snapshot({e.digest: e.order for e in entries})
        self.observe(snapshot)
        self.state.max_fills = snapshot.max_fills
        return snapshot

    def observe(self, snapshot: Snapshot) -> None:
        """Takes ``snapshot``'s markets as the desk's latest view of the world (quotes, receipts and
        the toxicity model's market features, at the keeper's current step)."""
        view = snapshot.view
        self.state.marks = dict(view.prices)
        self.observe_markets(snapshot.markets, block=snapshot.block, now=view.now, price_scale=view.price_scale)

    def observe_markets(self, markets: Mapping[int, MarketState], *, block: int, now: int, price_scale: int) -> None:
        """Takes ``markets`` (read at ``block``, time ``now``) as the desk's latest view of the world."""
        self.state.view = MarketView(block, now, price_scale, dict(markets))
        scorer, step, scale = self.state.scorer, self.state.step, price_scale
        for market, state in markets.items():
            pool = state.pool
            mid = pool.mid(scale) if pool is not None and pool.base else 0
            base = 0 if pool is None else pool.base
            scorer.observe_market(step, now, market, state.oracle_price, state.updated_at, mid, base)

    def prune(self, entries: Sequence[BookEntry], snapshot: Snapshot) -> Pruned:
        """Drops expired orders from the book and ``entries`` the chain closed; the rest, bounded.

        Expiry is judged over the whole book at the snapshot's time. For ``entries``, the chain's
        nonce state is the truth: a nonce filled or cancelled outside this keeper drops the order,
        and what the chain filled of a partial order replaces what the book believed. The live
        entries are cut to the snapshot's gas bound in ``entries``' (priority) order and returned
        in arrival order, the order the planner serves them in.
        """
        view = snapshot.view
        expired, lapsed = [], []
        for entry in self.book:
            if view.now > entry.order.expiry and not entry.in_flight:
                self.book.remove(entry.digest)
                lapsed.append(entry)
                if not entry.filled:
                    expired.append(entry)
        live, rejected = [], []
        for entry in entries:
            order = entry.order
            if entry.digest not in self.book:
                continue
            state = view.nonce_state(order.trader, order.nonce)
            if state in _CLOSED_REASON and not (state == FILLED and entry.filled == order.size):
                detail = f"nonce {order.nonce} was consumed outside this keeper"
                self.book.remove(entry.digest)
                rejected.append((order, OrderRejected(_CLOSED_REASON[state], detail, entry.digest)))
                continue
            if state == PARTIAL:
                entry.filled = view.filled.get(entry.digest, entry.filled)
            elif state == OPEN:
                entry.filled = 0
            live.append(entry)
        bound = min(self.config.max_batch, snapshot.max_fills)
        return Pruned(sorted(live[:bound], key=lambda e: e.seq), expired, rejected, lapsed)

    def plan(self, live: Sequence[BookEntry], snapshot: Snapshot, gates: Mapping[int, Gate] | None = None) -> Plan:
        """The fills for ``live`` (arrival order), grouped by market (one booking run per market
        on-chain), and a trace for every order of ``live`` (``keeper.trace``).

        ``gates`` closes a market, the desk's book (per side) or the AMM (a service's breakers).
        A market without a fresh oracle price (or that the keeper does not price) plans nothing: the
        Vault cannot value any leg there, so its orders rest, and their traces say why.
        """
        plan = Plan()
        for entries, book, params in self._markets(live, snapshot, gates):
            looks: dict[bytes, Look] = {}
            planned = plan_market(
                entries, book, params, fee_bps=self.config.fee_bps, toxic=self._toxic,
                model=self.config.toxicity.model, policy=self.config.policy, looks=looks,
            )  # fmt: skip
            plan.fills.extend(planned.fills)
            plan.traces.update((t.digest, t) for t in planned.traces)
            plan.notes[entries[0].order.market] = (book, looks)
        return plan

    def rematch(
        self,
        live: Sequence[BookEntry],
        snapshot: Snapshot,
        plan: Plan,
        *,
        step: int = 0,
        gates: Mapping[int, Gate] | None = None,
    ) -> list[Counterfactual]:
        """The counterfactual re-match of the batch ``plan`` was planned from (``keeper.audit``): the
        orders whose legs change when the batch is served in reverse arrival order, or priced without
        the inventory skew. Call it before validation changes ``plan``; nothing when the keeper's
        ``counterfactual_audit`` is off."""
        if not self.config.counterfactual_audit:
            return []
        changed: list[Counterfactual] = []
        for entries, book, params in self._markets(live, snapshot, gates):
            planned_on, looks = plan.notes.get(entries[0].order.market, (None, None))
            changed += rematch(
                entries, book, params, fee_bps=self.config.fee_bps, actual=plan.traces, toxic=self._toxic,
                model=self.config.toxicity.model, policy=self.config.policy, step=step, block=snapshot.block,
                looks=looks if planned_on == book else None,  # the plan's looks, on the same book
            )  # fmt: skip
        return changed

    def _markets(
        self, live: Sequence[BookEntry], snapshot: Snapshot, gates: Mapping[int, Gate] | None
    ) -> Iterator[tuple[list[BookEntry], MarketBook, PricingParams]]:
        """Each market's part of a batch, in market order: its entries (arrival order), what the desk
        knows of the market, and its pricing; a market it cannot price gets a closed gate."""
        view = snapshot.view
        by_market: dict[int, list[BookEntry]] = {}
        for entry in live:
            by_market.setdefault(entry.order.market, []).append(entry)
        for market in sorted(by_market):
            pricing = self.config.pricing.get(market)
            mark = view.prices.get(market)
            gate = (gates or {}).get(market, Gate())
            if pricing is None:
                gate = Gate(market=Closure(Reason.UNKNOWN_MARKET, f"the keeper does not price market {market}"))
            elif mark is None and gate.market is None:
                gate = Gate(market=Closure(Reason.STALE_ORACLE, f"market {market} has no fresh oracle price"))
            book = MarketBook(
                mark,
                view.ledger.position(view.desk, market),
                self.config.risk_limits.get(market, 0),
                view.pools.get(market),
                view.now,
                gate,
            )
            yield by_market[market], book, pricing or next(iter(self.config.pricing.values()))

    def validate(self, plan: Sequence[PlannedFill], snapshot: Snapshot) -> tuple[list[PlannedFill], list[Rejection]]:
        """The off-chain replay of ``settle``: the fills that settle together; rejected orders leave the book."""
        check = validate_plan(plan, snapshot.view)
        for planned, _ in check.rejected:
            self.book.remove(planned.digest)
        accepted = [planned.with_expected(legs) for planned, legs in check.accepted]
        return accepted, [(planned.order, reason) for planned, reason in check.rejected]

    def hold(self, plan: Sequence[PlannedFill]) -> None:
        """Marks ``plan``'s orders in flight: no batch selects them until reconciled or released."""
        self._flight(plan, True)

    def release(self, plan: Sequence[PlannedFill]) -> None:
        """Returns a held batch's orders to selection (its transaction will not land)."""
        self._flight(plan, False)

    def trim(self, plan: Sequence[PlannedFill], snapshot: Snapshot) -> tuple[list[PlannedFill], list[Rejection]]:
        """Simulates ``settle(plan)`` on the venue and drops the fills that make it revert, one at a time.

        What a service does before signing: the fills left settle together on the venue's current
        state; each culprit leaves the book with the chain's reason, and the rest is validated again.
        """
        fills = list(plan)
        rejected: list[Rejection] = []
        while fills:
            try:
                self.venue.simulate(fills)
            except ContractRevert as exc:
                culprit = fills.pop(self._culprit(fills, exc))
                self.book.remove(culprit.digest)
                rejected.append(
                    (culprit.order, OrderRejected(Reason.of_error(exc.error_name), str(exc), culprit.digest))
                )
                fills, dropped = self.validate(fills, snapshot)
                rejected.extend(dropped)
                continue
            break
        return fills, rejected

    def settle(self, plan: Sequence[PlannedFill], snapshot: Snapshot) -> Settled:
        """Settles ``plan`` through the venue; on a revert drops the fill at fault and resends the rest.

        The rest is validated again on ``snapshot`` first: without the dropped fill the AMM may
        stand elsewhere for the fills behind it, and their expected legs follow it.
        """
        fills = list(plan)
        rejected: list[Rejection] = []
        resends = 0
        while fills:
            try:
                receipt = self.venue.settle(fills)
            except ContractRevert as exc:
                culprit = fills.pop(self._culprit(fills, exc))
                self.book.remove(culprit.digest)
                rejected.append(
                    (culprit.order, OrderRejected(Reason.of_error(exc.error_name), str(exc), culprit.digest))
                )
                fills, dropped = self.validate(fills, snapshot)
                rejected.extend(dropped)
                resends += 1
                continue
            if len(receipt.events) != len(fills):
                raise ChainError(f"settle of {len(fills)} fills logged {len(receipt.events)} fills")
            return Settled(fills, receipt, rejected, resends)
        return Settled([], None, rejected, resends)

    def reconcile(self, fills: Sequence[PlannedFill], receipt: SettleReceipt, *, step: int) -> list[Mismatch]:
        """Moves the book, the filled set and the markout history by ``receipt``'s events.

        The events must be ``fills``' own, in batch order (else ``ChainError``); legs that differ
        from the plan are booked as the chain booked them and returned as ``Mismatch``es.
        """
        if len(receipt.events) != len(fills):
            raise ChainError(f"{len(receipt.events)} fills logged for a batch of {len(fills)} fills")
        mismatches = []
        for planned, event in zip(fills, receipt.events, strict=True):
            order = planned.order
            if event.digest != planned.digest:
                raise ChainError(f"a fill of {event.digest.hex()} where {order.trader}'s fill was expected")
            fill, legs = planned.fill, planned.expected
            booked = (event.internal_size, event.internal_price, event.amm_size, event.amm_quote, event.fee)
            expected = (fill.internal_size, fill.internal_price, fill.amm_size, legs.amm_quote, legs.fee)
            if booked != expected:
                mismatches.append(Mismatch(planned.digest, expected, booked))
            if event.internal_size:
                self.state.scorer.on_fill(
                    planned.digest, step=step, trader=order.trader, market=order.market, trader_buys=order.is_buy,
                    size=event.internal_size, price=event.internal_price,
                )  # fmt: skip
            self.state.filled.add(planned.digest)
            entry = self.book.get(planned.digest)
            if entry is None:
                continue
            entry.in_flight = False
            entry.filled += event.internal_size + event.amm_size
            if entry.filled >= order.size:
                self.book.remove(planned.digest)
        return mismatches

    def hedge(self, snapshot: Snapshot, settled: Sequence[PlannedFill]) -> list[HedgeFill]:
        """Trades the desk's book back toward ``hedge_to`` in every market past its soft limit."""
        view = snapshot.view
        pools = pools_after(settled, view.pools)
        hedges = []
        for market, soft in sorted(self.config.soft_limits.items()):
            inventory = view.ledger.position(view.desk, market) + desk_delta(settled, market)
            order = hedge_order(
                market, inventory, soft, self.config.hedge_to, pools.get(market), self.config.hedge_slippage_bps
            )
            mark = view.prices.get(market)
            if order is None or mark is None:
                continue
            try:
                receipt = self.venue.hedge(order)
            except ContractRevert:
                continue  # the pool moved past the slippage limit; try again next step
            funding = sum(c.amount for c in receipt.funding if c.account == view.desk)
            hedges.append(
                HedgeFill(
                    market,
                    order.is_buy,
                    order.size,
                    receipt.quote,
                    receipt.gas_used,
                    receipt.block,
                    mark,
                    funding,
                    receipt.time,
                )
            )
        return hedges

    # ------------------------------------------------------------------ helpers

    def _toxic(self, trader: str) -> bool:
        """The per-trader rule's verdict now (``trader_rule``: a trader judged toxic is routed out whole)."""
        return self.config.toxicity.model == "trader_rule" and self.state.scorer.trader_toxic(trader)

    def _flight(self, plan: Sequence[PlannedFill], held: bool) -> None:
        for planned in plan:
            entry = self.book.get(planned.digest)
            if entry is not None:
                entry.in_flight = held

    def _culprit(self, fills: Sequence[PlannedFill], exc: ContractRevert) -> int:
        """The index of the fill that made ``settle`` revert.

        Errors naming an order digest point at it directly; otherwise (margin, cap) the shortest
        failing prefix is found by simulating ``settle`` on prefixes, and its last fill is at fault.
        """
        digest = exc.args_by_name.get("digest")
        if isinstance(digest, (bytes, bytearray)):
            for index, planned in enumerate(fills):
                if planned.digest == bytes(digest):
                    return index
        low, high = 1, len(fills)  # the prefix of length `high` fails
        while low < high:
            middle = (low + high) // 2
            try:
                self.venue.simulate(fills[:middle])
            except ContractRevert:
                high = middle
            else:
                low = middle + 1
        return high - 1
