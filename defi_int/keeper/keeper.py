"""The keeper bot: one batch per call of ``Keeper.step``, the loop of DESIGN's "keeper's loop".

Data flow of a step::

    resting book ──batch_view──▶ BatchView (one snapshot of the chain)
        │ drop expired / closed orders
        ▼
    plan_market per market (pricing, netting, inventory, routing; pure)
        ▼
    validate_batch (the off-chain replay of settle) ──▶ rejected orders, with reasons
        ▼
    System.settle (one transaction) ──revert──▶ isolate the fill at fault, drop it, resend
        ▼
    OrderFilled events ──▶ reconcile: book, markout history, AMM mirror (checked against events)
        ▼
    hedge past the soft limit (System.hedge, one transaction per market)

Events are the truth: what the keeper believes was filled, at what price and with what AMM
quotes comes from the receipts, and the AMM mirror it replays from them must agree with every
``ammQuote`` the chain reports, or the step fails loudly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from defi_int.chain.deploy import System
from defi_int.chain.views import FillEvent, batch_view, domain, fill_events
from defi_int.exceptions import ChainError, ContractRevert, OrderRejected
from defi_int.keeper.matching import Candidate, MarketBook, plan_market
from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.risk import MarkoutBook, hedge_order
from defi_int.market.amm import Pool
from defi_int.orders.eip712 import order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.signing import recover_signer
from defi_int.orders.validation import CANCELLED, FILLED, PARTIAL, BatchView, validate_batch
from defi_int.params import YEAR_SECONDS, KeeperParams, SystemParams

#: Reason recorded for an order whose nonce was consumed elsewhere while it rested.
_CLOSED_REASON = {FILLED: "already-filled", CANCELLED: "cancelled"}


#: The declared defaults of the keeper's parameters (``defi_int.params.KeeperParams``).
_DECLARED = KeeperParams()


@dataclass(frozen=True)
class KeeperConfig:
    """The keeper's parameters: ``KeeperParams`` (the scenario's ``[keeper]``) resolved per market.

    The scalar fields are the declared parameters of the same name, with their declared defaults;
    ``from_params`` derives the whole configuration from the declaration.
    """

    pricing: dict[int, PricingParams]  # market -> pricing knobs
    risk_limits: dict[int, int]  # market -> |inventory| the desk may reach through internal fills
    soft_limits: dict[int, int | None]  # market -> hedge beyond this |inventory| (None: never)
    hedge_to: int = _DECLARED.hedge_to
    hedge_slippage_bps: int = _DECLARED.hedge_slippage_bps
    fee_bps: int = _DECLARED.fee_bps
    max_batch: int = _DECLARED.max_batch
    toxicity_routing: bool = _DECLARED.toxicity_routing
    toxicity_horizon: int = _DECLARED.toxicity_horizon
    toxicity_threshold_bps: float = _DECLARED.toxicity_threshold_bps
    toxicity_min_fills: int = _DECLARED.toxicity_min_fills

    @classmethod
    def from_params(cls, keeper: KeeperParams, system: SystemParams, volatility: Mapping[int, float]) -> KeeperConfig:
        """The configuration for the markets of ``system``; ``volatility`` is each market's annualized σ,
        used where ``keeper.volatility`` is None."""
        pricing = {}
        for m in system.markets:
            sigma = volatility[m.market_id] if keeper.volatility is None else keeper.volatility
            pricing[m.market_id] = PricingParams(
                half_spread_bps=keeper.half_spread_bps,
                risk_aversion=keeper.risk_aversion,
                variance_per_second=sigma**2 / YEAR_SECONDS,
                horizon_seconds=keeper.horizon_seconds,
                max_deviation_bps=system.max_deviation_bps,
                min_edge_bps=keeper.min_edge_bps,
                price_scale=system.price_scale,
            )
        same_name = {f.name for f in dataclasses.fields(cls)} & {f.name for f in dataclasses.fields(keeper)}
        return cls(
            pricing=pricing,
            risk_limits={m.market_id: keeper.risk_limit_for(m) for m in system.markets},
            soft_limits={m.market_id: keeper.soft_limit for m in system.markets},
            **{name: getattr(keeper, name) for name in same_name},
        )


@dataclass
class Resting:
    """An order in the keeper's book."""

    order: Order
    signature: bytes
    digest: bytes
    received_step: int
    filled: int = 0  # base units settled so far (from events)


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


