"""The per-step table: one row per ``TimePoint`` (market x step), written as ``timeseries.csv``.

Each row carries the market's prices and the desk's inventory at the end of the step, plus what
belongs to the step as a whole: the desk's equity (Vault cash plus every desk position valued at
that step's oracle prices with ``pnl.value``), the NAV per share of the desk's depositors (whole
tokens per share: ``nav_per_share``) and the cumulative PnL parts from ``pnl.cumulative_pnl``.
``amm_oracle_deviation_bps`` here is signed, ``(amm_mid - oracle) / oracle``;
the summary takes its absolute value. Exact amounts are rendered like the fills table: prices and
inventory as plain decimals, cash, equity and PnL with the collateral's ``decimals`` places.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from defi_int.market.shares import OFFSET
from defi_int.metrics.output import bps, csv_text, fixed, ratio_bps, units, write_atomic
from defi_int.metrics.pnl import PnlPoint, cumulative_pnl, value
from defi_int.metrics.records import RunResult, TimePoint

TIMESERIES_COLUMNS: tuple[str, ...] = (
    "step",
    "block",
    "time",
    "market",
    "index_price",
    "oracle_price",
    "amm_mid",
    "amm_oracle_deviation_bps",
    "inventory",
    "desk_cash",
    "fee_cash",
    "desk_equity",
    "nav_per_share",
    "pnl_spread",
    "pnl_inventory",
    "pnl_fees",
    "pnl_hedging",
    "pnl_funding",
    "pnl_liquidations",
    "pnl_total",
)


def amm_oracle_deviation_bps(point: TimePoint) -> float | None:
    """Signed ``(amm_mid - oracle) / oracle`` in bps; ``None`` without an oracle price."""
    return ratio_bps(point.amm_mid - point.oracle_price, point.oracle_price)


def desk_equity(timeseries: Sequence[TimePoint], price_scale: int) -> dict[int, int]:
    """Per step: desk cash plus all desk positions at that step's oracle prices, collateral units."""
    positions: dict[int, int] = defaultdict(int)
    cash: dict[int, int] = {}
    for point in timeseries:
        positions[point.step] += value(point.inventory, point.oracle_price, price_scale)
        cash[point.step] = point.desk_cash
    return {step: cash[step] + positions[step] for step in cash}


def nav_per_share(point: TimePoint) -> float:
    """Whole tokens per whole share of the desk (``OFFSET x 10^decimals`` share units, what one token
    bought at the first deposit): ``(nav + 1) x OFFSET / (total_shares + OFFSET)``; 0 before any share."""
    if not point.total_shares:
        return 0.0
    return (point.desk_nav + 1) * OFFSET / (point.total_shares + OFFSET)


def timeseries_rows(result: RunResult, points: Sequence[PnlPoint] | None = None) -> list[list[str]]:
    """All rows in ``TIMESERIES_COLUMNS`` order, in the order of ``result.timeseries``."""
    decimals = result.decimals
    pnl = {point.step: point for point in (cumulative_pnl(result) if points is None else points)}
    equity = desk_equity(result.timeseries, result.price_scale)
    rows: list[list[str]] = []
    for point in result.timeseries:
        parts = pnl.get(point.step, PnlPoint(point.step, 0, 0, 0, 0))
        rows.append(
            [
                str(point.step),
                str(point.block),
                str(point.time),
                str(point.market),
                fixed(point.index_price),
                fixed(point.oracle_price),
                fixed(point.amm_mid),
                bps(amm_oracle_deviation_bps(point)),
                fixed(point.inventory),
                units(point.desk_cash, decimals),
                units(point.fee_cash, decimals),
                units(equity[point.step], decimals),
                f"{nav_per_share(point):.9f}",
                units(parts.spread, decimals),
                units(parts.inventory, decimals),
                units(parts.fees, decimals),
                units(parts.hedging, decimals),
                units(parts.funding, decimals),
                units(parts.liquidations, decimals),
                units(parts.total, decimals),
            ]
        )
    return rows


def timeseries_csv(result: RunResult, points: Sequence[PnlPoint] | None = None) -> bytes:
    """The whole ``timeseries.csv`` as bytes."""
    return csv_text(TIMESERIES_COLUMNS, timeseries_rows(result, points)).encode()


def write_timeseries_csv(result: RunResult, path: Path) -> Path:
    """Writes ``timeseries.csv`` atomically."""
    return write_atomic(path, timeseries_csv(result))
