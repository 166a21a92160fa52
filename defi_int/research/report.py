"""A study's output directory: tables in Parquet and CSV, plots, one self-contained ``report.html``.

``check_study_dir(out)`` refuses, before anything runs, a directory that holds anything a study
does not write (the ledger ``runs.jsonl`` and the files below), a file, or a place that cannot be
written; an earlier study's directory is resumed. ``write_tables`` writes each table twice
(``NAME.parquet`` through pyarrow, ``NAME.csv``); every file is written whole to a temporary file
and renamed into place, so no reader ever finds half a table (``metrics.output.write_atomic``).

Plots (``matplotlib``, no pyplot): ``pnl_vs_risk.png`` (each cell's mean PnL against its mean
inventory risk, with 95 % intervals), ``heatmap.png`` (a 2-D grid's mean PnL), and
``differences.png`` (an A/B comparison's paired differences). Every text in the HTML passes
through ``html.escape``.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from defi_int.metrics.output import check_directory, csv_text, write_atomic
from defi_int.metrics.plots import png_bytes
from defi_int.research.runs import Row

__all__ = ["LEDGER", "STUDY_FILES", "check_study_dir", "escape", "write_atomic", "write_tables"]

LEDGER = "runs.jsonl"
TABLES = ("results", "cells", "differences", "table")
PLOTS = ("pnl_vs_risk.png", "heatmap.png", "differences.png")
STUDY_FILES = frozenset({LEDGER, "report.html", *PLOTS, *(f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv"))})

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
td.num { text-align: right; font-family: monospace; }
.bad { background: #f8d7d7; color: #8a1010; } .ok { background: #d8f5d8; color: #135e13; }
img { max-width: 100%; }
"""


def check_study_dir(out: str | Path) -> Path:
    """Where the study writes; raises ``OutputError`` for a directory that is not a study's."""
    return check_directory(Path(out), STUDY_FILES)


def _column(values: list[Any]) -> pa.Array:
    """One column: numbers as float64 (ints stay int64), booleans as bool, the rest as strings."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2**63) <= v < 2**63 for v in present):
            return pa.array(values, type=pa.int64())
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _columns(rows: Sequence[Row]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        for name in row:
            names.setdefault(name)
    return list(names)


def parquet_bytes(rows: Sequence[Row]) -> bytes:
    names = _columns(rows)
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
    names = _columns(rows)
    return csv_text(names, ([_cell(row.get(name)) for name in names] for row in rows)).encode()


def write_tables(out: Path, tables: Mapping[str, Sequence[Row]]) -> dict[str, Path]:
    """``NAME.parquet`` and ``NAME.csv`` for each table, each written whole."""
    written = {}
    for name, rows in tables.items():
        written[f"{name}.parquet"] = write_atomic(out / f"{name}.parquet", parquet_bytes(rows))
        written[f"{name}.csv"] = write_atomic(out / f"{name}.csv", csv_bytes(rows))
    return written


# --------------------------------------------------------------------------- plots


def _figure(width: float = 9.0, height: float = 5.0) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def pnl_vs_risk_png(points: Sequence[tuple[str, Row, Row]], pnl: str, risk: str, keys: str = "") -> bytes:
    """Each cell: mean ``pnl`` (y) against mean ``risk`` (x), 95 % intervals both ways, labelled by its values."""
    figure = _figure()
    axes = figure.add_subplot()
    for label, y, x in points:
        if x["mean"] is None or y["mean"] is None:
            continue
        xerr = None if x["ci_low"] is None else [[x["mean"] - x["ci_low"]], [x["ci_high"] - x["mean"]]]
        yerr = None if y["ci_low"] is None else [[y["mean"] - y["ci_low"]], [y["ci_high"] - y["mean"]]]
        axes.errorbar([x["mean"]], [y["mean"]], xerr=xerr, yerr=yerr, fmt="o", capsize=3)
        axes.annotate(label, (x["mean"], y["mean"]), textcoords="offset points", xytext=(5, 5), fontsize=8)
    axes.set_xlabel(f"{risk} (mean over seeds, 95 % CI)")
    axes.set_ylabel(f"{pnl} (mean over seeds, 95 % CI)")
    axes.set_title("PnL against inventory risk, per cell" + (f" (labels: {keys})" if keys else ""))
    axes.grid(alpha=0.3)
    return png_bytes(figure)


def heatmap_png(
    keys: tuple[str, str], xs: Sequence[str], ys: Sequence[str], means: Sequence[Sequence[float | None]], what: str
) -> bytes:
    """A 2-D grid's mean ``what``: ``means[i][j]`` at ``ys[i]`` (rows), ``xs[j]`` (columns)."""
    figure = _figure(7.0, 5.0)
    axes = figure.add_subplot()
    data = [[math.nan if v is None else v for v in row] for row in means]
    image = axes.imshow(data, origin="lower", aspect="auto", cmap="viridis")
    axes.set_xticks(range(len(xs)), labels=list(xs))
    axes.set_yticks(range(len(ys)), labels=list(ys))
    axes.set_xlabel(keys[1])
    axes.set_ylabel(keys[0])
    for i, row in enumerate(data):
        for j, value in enumerate(row):
            if not math.isnan(value):
                axes.text(j, i, f"{value:,.2f}", ha="center", va="center", color="white", fontsize=8)
    figure.colorbar(image, ax=axes, label=f"{what} (mean over seeds)")
    axes.set_title(f"{what} over the grid")
    return png_bytes(figure)


def differences_png(rows: Sequence[Row]) -> bytes:
    """One panel per figure: the mean paired difference B − A with its 95 % interval, and zero."""
    shown = [r for r in rows if r["mean_diff"] is not None]
    figure = _figure(8.0, max(2.0, 0.8 * len(shown) + 1))
    if not shown:
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
        return png_bytes(figure)
    panels = figure.subplots(len(shown), 1, squeeze=False)
    for axes, row in zip(panels[:, 0], shown, strict=True):
        mean = row["mean_diff"]
        err = None if row["ci_low"] is None else [[mean - row["ci_low"]], [row["ci_high"] - mean]]
        axes.errorbar([mean], [0], xerr=err, fmt="o", capsize=4)
        axes.axvline(0, color="grey", linewidth=1)
        axes.set_yticks([])
        axes.set_ylabel(row["figure"], rotation=0, ha="right", va="center", fontsize=8)
    panels[0, 0].set_title("B − A per seed: mean and 95 % CI")
    return png_bytes(figure)


# --------------------------------------------------------------------------- html


def _format(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:,.4f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def html_table(rows: Sequence[Row], columns: Sequence[str] | None = None) -> str:
    columns = list(columns) if columns is not None else _columns(rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            klass = ' class="num"' if isinstance(value, int | float) and not isinstance(value, bool) else ""
            cells.append(f"<td{klass}>{html.escape(_format(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def report_html(title: str, sections: Sequence[tuple[str, str]], images: Mapping[str, bytes]) -> bytes:
    """A self-contained page: ``sections`` are (heading, HTML built with ``html_table``/escaped text)."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for heading, body in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
    for name, data in images.items():
        encoded = base64.b64encode(data).decode()
        parts.append(f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{encoded}"></figure>')
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )
    return page.encode()


def escape(text: str) -> str:
    return html.escape(text)


def paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"
