"""``/metrics``: the bot in Prometheus text (prometheus-client), one registry per service.

Two kinds of series:

- read at scrape time from the journal and the state (``_Collector``), so they are right after a
  restart: ``defi_int_orders{status}``, ``defi_int_fills_booked{venue}``,
  ``defi_int_journal_backlog{kind}``, ``defi_int_inventory{market}`` and
  ``defi_int_inventory_cap{market}`` (base units, 1e18), ``defi_int_oracle_age_seconds{market}``,
  ``defi_int_desk_equity`` (collateral units), ``defi_int_breaker_open{breaker,market}`` (1 open,
  0 closed; ``market=""`` for desk-wide breakers) and ``defi_int_loop_age_seconds``;
- observed as they happen, fed by the loop and the API: ``defi_int_settle_latency_seconds``
  (histogram, first signature to confirmation), ``defi_int_gas_per_fill`` (histogram),
  ``defi_int_rpc_errors_total{method}``, ``defi_int_api_rejections_total{code}`` and
  ``defi_int_loop_events_total{event}`` (reorgs, replacements, cancels, failed or dropped settles,
  liquidations, unexpected fills ...).

The Grafana dashboard and the Prometheus alert rules shipped in ``ops/`` name only these series (a
test holds them to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from defi_int.bot.breakers import AMM_DEVIATION, DRAWDOWN, INVENTORY, KILL_SWITCH, STALE_ORACLE, BreakerBoard
from defi_int.bot.journal import Journal, SettleRecord
from defi_int.bot.snapshot import DeskSnapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0)
_GAS_BUCKETS = (15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 75_000, 100_000, 150_000, 250_000)


class Live(Protocol):
    """What the scrape reads besides the journal (``BotState`` has it)."""

    def snapshot(self) -> DeskSnapshot | None: ...
    def board(self) -> BreakerBoard: ...
    def health(self) -> tuple[bool, float | None, str]: ...


_SCORE_BUCKETS = tuple(i / 10 for i in range(1, 11))
_MARKOUT_BUCKETS = (-100.0, -50.0, -20.0, -10.0, -5.0, 0.0, 5.0, 10.0, 20.0, 50.0, 100.0)


class BotMetrics:
    """The service's registry and the series the loop and the API feed (see the module docstring)."""

    def __init__(self, journal: Journal, live: Live, markets: tuple[int, ...]) -> None:
        self.registry = CollectorRegistry()
        self.settle_latency = Histogram(
            "defi_int_settle_latency_seconds",
            "Seconds from a settle transaction's first signature to its confirmation.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.gas_per_fill = Histogram(
            "defi_int_gas_per_fill",
            "Gas of a confirmed settle transaction divided by its fills.",
            buckets=_GAS_BUCKETS,
            registry=self.registry,
        )
        self.rpc_errors = Counter(
            "defi_int_rpc_errors", "JSON-RPC calls that failed, by method.", ["method"], registry=self.registry
        )
        self.api_rejections = Counter(
            "defi_int_api_rejections", "API requests refused, by error code.", ["code"], registry=self.registry
        )
        self.loop_events = Counter(
            "defi_int_loop_events",
            "What the loop met: reorg, replacement, cancel, rebroadcast, gap_filler, settle_failed, "
            "settle_dropped, unexpected_fill, plan_mismatch, liquidation, liquidation_failed.",
            ["event"],
            registry=self.registry,
        )
        self.toxicity_score = Histogram(
            "defi_int_toxicity_score",
            "The toxicity model's probability that an order is toxic, at the keeper's intake, by model.",
            ["model"],
            buckets=_SCORE_BUCKETS,
            registry=self.registry,
        )
        self.expected_markout = Histogram(
            "defi_int_expected_markout_bps",
            "The toxicity model's expected markout of an order at intake, bps from the desk's side, by model.",
            ["model"],
            buckets=_MARKOUT_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Collector(journal, live, markets))

    def scored(self, model: str, p_toxic: float, expected_markout_bps: float) -> None:
        """Observes one order's toxicity score at intake."""
        self.toxicity_score.labels(model=model).observe(p_toxic)
        self.expected_markout.labels(model=model).observe(expected_markout_bps)

    def settle_confirmed(self, settle: SettleRecord) -> None:
        """Observes a confirmed settle: its latency and its gas per fill."""
        signed, confirmed = settle.times.get("signed"), settle.times.get("confirmed")
        if signed is not None and confirmed is not None:
            self.settle_latency.observe(max(0.0, confirmed - signed))
        if settle.gas_used and settle.fills:
            self.gas_per_fill.observe(settle.gas_used / len(settle.fills))

    def loop_event(self, event: str) -> None:
        self.loop_events.labels(event=event).inc()

    def rpc_error(self, method: str) -> None:
        self.rpc_errors.labels(method=method).inc()

    def rejected(self, code: str) -> None:
        self.api_rejections.labels(code=code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Collector(Collector):
    """The series read at scrape time."""

    def __init__(self, journal: Journal, live: Live, markets: tuple[int, ...]) -> None:
        self.journal = journal
        self.live = live
        self.markets = markets

    def collect(self) -> Iterator[Metric]:
        orders = GaugeMetricFamily("defi_int_orders", "Orders in the journal, by status.", labels=["status"])
        for status, count in self.journal.status_counts().items():
            orders.add_metric([status], count)
        yield orders
        fills = GaugeMetricFamily("defi_int_fills_booked", "Fill legs booked from the chain.", labels=["venue"])
        for venue, count in self.journal.fill_counts().items():
            fills.add_metric([venue], count)
        yield fills
        backlog = GaugeMetricFamily("defi_int_journal_backlog", "What is not final yet.", labels=["kind"])
        for kind, count in self.journal.backlog().items():
            backlog.add_metric([kind], count)
        yield backlog
        yield from self._markets()
        _, age, _ = self.live.health()
        loop = GaugeMetricFamily("defi_int_loop_age_seconds", "Seconds since the loop last finished an iteration.")
        loop.add_metric([], -1.0 if age is None else age)
        yield loop

    def _markets(self) -> Iterator[Metric]:
        snapshot, board = self.live.snapshot(), self.live.board()
        markets = sorted(snapshot.markets) if snapshot is not None else list(self.markets)
        inventory = GaugeMetricFamily("defi_int_inventory", "The desk's position (1e18 base units).", labels=["market"])
        cap = GaugeMetricFamily("defi_int_inventory_cap", "The desk's inventory cap (1e18 units).", labels=["market"])
        age = GaugeMetricFamily("defi_int_oracle_age_seconds", "Age of the oracle price.", labels=["market"])
        equity = GaugeMetricFamily("defi_int_desk_equity", "The desk's cash plus its positions at the oracle (units).")
        if snapshot is not None:
            for m in markets:
                state = snapshot.markets[m]
                inventory.add_metric([str(m)], float(state.inventory))
                cap.add_metric([str(m)], float(state.inventory_cap))
                age.add_metric([str(m)], float(state.oracle_age(snapshot.time)))
            if snapshot.equity is not None:
                equity.add_metric([], float(snapshot.equity))
        yield inventory
        yield cap
        yield age
        yield equity
        breakers = GaugeMetricFamily(
            "defi_int_breaker_open", "Circuit breakers: 1 open, 0 closed.", labels=["breaker", "market"]
        )
        for name in (KILL_SWITCH, DRAWDOWN):
            breakers.add_metric([name, ""], float(board.trip(name) is not None))
        for name in (STALE_ORACLE, AMM_DEVIATION, INVENTORY):
            for m in markets:
                trip = board.trip(name, m)
                breakers.add_metric([name, str(m)], float(trip is not None and trip.market == m))
        yield breakers
