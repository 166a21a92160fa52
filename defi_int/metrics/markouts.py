"""Markouts of internal fills: how the oracle moved after the desk took the other side.

For an internal fill at step ``t`` and a horizon of ``h`` steps, the markout is measured from the
**desk's** side in bps of the fill price, against the oracle price the time series holds for the
same market at step ``t + h``:

- desk sold (the trader bought): ``(price - oracle[t+h]) / price``;
- desk bought (the trader sold): ``(oracle[t+h] - price) / price``.

Negative means the price went against the desk after the fill: adverse selection. Fills whose
``t + h`` has no time point (past the last step) are left out of that horizon. AMM legs are not
the desk's trades and are ignored. Means are weighted by fill size, so one large informed fill
counts as much as many small noise fills of the same total size.

Data flow: ``RunResult.fills`` + ``RunResult.timeseries`` -> ``markout_bps`` per fill ->
``markout_curve`` / ``markouts_by_type`` (summary, plot) and ``trader_markouts`` (per trader).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

from defi_int.metrics.output import ratio_bps
from defi_int.metrics.records import TimePoint
from defi_int.orders.booking import Leg

OracleIndex: TypeAlias = Mapping[tuple[int, int], int]  # (market, step) -> oracle price, 1e18


def oracle_index(timeseries: Iterable[TimePoint]) -> dict[tuple[int, int], int]:
    """The oracle price of every (market, step) in the time series."""
    return {(point.market, point.step): point.oracle_price for point in timeseries}


def markout_bps(fill: Leg, oracles: OracleIndex, horizon: int) -> float | None:
    """The desk's markout of one internal fill at ``horizon`` steps; ``None`` if it cannot be measured."""
    if fill.venue != "internal":
        return None
    later = oracles.get((fill.market, fill.step + horizon))
    if later is None:
        return None
    gain = fill.price - later if fill.is_buy else later - fill.price
    return ratio_bps(gain, fill.price)


def _weighted_mean(pairs: Sequence[tuple[int, float]]) -> float | None:
    weight = sum(size for size, _ in pairs)
    if weight == 0:
        return None
    return math.fsum(size * markout for size, markout in pairs) / weight


def _measured(fills: Iterable[Leg], oracles: OracleIndex, horizon: int) -> list[tuple[Leg, float]]:
    measured: list[tuple[Leg, float]] = []
    for fill in fills:
        markout = markout_bps(fill, oracles, horizon)
        if markout is not None:
            measured.append((fill, markout))
    return measured


def markout_curve(
    fills: Sequence[Leg], timeseries: Sequence[TimePoint], horizons: Iterable[int]
) -> dict[int, float | None]:
    """Size-weighted mean markout of all internal fills per horizon (sorted); ``None`` where none qualify."""
    oracles = oracle_index(timeseries)
    curve: dict[int, float | None] = {}
    for horizon in sorted(set(horizons)):
        curve[horizon] = _weighted_mean([(fill.size, m) for fill, m in _measured(fills, oracles, horizon)])
    return curve


def markouts_by_type(
    fills: Sequence[Leg], timeseries: Sequence[TimePoint], horizons: Iterable[int], types: Mapping[str, str]
) -> dict[str, dict[int, float | None]]:
    """``markout_curve`` per trader type (``types``: lower-case address -> population; others are
    ``unknown``), types sorted by name, over the internal fills of each type."""

    def kind_of(fill: Leg) -> str:
        return types.get(fill.trader.lower(), "unknown")

    kinds = sorted({kind_of(fill) for fill in fills if fill.venue == "internal"})
    wanted = sorted(set(horizons))
    return {kind: markout_curve([f for f in fills if kind_of(f) == kind], timeseries, wanted) for kind in kinds}


def trader_markouts(
    fills: Sequence[Leg], timeseries: Sequence[TimePoint], horizon: int
) -> dict[str, tuple[float, int]]:
    """Per trader (sorted by address): size-weighted mean markout at ``horizon`` and the number of fills in it.

    Traders with no measurable internal fill at that horizon are absent.
    """
    by_trader: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for fill, markout in _measured(fills, oracle_index(timeseries), horizon):
        by_trader[fill.trader].append((fill.size, markout))
    out: dict[str, tuple[float, int]] = {}
    for trader in sorted(by_trader):
        mean = _weighted_mean(by_trader[trader])
        if mean is not None:  # None only if all sizes are 0
            out[trader] = (mean, len(by_trader[trader]))
    return out
