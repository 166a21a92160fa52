"""Execution quality in the form of SEC Rule 605 as amended in 2024: ``execution.csv``.

Data flow: ``RunResult.orders`` (each with what the desk saw at receipt) and ``RunResult.fills``
(the legs, by order digest) become one ``Covered`` per admitted order (``covered``): its mid at
receipt, notional, size bucket and order type (``definitions.TERMS``). Each leg's figures are
computed once (``leg_figures``) and ``quality`` turns any set of orders into one row of statistics:
fill rate and how the rest ended, the effective spread (against the AMM's mid, and against the
oracle) and the quoted spread, E/Q, price improvement against the AMM, realized spreads at 1 and 5
blocks and 1 and 5 minutes (the later mid from ``RunResult.timeseries``, ``MidIndex``), and the
time from receipt to fill. ``execution_rows`` groups by market × order type × size bucket (the
CSV), ``execution_summary`` takes every covered order at once (``summary.json``). Every column is
defined in ``definitions.COLUMNS["execution.csv"]``; the routing, segments and audits modules reuse
``Covered``.

Prices are exact integers until a statistic is formed: bps come from one division of exact
integers (``output.ratio_bps``), averages are share-weighted with ``math.fsum``; a statistic over
nothing is ``None`` (an empty cell, JSON ``null``).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from defi_int.metrics.definitions import BUCKETS, HORIZONS, ORDER_TYPES, bucket_of, columns
from defi_int.metrics.output import csv_text, fixed, ratio_bps
from defi_int.metrics.records import OrderLog, RunResult, TimePoint
from defi_int.orders.booking import Leg

_E36 = 10**36


def side(is_buy: bool) -> int:
    """D: +1 for a buy, −1 for a sell (the trader's side)."""
    return 1 if is_buy else -1


def usd(size: int, price: int) -> float:
    """``size`` base units at ``price`` (1e18) in USD."""
    return size * price / _E36


@dataclass
class Covered:
    """An order the desk admitted, with what the execution report derives from its receipt."""

    log: OrderLog
    mid: int  # the mid at receipt: the AMM's, else the oracle's (1e18)
    notional: float  # USD at the mid
    bucket: str
    order_type: str  # marketable / non_marketable
    legs: list[Leg] = field(default_factory=list)
    figures: list[LegFigures] | None = None  # its legs' statistics, once computed (``leg_figures``)

    @property
    def quoted_bps(self) -> float | None:
        """The AMM's quoted spread for the order's size at receipt (``None``: no pool or no price)."""
        amm = self.log.amm_price_at_receipt
        if amm is None or not self.log.amm_mid_at_receipt:
            return None
        return ratio_bps(2 * side(self.log.is_buy) * (amm - self.mid), self.mid)


def covered(result: RunResult) -> list[Covered]:
    """Every admitted order (one with a mid at receipt) and its legs, in arrival order."""
    legs: dict[bytes, list[Leg]] = defaultdict(list)
    for leg in result.fills:
        legs[leg.digest].append(leg)
    out = []
    for log in result.orders:
        mid = log.amm_mid_at_receipt or log.oracle_at_receipt
        if not mid:
            continue
        notional = usd(log.size, mid)
        kind = ORDER_TYPES[0] if log.marketable else ORDER_TYPES[1]
        out.append(Covered(log, mid, notional, bucket_of(notional), kind, legs.get(log.digest, [])))
    return out


class MidIndex:
    """Each market's recorded mids (the AMM's, else the oracle), by block and by time."""

    def __init__(self, timeseries: Iterable[TimePoint]) -> None:
        points: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for p in timeseries:
            points[p.market].append((p.block, p.time, p.amm_mid or p.oracle_price))
        self._blocks = {m: [b for b, _, _ in pts] for m, pts in points.items()}
        self._times = {m: [t for _, t, _ in pts] for m, pts in points.items()}
        self._mids = {m: [mid for _, _, mid in pts] for m, pts in points.items()}

    def at_block(self, market: int, block: int) -> int | None:
        """The mid of the first sample at or after ``block``."""
        return self._first(market, self._blocks, block)

    def at_time(self, market: int, time: int) -> int | None:
        """The mid of the first sample at or after ``time``."""
        return self._first(market, self._times, time)

    def _first(self, market: int, keys: Mapping[int, list[int]], at: int) -> int | None:
        found = keys.get(market)
        if not found:
            return None
        index = bisect.bisect_left(found, at)
        return self._mids[market][index] if index < len(found) else None


def weighted_mean(pairs: Iterable[tuple[int, float]]) -> float | None:
    """Σ w·x / Σ w over (w, x); ``None`` when the weights sum to 0."""
    pairs = list(pairs)
    weight = sum(w for w, _ in pairs)
    return math.fsum(w * x for w, x in pairs) / weight if weight else None


def weighted_percentile(pairs: Iterable[tuple[int, float]], q: float) -> float | None:
    """The smallest x whose cumulative weight reaches ``q`` of the total (``None``: no weight)."""
    ordered = sorted(pairs, key=lambda p: p[1])
    total = sum(w for w, _ in ordered)
    if not total:
        return None
    running = 0
    for w, x in ordered:
        running += w
        if running >= q * total:
            return x
    return ordered[-1][1]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class LegFigures:
    """What one fill leg of a covered order adds to the statistics (bps; ``None``: not defined)."""

    size: int
    effective: float
    against_oracle: float | None
    quoted: float | None  # the order's quoted spread
    improvement: float | None  # against the AMM's price for the order's size at receipt (None: none)
    realized: tuple[float | None, ...]  # per ``HORIZONS``
    wait: float  # seconds from receipt


def leg_figures(c: Covered, mids: MidIndex) -> list[LegFigures]:
    """The figures of ``c``'s legs, computed once per order (kept on it)."""
    if c.figures is not None:
        return c.figures
    d, log, q = side(c.log.is_buy), c.log, c.quoted_bps
    out = []
    for leg in c.legs:
        oracle, amm = log.oracle_at_receipt, log.amm_price_at_receipt
        realized = []
        for _, blocks, seconds in HORIZONS:
            later = (
                mids.at_block(leg.market, leg.block + blocks)
                if blocks
                else mids.at_time(leg.market, leg.time + seconds)
            )
            realized.append(None if later is None else ratio_bps(2 * d * (leg.price - later), c.mid))
        out.append(
            LegFigures(
                leg.size,
                2 * d * (leg.price - c.mid) * 10_000 / c.mid,
                ratio_bps(2 * d * (leg.price - oracle), oracle) if oracle else None,
                q,
                ratio_bps(d * (amm - leg.price), amm) if amm else None,
                tuple(realized),
                float(leg.time - log.received_time),
            )
        )
    c.figures = out
    return out


def quality(orders: Sequence[Covered], mids: MidIndex) -> dict[str, Any]:
    """One row of Rule 605 statistics over ``orders`` (keys: ``definitions`` columns from ``orders``)."""
    size = sum(c.log.size for c in orders)
    filled = sum(sum(leg.size for leg in c.legs) for c in orders)
    left: dict[str, int] = defaultdict(int)
    for c in orders:
        left[c.log.status] += c.log.size - sum(leg.size for leg in c.legs)
    legs = [f for c in orders for f in leg_figures(c, mids)]
    effective = [(f.size, f.effective) for f in legs]
    against_oracle = [(f.size, f.against_oracle) for f in legs if f.against_oracle is not None]
    quoted = [(f.size, f.quoted) for f in legs if f.quoted is not None]
    effective_q = [(f.size, f.effective) for f in legs if f.quoted is not None]
    improvable = sum(f.size for f in legs if f.improvement is not None)
    improved = [(f.size, f.improvement) for f in legs if f.improvement is not None and f.improvement > 0]
    times = [(f.size, f.wait) for f in legs]
    quoted_mean = weighted_mean(quoted)
    effective_over_q = weighted_mean(effective_q)
    row: dict[str, Any] = {
        "orders": len(orders),
        "notional_usd": math.fsum(c.notional for c in orders),
        "size": size,
        "filled": filled,
        "fill_rate": _share(filled, size),
        "cancelled_share": _share(left["cancelled"], size),
        "expired_share": _share(left["expired"], size),
        "rejected_share": _share(left["rejected"], size),
        "open_share": _share(left["open"], size),
        "effective_spread_bps": weighted_mean(effective),
        "effective_spread_oracle_bps": weighted_mean(against_oracle),
        "quoted_spread_bps": quoted_mean,
        "eq_ratio": (
            effective_over_q / quoted_mean
            if quoted_mean is not None and effective_over_q is not None and quoted_mean > 0
            else None
        ),
        "price_improved_share": _share(sum(w for w, _ in improved), improvable),
        "price_improvement_bps": weighted_mean(improved),
    }
    for i, (suffix, _, _) in enumerate(HORIZONS):
        realized = [(f.size, x) for f in legs if (x := f.realized[i]) is not None]
        row[f"realized_spread_{suffix}_bps"] = weighted_mean(realized)
    row["time_to_fill_avg_s"] = weighted_mean(times)
    row["time_to_fill_p90_s"] = weighted_percentile(times, 0.9)
    return row


def execution_rows(result: RunResult, orders: Sequence[Covered] | None = None) -> list[dict[str, Any]]:
    """The groups market × order type × size bucket that hold an order, in that order."""
    orders = covered(result) if orders is None else orders
    mids = MidIndex(result.timeseries)
    groups: dict[tuple[int, str, str], list[Covered]] = defaultdict(list)
    for c in orders:
        groups[(c.log.market, c.order_type, c.bucket)].append(c)
    buckets = [label for label, _ in BUCKETS]
    keys = sorted(groups, key=lambda k: (k[0], ORDER_TYPES.index(k[1]), buckets.index(k[2])))
    return [
        {"market": m, "order_type": kind, "size_bucket": bucket, **quality(groups[(m, kind, bucket)], mids)}
        for m, kind, bucket in keys
    ]


def execution_summary(result: RunResult, orders: Sequence[Covered] | None = None) -> dict[str, Any]:
    """The same statistics over every covered order, and per order type (``summary.json``)."""
    orders = covered(result) if orders is None else orders
    mids = MidIndex(result.timeseries)
    out: dict[str, Any] = {"orders_without_receipt": len(result.orders) - len(orders)}
    out["all"] = _json_row(quality(orders, mids))
    for kind in ORDER_TYPES:
        out[kind] = _json_row(quality([c for c in orders if c.order_type == kind], mids))
    return out


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Sizes as whole base units (floats), the rest as is."""
    return {k: v / 10**18 if k in ("size", "filled") else v for k, v in row.items()}


def cell(value: Any, name: str) -> str:
    """A statistic as a CSV cell: exact sizes and prices, USD with 2 places, bps with 4, shares with 6,
    seconds with 3, counts as integers, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int) and not name.endswith("_usd"):
        return fixed(value) if name in _FIXED else str(value)
    places = 2 if name.endswith("_usd") else 4 if name.endswith("_bps") else 3 if name.endswith("_s") else 6
    text = f"{value:.{places}f}"
    return text.lstrip("-") if float(text) == 0 else text


#: Columns holding exact 1e18 amounts (sizes and prices), written as plain decimals.
_FIXED = frozenset({"size", "filled", "hedge_size", "size_gained", "internal_gained", "price", "reference_price"})


def table_csv(name: str, rows: Sequence[Mapping[str, Any]], horizons: Sequence[int] = ()) -> bytes:
    """Rows as the CSV ``name`` (its header from ``definitions``)."""
    header = columns(name, horizons)
    return csv_text(header, ([cell(row.get(col), col) for col in header] for row in rows)).encode()
