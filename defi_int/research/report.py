"""A study's output directory: tables in Parquet and CSV, interactive charts, one self-contained ``report.html``.

``check_study_dir(out)`` refuses, before anything runs, a directory that holds anything a study
does not write (the ledger ``runs.jsonl``, the manifest ``study.json``, the files below, and the
PNG charts earlier versions wrote), a file, or a place that cannot be written; an earlier study's
directory is resumed (``study.claim`` then checks it is the same study). ``write_tables`` writes
each table twice (``NAME.parquet`` through pyarrow, ``NAME.csv``); every file is written whole to a
temporary file and renamed into place, so no reader ever finds half a table
(``metrics.output.write_atomic``). Integers past ``int64`` (exact amounts in 1e18 units) are
``decimal256(39, 0)`` in Parquet, as in ``metrics.frames``.

The study charts, plotly figures for ``metrics.html.chart`` (every chart of a study is here):
``pnl_vs_risk_chart`` (each cell's mean PnL against its inventory risk, 95 % intervals both ways),
``heatmap_chart`` (a 2-D grid's mean PnL), ``breakdown_chart`` (each cell's or policy's mean PnL
by part, stacked, with the total and its interval), ``differences_chart`` (an A/B comparison's
paired differences, one panel per figure) and ``profits_chart`` (the experiment's profit
distribution per row against the published mean and sd).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.parquet as pq
from plotly.subplots import make_subplots

from defi_int.metrics.figures import COLOURS, layout, no_data
from defi_int.metrics.frames import EXACT
from defi_int.metrics.output import check_directory, csv_text, write_atomic
from defi_int.metrics.pnl import PARTS
from defi_int.research.runs import Row
from defi_int.research.study import MANIFEST

__all__ = ["LEDGER", "STUDY_FILES", "check_study_dir", "write_atomic", "write_tables"]

LEDGER = "runs.jsonl"
TABLES = ("results", "cells", "differences", "table")
#: Charts earlier versions wrote as PNG files: a directory holding them is still a study's.
EARLIER_FILES = ("pnl_vs_risk.png", "heatmap.png", "differences.png")
STUDY_FILES = frozenset(
    {LEDGER, MANIFEST, "report.html", *EARLIER_FILES, *(f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv"))}
)


def check_study_dir(out: str | Path) -> Path:
    """Where the study writes; raises ``OutputError`` for a directory that is not a study's."""
    return check_directory(Path(out), STUDY_FILES)