@dataclass
class BatchOutcome:
    """What one step did, for the recorder: settled fills with their events, drops, hedges."""

    step: int
    view: BatchView  # the snapshot the batch was planned on (pools and marks before settlement)
    fills: list[Fill] = field(default_factory=list)  # as settled, in batch order
    events: list[FillEvent] = field(default_factory=list)  # one per settled fill, same order
    block: int | None = None
    time: int | None = None
    gas_used: int = 0
    rejected: list[tuple[Order, OrderRejected]] = field(default_factory=list)
    expired: list[Order] = field(default_factory=list)  # rested to expiry without any fill
    hedges: list[HedgeFill] = field(default_factory=list)
    pools_after: dict[int, Pool] = field(default_factory=dict)  # the AMM mirror replayed from the events
    resends: int = 0  # settle transactions that reverted and were sent again without the culprit


class Keeper:
    """Collects signed orders and settles them in batches; see the module docstring."""

    def __init__(self, system: System, config: KeeperConfig) -> None:
        self.system = system
        self.config = config
        self.book: dict[bytes, Resting] = {}
        self.filled_orders: set[bytes] = set()
        self.markouts = MarkoutBook(config.toxicity_horizon, config.toxicity_threshold_bps, config.toxicity_min_fills)
        self.domain = domain(system)

    # ------------------------------------------------------------------ intake

    def submit(self, order: Order, signature: bytes, *, step: int, now: int) -> OrderRejected | None:
        """Intake: checks what needs no chain state (expiry, signature, duplicates); queues the order."""
        digest = order_digest(order, self.domain)
        try:
            if now > order.expiry:
                raise OrderRejected("expired", f"expired at {order.expiry}, received at {now}", digest)
            signer = recover_signer(digest, signature)
            if signer.lower() != order.trader.lower():
                raise OrderRejected("wrong-signer", f"signature is by {signer}, not {order.trader}", digest)
            if digest in self.book or digest in self.filled_orders:
                raise OrderRejected("duplicate", "the keeper already holds this order", digest)
        except OrderRejected as exc:
            return exc
        self.book[digest] = Resting(order, signature, digest, step)
        return None

    def observe_marks(self, step: int, marks: dict[int, int]) -> None:
        """Feeds the oracle marks of ``step`` to the markout history (toxicity)."""
        self.markouts.observe(step, marks)

    # -------------------------------------------------------------------- step

    def step(self, step: int) -> BatchOutcome:
        """One batch: view, plan, validate, settle (isolating reverts), reconcile, hedge."""
        batch = list(self.book.values())[: self.config.max_batch]
        view = batch_view(self.system, [r.order for r in batch])
        outcome = BatchOutcome(step, view)
        live = self._drop_closed(batch, view, outcome)
        fills = self._plan(live, view)
        check = validate_batch(fills, view)
        for fill, reason in check.rejected:
            self._drop(fill.order, reason, outcome)
        accepted = self._settle(check.accepted, outcome)
        self._reconcile(accepted, outcome)
        self._hedge(view, outcome)
        return outcome

    def _drop_closed(self, batch: Sequence[Resting], view: BatchView, outcome: BatchOutcome) -> list[Resting]:
        live = []
        for resting in batch:
            order = resting.order
            state = view.nonce_state(order.trader, order.nonce)
            if view.now > order.expiry:
                del self.book[resting.digest]
                if not resting.filled:
                    outcome.expired.append(order)
            elif state in _CLOSED_REASON and not (state == FILLED and resting.filled == order.size):
                detail = f"nonce {order.nonce} was consumed outside this keeper"
                self._drop(order, OrderRejected(_CLOSED_REASON[state], detail, resting.digest), outcome)
            else:
                if state == PARTIAL:
                    resting.filled = view.filled.get(resting.digest, resting.filled)
                live.append(resting)
        return live

    def _plan(self, live: Sequence[Resting], view: BatchView) -> list[Fill]:
        """Fills for the live orders, grouped by market (one booking run per market on-chain)."""
        by_market: dict[int, list[tuple[int, Resting]]] = {}
        for key, resting in enumerate(live):
            by_market.setdefault(resting.order.market, []).append((key, resting))
        fills = []
        for market in sorted(by_market):
            pricing = self.config.pricing.get(market)
            if pricing is None or market not in view.prices:
                continue  # no fresh oracle: the Vault cannot value any leg there, so the orders rest
            entries = dict(by_market[market])
            candidates = [
                Candidate(
                    key,
                    r.order.is_buy,
                    r.order.size - r.filled,
                    r.order.limit_price,
                    r.order.allow_amm,
                    self.config.toxicity_routing and self.markouts.is_toxic(r.order.trader),
                )
                for key, r in entries.items()
            ]
            book = MarketBook(
                view.prices.get(market),
                view.ledger.position(view.desk, market),
                self.config.risk_limits.get(market, 0),
                view.pools.get(market),
            )
            legs, _ = plan_market(candidates, book, pricing)
            for leg in legs:
                r = entries[leg.key]
                fee = min(self.config.fee_bps, r.order.max_fee_bps)
                fills.append(Fill(r.order, r.signature, leg.internal, leg.price, leg.amm, fee))
        return fills

    def _settle(self, fills: list[Fill], outcome: BatchOutcome) -> list[Fill]:
        """Sends the batch; on a revert drops the fill at fault with its reason and resends the rest."""
        while fills:
            try:
                receipt = self.system.settle(fills)
            except ContractRevert as exc:
                culprit = self._culprit(fills, exc)
                reason = OrderRejected(
                    f"chain:{exc.error_name}", str(exc), order_digest(fills[culprit].order, self.domain)
                )
                self._drop(fills[culprit].order, reason, outcome)
                fills = fills[:culprit] + fills[culprit + 1 :]
                outcome.resends += 1
                continue
            outcome.block = int(receipt["blockNumber"])
            outcome.gas_used = int(receipt["gasUsed"])
            outcome.events = fill_events(self.system, receipt)
            outcome.time = self.system.chain.timestamp()
            if len(outcome.events) != len(fills):
                raise ChainError(f"settle of {len(fills)} fills emitted {len(outcome.events)} OrderFilled events")
            return fills
        return []

    def _culprit(self, fills: Sequence[Fill], exc: ContractRevert) -> int:
        """The index of the fill that made ``settle`` revert.

        Errors naming an order digest point at it directly; otherwise (margin, cap) the shortest
        failing prefix is found by simulating ``settle`` on prefixes, and its last fill is at fault.
        """
        digest = exc.args_by_name.get("digest") if exc.args_by_name else None
        if isinstance(digest, (bytes, bytearray)):
            for index, fill in enumerate(fills):
                if order_digest(fill.order, self.domain) == bytes(digest):
                    return index
        low, high = 1, len(fills)  # the prefix of length `high` fails
        while low < high:
            middle = (low + high) // 2
            try:
                self.system.simulate_settle(fills[:middle])
            except ContractRevert:
                high = middle
            else:
                low = middle + 1
        return high - 1

    def _reconcile(self, fills: Sequence[Fill], outcome: BatchOutcome) -> None:
        """Updates the book and the markout history from the events, and checks the AMM mirror."""
        pools = {m: Pool(p.base, p.quote, p.fee_bps) for m, p in outcome.view.pools.items()}
        outcome.fills = list(fills)
        for fill, event in zip(fills, outcome.events, strict=True):
            order = fill.order
            digest = event.digest
            if digest != order_digest(order, self.domain):
                raise ChainError(f"OrderFilled for {digest.hex()} where {order.trader}'s fill was expected")
            if event.amm_size:
                expected = pools[order.market].swap(order.is_buy, event.amm_size)
                if expected != event.amm_quote:
                    raise ChainError(
                        f"AMM leg of {digest.hex()} traded for {event.amm_quote}, the mirror expected {expected}"
                    )
            if event.internal_size:
                self.markouts.record(
                    outcome.step, order.trader, order.market, order.is_buy, event.internal_size, event.internal_price
                )
            self.filled_orders.add(digest)
            resting = self.book.get(digest)
            if resting is None:
                continue
            resting.filled += event.internal_size + event.amm_size
            if resting.filled >= order.size:
                del self.book[digest]
        outcome.pools_after = pools

    def _hedge(self, view: BatchView, outcome: BatchOutcome) -> None:
        """Trades the desk's book back toward ``hedge_to`` in every market past its soft limit."""
        pools = outcome.pools_after
        for market, soft in sorted(self.config.soft_limits.items()):
            inventory = view.ledger.position(view.desk, market) + _desk_delta(outcome, market)
            order = hedge_order(
                market,
                inventory,
                soft,
                self.config.hedge_to,
                pools.get(market),
                self.config.hedge_slippage_bps,
            )
            mark = view.prices.get(market)
            if order is None or mark is None:
                continue
            try:
                quote, receipt = self.system.hedge(market, order.is_buy, order.size, order.limit_quote)
            except ContractRevert:
                continue  # the pool moved past the slippage limit; try again next step
            outcome.hedges.append(
                HedgeFill(
                    market, order.is_buy, order.size, quote, int(receipt["gasUsed"]), int(receipt["blockNumber"]), mark
                )
            )

    def _drop(self, order: Order, reason: OrderRejected, outcome: BatchOutcome) -> None:
        digest = reason.digest or order_digest(order, self.domain)
        self.book.pop(digest, None)
        outcome.rejected.append((order, reason))


def _desk_delta(outcome: BatchOutcome, market: int) -> int:
    """How the settled internal legs moved the desk's position in ``market`` (from the events)."""
    delta = 0
    for fill, event in zip(outcome.fills, outcome.events, strict=True):
        if fill.order.market == market and event.internal_size:
            delta += -event.internal_size if fill.order.is_buy else event.internal_size
    return delta
