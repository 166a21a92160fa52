"""The desk's performance in a few numbers a quant compares across runs: PnL per volume, Sharpe, drawdown.

``performance(result, points)`` reads the exact PnL parts (``pnl.breakdown``) and the cumulative PnL
at the end of every step (``pnl.cumulative_pnl``) and gives, for ``summary.json``, the report and a
study's rows:

- ``internal_notional``: what the desk traded with its clients, Σ of the internal legs' quotes
  (collateral tokens); "volume" below;
- ``pnl_bps_of_volume``: the total and each part, in bps of that volume (the parts add up to the
  total): what the desk kept per 10,000 of notional it took on;
- ``pnl_share``: each part as a signed share of the gross PnL Σ|part| (their absolute values add up
  to 1); a share of the *total* would explode when the parts nearly cancel;
- ``sharpe_per_step``: mean over sd (ddof 1) of the total PnL's change per step, marked at the
  oracle, not annualized (multiply by √(steps per year) for that);
- ``max_drawdown``: the largest fall of the cumulative total PnL from its running peak (the start, 0,
  counts as a peak), in tokens and in bps of volume.

Undefined figures (no volume, fewer than two steps, a flat PnL) are ``None``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from defi_int.metrics.output import ratio_bps
from defi_int.metrics.pnl import PARTS, PnlBreakdown, PnlPoint
from defi_int.metrics.records import RunResult


def internal_notional_units(result: RunResult) -> int:
    """Σ of the internal legs' quotes, collateral units."""
    return sum(fill.quote for fill in result.fills if fill.venue == "internal")


def max_drawdown_units(points: Sequence[PnlPoint]) -> int:
    """The largest fall of the cumulative total from its running peak (0 at the start)."""
    peak, worst = 0, 0
    for point in points:
        total = point.total
        peak = max(peak, total)
        worst = max(worst, peak - total)
    return worst


def sharpe_per_step(points: Sequence[PnlPoint]) -> float | None:
    """Mean over sd of the total PnL's change per step; ``None`` under two steps or when flat."""
    totals = [0, *(point.total for point in points)]
    changes = [float(b - a) for a, b in itertools.pairwise(totals)]
    if len(changes) < 2:
        return None
    mean = math.fsum(changes) / len(changes)
    sd = math.sqrt(math.fsum((c - mean) ** 2 for c in changes) / (len(changes) - 1))
    return mean / sd if sd > 0 else None


def performance(result: RunResult, pnl: PnlBreakdown, points: Sequence[PnlPoint]) -> dict[str, Any]:
    """The figures of the module docstring, in that order."""
    tokens = 10**result.decimals
    volume = internal_notional_units(result)
    parts = pnl.parts()
    gross = sum(abs(v) for v in parts.values())
    drawdown = max_drawdown_units(points)
    return {
        "internal_notional": volume / tokens,
        "pnl_bps_of_volume": {
            "total": ratio_bps(pnl.total, volume),
            **{k: ratio_bps(v, volume) for k, v in parts.items()},
        },
        "pnl_share": {name: (parts[name] / gross if gross else None) for name in PARTS},
        "sharpe_per_step": sharpe_per_step(points),
        "max_drawdown": drawdown / tokens,
        "max_drawdown_bps_of_volume": ratio_bps(drawdown, volume),
    }
