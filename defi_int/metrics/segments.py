"""Flow segments: the desk's markouts and PnL by trader type, size bucket, venue and toxicity decile.

Data flow: every fill leg (``RunResult.fills``) is put in one segment of each kind: its trader's
population (``RunResult.trader_type``), its order's size bucket at receipt (``execution.covered``;
``unknown`` for a leg whose order has no receipt), its venue, and, once a toxicity model scores
orders (``OrderLog.p_toxic``), the decile of its order's score among the scored orders. Per
segment: the orders, legs, size and notional, the desk's fees, its spread capture on the internal
legs against the oracle at the fill, its markouts at the run's horizons (``markouts.markout_curve``:
the same numbers as the summary's) and its PnL marked at each horizon (fees plus the internal legs'
gain against the oracle h steps later). ``segments.csv`` and ``summary.json``'s ``segments``; the
columns are defined in ``definitions.COLUMNS["segments.csv"]``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from defi_int.metrics.definitions import BUCKETS
from defi_int.metrics.execution import Covered, covered, side, usd
from defi_int.metrics.markouts import markout_curve, oracle_index
from defi_int.metrics.records import RunResult
from defi_int.orders.booking import Leg

KINDS: tuple[str, ...] = ("trader_type", "size_bucket", "venue", "toxicity_decile")


def deciles(result: RunResult) -> dict[bytes, str]:
    """Each scored order's toxicity decile, ``d1`` (lowest scores) .. ``d10``, by rank (ties by arrival)."""
    scored = [(o.p_toxic, i, o.digest) for i, o in enumerate(result.orders) if o.p_toxic is not None]
    scored.sort()
    n = len(scored)
    return {digest: f"d{rank * 10 // n + 1}" for rank, (_, _, digest) in enumerate(scored)}


def _segment_of(result: RunResult, orders: Sequence[Covered]) -> dict[str, Callable[[Leg], str | None]]:
    buckets = {c.log.digest: c.bucket for c in orders}
    decile = deciles(result)
    kinds: dict[str, Callable[[Leg], str | None]] = {
        "trader_type": lambda leg: result.trader_type(leg.trader),
        "size_bucket": lambda leg: buckets.get(leg.digest, "unknown"),
        "venue": lambda leg: leg.venue,
    }
    if decile:
        kinds["toxicity_decile"] = lambda leg: decile.get(leg.digest)
    return kinds


def _order(kind: str, name: str) -> tuple[int, str]:
    if kind == "size_bucket":
        labels = [label for label, _ in BUCKETS]
        return (labels.index(name) if name in labels else len(labels), name)
    if kind == "toxicity_decile":
        return (int(name[1:]), name)
    return (0, name)


def segment_rows(result: RunResult, orders: Sequence[Covered] | None = None) -> list[dict[str, Any]]:
    """One row per (kind, segment) that holds a leg; kinds in ``KINDS`` order."""
    orders = covered(result) if orders is None else orders
    tokens = 10**result.decimals
    oracles = oracle_index(result.timeseries)
    horizons = sorted(set(result.markout_horizons))
    rows = []
    for kind, segment_of in _segment_of(result, orders).items():
        groups: dict[str, list[Leg]] = defaultdict(list)
        for leg in result.fills:
            name = segment_of(leg)
            if name is not None:
                groups[name].append(leg)
        for name in sorted(groups, key=lambda n: _order(kind, n)):
            legs = groups[name]
            internal = [leg for leg in legs if leg.venue == "internal"]
            fees = sum(leg.fee for leg in legs) / tokens
            row: dict[str, Any] = {
                "segment_kind": kind,
                "segment": name,
                "orders": len({leg.digest for leg in legs}),
                "legs": len(legs),
                "size": sum(leg.size for leg in legs),
                "notional_usd": sum(leg.quote for leg in legs) / tokens,
                "fees_usd": fees,
                "spread_capture_usd": math.fsum(
                    side(leg.is_buy) * usd(leg.size, leg.price - leg.oracle_price)
                    for leg in internal
                    if leg.oracle_price
                ),
            }
            curve = markout_curve(internal, result.timeseries, horizons)
            for h in horizons:
                row[f"markout_{h}_bps"] = curve[h]
                later = [(leg, oracles.get((leg.market, leg.step + h))) for leg in internal]
                gain = math.fsum(side(leg.is_buy) * usd(leg.size, leg.price - mark) for leg, mark in later if mark)
                row[f"pnl_{h}_usd"] = fees + gain
            rows.append(row)
    return rows


def segments_summary(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """``summary.json``'s ``segments``: kind -> segment -> its figures (size in whole base units)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        figures = {k: v for k, v in row.items() if k not in ("segment_kind", "segment")}
        figures["size"] /= 10**18
        out.setdefault(row["segment_kind"], {})[row["segment"]] = figures
    return out