def _column(values: list[Any]) -> pa.Array:
    """One column: numbers as float64 (ints stay int64, exact decimals past it), booleans as bool,
    the rest as strings."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2**63) <= v < 2**63 for v in present):
            return pa.array(values, type=pa.int64())
        if all(abs(v) < 10**39 for v in present):
            return pa.array(values, type=EXACT)
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


#: The figures a reader looks at first, in a table of runs (the rest follow in their order).
LEAD = (
    "seed", "status", "pnl_total", "pnl_at_close", "pnl_bps_of_volume", "sharpe_per_step", "max_drawdown",
    "inventory_final", "inventory_sd", "internalization_rate", "orders_filled",
)  # fmt: skip
HIDDEN = ("key", "flow_digest", "error", "traceback")
#: Runs embedded in a report's table of every run; the rest are in results.csv.
MAX_RUN_ROWS = 10_000


def lead(names: Sequence[str], first: Sequence[str]) -> list[str]:
    """``names`` with ``first`` and then ``LEAD`` in front, without ``HIDDEN`` (kept in the tables' files)."""
    order = [n for n in (*first, *LEAD) if n in names]
    front = list(dict.fromkeys(order))
    return [*front, *(n for n in names if n not in front and n not in HIDDEN)]


def runs_table(rows: Sequence[Row], first: Sequence[str]) -> str:
    """Every run in a sortable table, ``first`` and the key figures in front, at most ``MAX_RUN_ROWS``."""
    from defi_int.metrics import html

    return html.data_table(rows, lead(columns(rows), first), limit=MAX_RUN_ROWS, what="runs", where="results.csv")


def columns(rows: Sequence[Row]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        for name in row:
            names.setdefault(name)
    return list(names)


def parquet_bytes(rows: Sequence[Row]) -> bytes:
    names = columns(rows)
    table = pa.table({name: _column([row.get(name) for row in rows]) for name in names})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def csv_bytes(rows: Sequence[Row]) -> bytes:
    names = columns(rows)
    return csv_text(names, ([_cell(row.get(name)) for name in names] for row in rows)).encode()


def write_tables(out: Path, tables: Mapping[str, Sequence[Row]]) -> dict[str, Path]:
    """``NAME.parquet`` and ``NAME.csv`` for each table, each written whole."""
    written = {}
    for name, rows in tables.items():
        written[f"{name}.parquet"] = write_atomic(out / f"{name}.parquet", parquet_bytes(rows))
        written[f"{name}.csv"] = write_atomic(out / f"{name}.csv", csv_bytes(rows))
    return written


# --------------------------------------------------------------------------- charts


def _interval(row: Row) -> tuple[float, float] | None:
    if row.get("ci_low") is None or row.get("mean") is None:
        return None
    return row["mean"] - row["ci_low"], row["ci_high"] - row["mean"]


def _error(interval: tuple[float, float] | None) -> dict[str, Any] | None:
    """Plotly's asymmetric error bar of (below, above)."""
    if interval is None:
        return None
    return {"type": "data", "symmetric": False, "array": [interval[1]], "arrayminus": [interval[0]]}


def pnl_vs_risk_chart(points: Sequence[tuple[str, Row, Row]], pnl: str, risk: str, keys: str = "") -> go.Figure:
    """Each cell (label, its ``pnl`` row, its ``risk`` row): mean PnL against mean risk, 95 % intervals."""
    figure = layout(
        go.Figure(),
        "PnL against inventory risk, per cell" + (f" ({keys})" if keys else ""),
        f"{risk} (mean over seeds, 95 % CI)",
        f"{pnl} (mean over seeds, 95 % CI)",
    )
    drawn = [(label, y, x) for label, y, x in points if x["mean"] is not None and y["mean"] is not None]
    if not drawn:
        return no_data(figure)
    for label, y, x in drawn:
        xi, yi = _interval(x), _interval(y)
        figure.add_trace(
            go.Scatter(
                x=[x["mean"]], y=[y["mean"]], mode="markers", name=label, marker={"size": 10},
                error_x=_error(xi), error_y=_error(yi),
            )
        )  # fmt: skip
    figure.update_layout(showlegend=len(drawn) <= 24)
    return figure


def heatmap_chart(
    keys: tuple[str, str], xs: Sequence[str], ys: Sequence[str], means: Sequence[Sequence[float | None]], what: str
) -> go.Figure:
    """A 2-D grid's mean ``what``: ``means[i][j]`` at ``ys[i]`` (rows), ``xs[j]`` (columns)."""
    text = [["" if v is None else f"{v:,.2f}" for v in row] for row in means]
    figure = go.Figure(
        go.Heatmap(
            z=[[None if v is None else v for v in row] for row in means], x=[str(x) for x in xs],
            y=[str(y) for y in ys], text=text, texttemplate="%{text}", colorscale="Viridis",
            colorbar={"title": {"text": f"{what}<br>(mean)"}},
            hovertemplate=f"{keys[1]} = %{{x}}<br>{keys[0]} = %{{y}}<br>{what} %{{z:,.4f}}<extra></extra>",
        )
    )  # fmt: skip
    layout(figure, f"{what} over the grid (mean over seeds)", keys[1], keys[0])
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category")
    return figure


def breakdown_chart(groups: Sequence[tuple[str, Mapping[str, Row]]], title: str) -> go.Figure:
    """Per group (a cell, a policy): the mean of each PnL part stacked, and the mean total with its CI.

    ``groups`` are (label, {figure name -> its cells row}) with figures ``pnl_<part>`` and ``pnl_total``.
    """
    figure = layout(go.Figure(), title, "", "PnL (collateral tokens, mean over seeds)")
    if not groups:
        return no_data(figure)
    labels = [label for label, _ in groups]
    for part in PARTS:
        values = [rows.get(f"pnl_{part}", {}).get("mean") for _, rows in groups]
        if all(v in (None, 0) for v in values):
            continue
        figure.add_trace(go.Bar(x=labels, y=values, name=part, marker_color=COLOURS.get(part)))
    totals = [rows.get("pnl_total", {}) for _, rows in groups]
    errors = [_interval(t) if t else None for t in totals]
    figure.add_trace(
        go.Scatter(
            x=labels, y=[t.get("mean") for t in totals], mode="markers", name="total (95 % CI)",
            marker={"color": "black", "size": 10, "symbol": "diamond"},
            error_y={
                "type": "data", "symmetric": False,
                "array": [None if e is None else e[1] for e in errors],
                "arrayminus": [None if e is None else e[0] for e in errors],
            },
        )
    )  # fmt: skip
    figure.update_layout(barmode="relative", hovermode="x unified")
    figure.update_xaxes(type="category")
    return figure


def differences_chart(rows: Sequence[Row]) -> go.Figure:
    """One panel per figure: the mean paired difference B − A with its 95 % interval, and zero."""
    shown = [r for r in rows if r["mean_diff"] is not None]
    if not shown:
        return no_data(layout(go.Figure(), "B − A per seed", "", ""))
    figure = make_subplots(rows=len(shown), cols=1, subplot_titles=[r["figure"] for r in shown], vertical_spacing=0.08)
    for index, row in enumerate(shown, start=1):
        interval = (
            None if row["ci_low"] is None else (row["mean_diff"] - row["ci_low"], row["ci_high"] - row["mean_diff"])
        )
        figure.add_trace(
            go.Scatter(
                x=[row["mean_diff"]], y=[""], mode="markers", name=row["figure"], showlegend=False,
                marker={"size": 10, "color": "#d62728" if row.get("ci_excludes_zero") else "#1f77b4"},
                error_x=None if interval is None else {
                    "type": "data", "symmetric": False, "array": [interval[1]], "arrayminus": [interval[0]]
                },
                hovertemplate="B − A %{x:,.4g}<extra>" + row["figure"] + "</extra>",
            ),
            row=index, col=1,
        )  # fmt: skip
        figure.add_vline(x=0, line_color="grey", line_width=1, row=index, col=1)
    title = "B − A per seed: mean and 95 % CI (red: the interval excludes 0)"
    layout(figure, title, "", "", height=max(260, 80 * len(shown) + 90))
    return figure


def profits_chart(groups: Sequence[tuple[str, Sequence[float], float | None, float | None]]) -> go.Figure:
    """Per row (label, profits over paths, published mean, published sd): a box of ours, the paper's mean ± sd."""
    published = [(label, mean, sd) for label, _, mean, sd in groups if mean is not None]
    title = "Profit at T per path (box: quartiles; dashed: mean ± sd)"
    figure = layout(go.Figure(), title + (", against the published mean ± sd" if published else ""), "", "profit")
    if not any(values for _, values, _, _ in groups):
        return no_data(figure)
    for label, values, _, _ in groups:
        figure.add_trace(go.Box(y=list(values), name=label, boxmean="sd", marker_color="#1f77b4", showlegend=False))
    if published:
        figure.add_trace(
            go.Scatter(
                x=[label for label, _, _ in published], y=[mean for _, mean, _ in published], mode="markers",
                name="published mean ± sd", marker={"color": "#d62728", "size": 11, "symbol": "diamond"},
                error_y={"type": "data", "array": [sd for _, _, sd in published], "color": "#d62728"},
            )
        )  # fmt: skip
    return figure
