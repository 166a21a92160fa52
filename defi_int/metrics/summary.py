"""The run in one JSON object: ``summarize(result)`` -> ``summary.json`` and the report's table.

It gathers the counters the runner recorded, the volumes and internalization rate of trader
fills, the final inventory, the exact PnL breakdown from ``pnl.breakdown``, statistics of the
per-fill numbers from ``fills.derive``, markouts from ``markouts``, the AMM-oracle deviation from
the time series, gas and throughput, the liquidations (by venue, penalties, bad debt, the insurance
fund) and the invariants read from the chain; ``performance`` adds PnL in bps of volume, each
part's share, Sharpe per step and the maximum drawdown.

The output is strict JSON with a fixed key order: floats only for statistics and display amounts
(whole tokens / whole base units), exact integers under ``pnl_breakdown_units``, and ``None``
(JSON ``null``) for any statistic over an empty set or with a zero denominator, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from defi_int.metrics.fills import derive
from defi_int.metrics.markouts import markout_curve, markouts_by_type
from defi_int.metrics.performance import performance
from defi_int.metrics.pnl import breakdown, cumulative_pnl
from defi_int.metrics.records import RunResult
from defi_int.metrics.timeseries import amm_oracle_deviation_bps, nav_per_share
from defi_int.orders.booking import Leg
from defi_int.types import ONE


def stats(values: Iterable[float | None], keys: Sequence[str]) -> dict[str, float | None]:
    """``mean``, ``p50``, ``p95`` and/or ``max`` of the defined values; all ``None`` when there are none."""
    data = np.array([v for v in values if v is not None], dtype=np.float64)
    if data.size == 0:
        return {key: None for key in keys}
    compute = {
        "mean": lambda: math.fsum(data.tolist()) / data.size,
        "p50": lambda: float(np.percentile(data, 50)),
        "p95": lambda: float(np.percentile(data, 95)),
        "max": lambda: float(data.max()),
    }
    return {key: compute[key]() for key in keys}


def _abs(value: float | None) -> float | None:
    return None if value is None else abs(value)


def _horizon_keys(curve: dict[int, float | None]) -> dict[str, float | None]:
    return {str(horizon): mean for horizon, mean in curve.items()}


def settled_fills(fills: Sequence[Leg]) -> int:
    """Fills as the contract sees them: distinct (order digest, step) pairs, one per settled order and batch.

    One pass holding one step's digests: legs come in chain order, so a step's legs are together;
    legs out of step order (not a run's) are counted over the whole set instead, a second pass."""
    count, step, digests, done = 0, None, set[bytes](), set[int]()
    for fill in fills:
        if fill.step != step:
            if fill.step in done:
                return len({(f.digest, f.step) for f in fills})
            if step is not None:
                done.add(step)
            count += len(digests)
            step, digests = fill.step, set()
        digests.add(fill.digest)
    return count + len(digests)


def _fill_figures(fills: Iterable[Leg]) -> tuple[int, int, list[float | None], list[float | None]]:
    """In one pass: the internal and AMM volumes, every leg's |price deviation| and the internal
    legs' price improvements (bps, ``fills.derive``)."""
    volume = {"internal": 0, "amm": 0}
    deviations: list[float | None] = []
    improvements: list[float | None] = []
    for fill in fills:
        volume[fill.venue] += fill.size
        derived = derive(fill)
        deviations.append(_abs(derived.deviation_bps))
        if fill.venue == "internal":
            improvements.append(derived.price_improvement_bps)
    return volume["internal"], volume["amm"], deviations, improvements


def _liquidations(result: RunResult) -> dict[str, Any]:
    """Liquidations by venue (a close split between the desk and the AMM counts for both), their
    penalties, the bad debt the insurance fund paid, and the fund at the end (whole tokens)."""
    tokens = 10**result.decimals
    done = result.liquidations
    return {
        "count": len(done),
        "accounts": len({r.account for r in done}),
        "by_venue": {"desk": sum(1 for r in done if r.to_desk), "amm": sum(1 for r in done if r.to_amm)},
        "size_by_venue": {"desk": sum(r.to_desk for r in done) / ONE, "amm": sum(r.to_amm for r in done) / ONE},
        "penalties": sum(r.penalty for r in done) / tokens,
        "bad_debt": sum(r.bad_debt for r in done) / tokens,
        "bad_debt_uncovered": sum(r.uncovered for r in done) / tokens,
        "insurance_fund": result.insurance_fund / tokens,
        "gas": result.liquidation_gas,
    }


def summarize(result: RunResult) -> dict[str, Any]:
    """The JSON-able summary of a run; see the module docstring for its conventions."""
    tokens = 10**result.decimals
    fills = result.fills
    internal, amm, deviations, improvements = _fill_figures(fills)
    pnl = breakdown(result)
    settled = settled_fills(fills)
    horizons = result.markout_horizons
    wall = float(result.wall_seconds)
    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "backend": result.backend,
        "contracts": dict(sorted(result.contracts.items())),
        "orders_total": result.orders_total,
        "orders_filled": result.orders_filled,
        "orders_rejected": result.orders_rejected,
        "orders_expired": result.orders_expired,
        "orders_open": result.orders_open,
        "rejections": dict(sorted(result.rejections.items())),
        "arbitrage_reverts": dict(sorted(result.arbitrage_reverts.items())),
        "fill_legs": len(fills),
        "settled_fills": settled,
        "internal_volume": internal / ONE,
        "amm_volume": amm / ONE,
        "internalization_rate": internal / (internal + amm) if internal + amm else None,
        "inventory_final": {str(market): pos / ONE for market, pos in sorted(result.end.positions.items())},
        "pnl_total": pnl.total / tokens,
        "pnl_breakdown": {name: part / tokens for name, part in pnl.parts().items()},
        "pnl_breakdown_units": {**pnl.parts(), "total": pnl.total},
        "pnl_residual_units": pnl.residual,
        **performance(result, pnl, cumulative_pnl(result)),
        "price_deviation_bps": stats(deviations, ("mean", "p50", "p95", "max")),
        "price_improvement_bps": stats(improvements, ("mean", "p50")),
        "markouts_bps": _horizon_keys(markout_curve(fills, result.timeseries, horizons)),
        "markouts_bps_by_type": {
            kind: _horizon_keys(curve)
            for kind, curve in markouts_by_type(fills, result.timeseries, horizons, result.trader_types).items()
        },
        "amm_oracle_deviation_bps": stats(
            (_abs(amm_oracle_deviation_bps(point)) for point in result.timeseries), ("mean", "p95", "max")
        ),
        "gas_per_fill": result.settle_gas / settled if settled else None,
        "settle_transactions": result.settle_transactions,
        "settle_gas": result.settle_gas,
        "hedge_transactions": result.hedge_transactions,
        "hedge_gas": result.hedge_gas,
        "liquidations": _liquidations(result),
        "nav_per_share": _nav_per_share(result),
        "wall_seconds": wall if math.isfinite(wall) else None,
        "orders_per_second": result.orders_total / wall if math.isfinite(wall) and wall > 0 else None,
        "phase_seconds": {k: round(v, 3) for k, v in result.phase_seconds.items()},
        "invariants": dict(sorted(result.invariants.items())),
        "invariants_ok": all(result.invariants.values()) and pnl.residual == 0,
    }


def _nav_per_share(result: RunResult) -> dict[str, Any]:
    """The desk's NAV per share (whole tokens) at the first and last step and its range, and the
    depositors' share operations by outcome."""
    values = [nav_per_share(p) for p in {p.step: p for p in result.timeseries if p.total_shares}.values()]
    return {
        "start": values[0] if values else None,
        "end": values[-1] if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
        "depositors": dict(sorted(result.depositors.items())),
    }
