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
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


class _Mean:
    """A size-weighted mean built in one pass: Σ size (exact) and every size·markout, summed by
    ``math.fsum`` (exact rounding, so the order of the fills does not matter)."""

    def __init__(self) -> None:
        self.weight = 0
        self.products = array("d")

    def add(self, size: int, markout: float) -> None:
        self.weight += size
        self.products.append(size * markout)

    def value(self) -> float | None:
        return math.fsum(self.products) / self.weight if self.weight else None


def _weighted_mean(pairs: Sequence[tuple[int, float]]) -> float | None:
    mean = _Mean()
    for size, markout in pairs:
        mean.add(size, markout)
    return mean.value()


def _measured(fills: Iterable[Leg], oracles: OracleIndex, horizon: int) -> Iterator[tuple[Leg, float]]:
    for fill in fills:
        markout = markout_bps(fill, oracles, horizon)
        if markout is not None:
            yield fill, markout


def _curves(
    fills: Iterable[Leg], timeseries: Iterable[TimePoint], horizons: Iterable[int], kind_of: Callable[[Leg], str]
) -> dict[str, dict[int, float | None]]:
    """``markout_curve`` of the internal fills of each ``kind_of`` (kinds sorted), in one pass over ``fills``."""
    oracles = oracle_index(timeseries)
    wanted = sorted(set(horizons))
    means: dict[str, dict[int, _Mean]] = {}
    for fill in fills:
        if fill.venue != "internal":
            continue
        kind = kind_of(fill)
        curve = means.get(kind)
        if curve is None:
            curve = means[kind] = {horizon: _Mean() for horizon in wanted}
        for horizon in wanted:
            markout = markout_bps(fill, oracles, horizon)
            if markout is not None:
                curve[horizon].add(fill.size, markout)
    return {kind: {h: mean.value() for h, mean in means[kind].items()} for kind in sorted(means)}


def markout_curve(
    fills: Iterable[Leg], timeseries: Iterable[TimePoint], horizons: Iterable[int]
) -> dict[int, float | None]:
    """Size-weighted mean markout of all internal fills per horizon (sorted); ``None`` where none qualify."""
    wanted = sorted(set(horizons))
    curve = _curves(fills, timeseries, wanted, lambda _: "").get("")
    return curve if curve is not None else {horizon: None for horizon in wanted}


def markouts_by_type(
    fills: Iterable[Leg], timeseries: Iterable[TimePoint], horizons: Iterable[int], types: Mapping[str, str]
) -> dict[str, dict[int, float | None]]:
    """``markout_curve`` per trader type (``types``: lower-case address -> population; others are
    ``unknown``), types sorted by name, over the internal fills of each type."""
    return _curves(fills, timeseries, horizons, lambda fill: types.get(fill.trader.lower(), "unknown"))


def trader_markouts(
    fills: Iterable[Leg], timeseries: Iterable[TimePoint], horizon: int
) -> dict[str, tuple[float, int]]:
    """Per trader (sorted by address): size-weighted mean markout at ``horizon`` and the fills in it.

    Traders with no measurable internal fill at that horizon are absent.
    """
    by_trader: dict[str, _Mean] = {}
    for fill, markout in _measured(fills, oracle_index(timeseries), horizon):
        by_trader.setdefault(fill.trader, _Mean()).add(fill.size, markout)
    out: dict[str, tuple[float, int]] = {}
    for trader in sorted(by_trader):
        mean = by_trader[trader].value()
        if mean is not None:  # None only if all sizes are 0
            out[trader] = (mean, len(by_trader[trader].products))
    return out
