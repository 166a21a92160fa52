"""The run's report directory: ``write_report(result, out_dir)`` turns a ``RunResult`` into files.

Data flow: every output is computed in memory first (``fills.csv`` from ``fills``,
``timeseries.csv`` from ``timeseries``, ``summary.json`` from ``summary.summarize``, the five PNGs
from ``plots``, and ``report.html`` embedding those PNGs as base64 data URIs next to the key
figures and the scenario parameters); only then is the directory written, as a whole: into a
temporary directory beside ``out_dir``, renamed into place (``output.write_directory``). A
failure while computing writes nothing; a failure while writing never leaves a half-written
report. An existing ``out_dir`` holding only report files (an earlier report) is replaced whole;
one holding anything else is refused with ``OutputError``, before a run by ``check_report_dir``.

The HTML is one self-contained file (no external CSS, scripts or images), every piece of text in
it passes through ``html.escape``.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from defi_int.metrics.fills import fills_csv
from defi_int.metrics.output import check_directory, write_directory
from defi_int.metrics.plots import PLOT_FILES, render_plots
from defi_int.metrics.pnl import cumulative_pnl
from defi_int.metrics.records import RunResult
from defi_int.metrics.summary import summarize
from defi_int.metrics.timeseries import timeseries_csv

REPORT_FILES: tuple[str, ...] = ("fills.csv", "timeseries.csv", "summary.json", *PLOT_FILES, "report.html")

_CAPTIONS = {
    "inventory.png": "Desk inventory",
    "prices.png": "Oracle, AMM mid and fill prices",
    "pnl.png": "Cumulative PnL decomposition",
    "markouts.png": "Markouts of internal fills",
    "deviation.png": "Deviation from the oracle",
    "nav.png": "The desk's NAV per share",
}

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-family: monospace; }
.ok { background: #d8f5d8; color: #135e13; font-weight: bold; }
.bad { background: #f8d7d7; color: #8a1010; font-weight: bold; }
pre { background: #f5f5f5; padding: 1em; overflow-x: auto; }
figure { margin: 1em 0; } img { max-width: 100%; }
"""


def summary_json(summary: Mapping[str, Any]) -> bytes:
    """``summary.json``: strict JSON (no NaN), indented by 2, with a trailing newline."""
    return (json.dumps(summary, indent=2, allow_nan=False) + "\n").encode()


def _number(value: Any, places: int = 4, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return f"{value:,.{places}f}{suffix}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _stats_text(stats: Mapping[str, float | None]) -> str:
    return ", ".join(f"{name} {_number(value, 2)}" for name, value in stats.items())


def _key_figures(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    breakdown = summary["pnl_breakdown"]
    markouts = summary["markouts_bps"]
    liquidations = summary["liquidations"]
    return [
        ("orders received", _number(summary["orders_total"])),
        ("orders filled", _number(summary["orders_filled"])),
        ("orders rejected", _number(summary["orders_rejected"])),
        ("orders expired", _number(summary["orders_expired"])),
        ("internalization rate (volume)", _percent(summary["internalization_rate"])),
        ("internal volume (base units)", _number(summary["internal_volume"])),
        ("AMM volume (base units)", _number(summary["amm_volume"])),
        (
            "final inventory (base units)",
            ", ".join(f"{m}: {_number(v)}" for m, v in summary["inventory_final"].items()),
        ),
        ("PnL total (tokens)", _number(summary["pnl_total"], 6)),
        *((f"PnL {name} (tokens)", _number(part, 6)) for name, part in breakdown.items()),
        ("PnL residual (units)", _number(summary["pnl_residual_units"])),
        ("|fill - oracle| (bps)", _stats_text(summary["price_deviation_bps"])),
        ("price improvement vs AMM, internal (bps)", _stats_text(summary["price_improvement_bps"])),
        ("|AMM mid - oracle| (bps)", _stats_text(summary["amm_oracle_deviation_bps"])),
        *((f"markout at {h} steps (bps)", _number(m, 2)) for h, m in markouts.items()),
        ("settle gas per fill", _number(summary["gas_per_fill"], 0)),
        ("settle transactions", _number(summary["settle_transactions"])),
        ("hedge transactions", _number(summary["hedge_transactions"])),
        (
            "liquidations (desk / AMM)",
            f"{_number(liquidations['count'])} ({_number(liquidations['by_venue']['desk'])} / "
            f"{_number(liquidations['by_venue']['amm'])})",
        ),
        ("liquidation penalties (tokens)", _number(liquidations["penalties"], 6)),
        ("bad debt (tokens)", _number(liquidations["bad_debt"], 6)),
        ("insurance fund at the end (tokens)", _number(liquidations["insurance_fund"], 6)),
        (
            "NAV per share (tokens): start / end",
            f"{_number(summary['nav_per_share']['start'], 6)} / {_number(summary['nav_per_share']['end'], 6)}",
        ),
        ("wall time (s)", _number(summary["wall_seconds"], 2)),
        ("orders per second", _number(summary["orders_per_second"], 2)),
    ]


def _table(rows: list[tuple[str, str]], header: tuple[str, str] | None = None) -> str:
    head = f"<tr><th>{html.escape(header[0])}</th><th>{html.escape(header[1])}</th></tr>" if header else ""
    body = "".join(f'<tr><th>{html.escape(k)}</th><td class="num">{html.escape(v)}</td></tr>' for k, v in rows)
    return f"<table>{head}{body}</table>"


def _flag(ok: bool) -> str:
    return f'<td class="{"ok" if ok else "bad"}">{"holds" if ok else "FAILS"}</td>'


def _invariants(summary: Mapping[str, Any]) -> str:
    ok = bool(summary["invariants_ok"])
    top = f'<p>All invariants and an exact PnL decomposition: <span class="{"ok" if ok else "bad"}">'
    top += f"{'OK' if ok else 'NOT OK'}</span></p>"
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th>{_flag(bool(v))}</tr>" for name, v in summary["invariants"].items()
    )
    return top + (f"<table>{rows}</table>" if rows else "<p>No invariants were recorded.</p>")


def _by_type(summary: Mapping[str, Any]) -> str:
    by_type: Mapping[str, Mapping[str, float | None]] = summary["markouts_bps_by_type"]
    horizons = list(summary["markouts_bps"])
    if not by_type or not horizons:
        return "<p>No markouts.</p>"
    head = "<tr><th>trader type</th>" + "".join(f"<th>{html.escape(h)} steps</th>" for h in horizons) + "</tr>"
    body = "".join(
        f"<tr><th>{html.escape(kind)}</th>"
        + "".join(f'<td class="num">{html.escape(_number(curve.get(h), 2))}</td>' for h in horizons)
        + "</tr>"
        for kind, curve in by_type.items()
    )
    return f"<p>Markouts (bps, desk's side, size-weighted) by trader type:</p><table>{head}{body}</table>"


def report_html(summary: Mapping[str, Any], images: Mapping[str, bytes], scenario: Mapping[str, Any] | None) -> bytes:
    """The self-contained ``report.html``."""
    title = f"defi-int run: {summary['scenario']} (seed {summary['seed']})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Backend: {html.escape(str(summary['backend']))}</p>",
        "<h2>Invariants</h2>",
        _invariants(summary),
        "<h2>Key figures</h2>",
        _table(_key_figures(summary), ("figure", "value")),
        _by_type(summary),
    ]
    if summary["rejections"]:
        parts += ["<h2>Rejections</h2>", _table([(r, _number(n)) for r, n in summary["rejections"].items()])]
    parts.append("<h2>Charts</h2>")
    for name, data in images.items():
        encoded = base64.b64encode(data).decode("ascii")
        caption = html.escape(_CAPTIONS.get(name, name))
        parts.append(f'<figure><img alt="{caption}" src="data:image/png;base64,{encoded}">')
        parts.append(f"<figcaption>{caption}</figcaption></figure>")
    if summary["contracts"]:
        parts += ["<h2>Contracts</h2>", _table(list(summary["contracts"].items()), ("contract", "address"))]
    if scenario is not None:
        text = json.dumps(scenario, indent=2, default=str, ensure_ascii=False)
        parts += ["<h2>Scenario parameters</h2>", f"<pre>{html.escape(text)}</pre>"]
    parts.append("</body></html>\n")
    return "\n".join(parts).encode()


def write_report(
    result: RunResult,
    out_dir: str | Path,
    *,
    scenario: dict[str, Any] | None = None,
    caps: Mapping[int, int] | None = None,
    soft_limits: Mapping[int, int] | None = None,
) -> dict[str, Path]:
    """Writes the report directory ``out_dir`` (see the module docstring); returns file name -> path.

    ``scenario`` is shown in the HTML as given; ``caps`` and ``soft_limits`` (market -> base units)
    are drawn on the inventory chart.
    """
    out_dir = Path(out_dir)
    points = cumulative_pnl(result)
    summary = summarize(result)
    images = render_plots(result, points=points, caps=caps, soft_limits=soft_limits)
    contents: dict[str, bytes] = {
        "fills.csv": fills_csv(result.fills, result.decimals),
        "timeseries.csv": timeseries_csv(result, points),
        "summary.json": summary_json(summary),
        **images,
        "report.html": report_html(summary, images, scenario),
    }
    return write_directory(out_dir, {name: contents[name] for name in REPORT_FILES})


def check_report_dir(out_dir: str | Path) -> Path:
    """Raises ``OutputError`` unless a report can be written at ``out_dir``; returns it made absolute."""
    return check_directory(Path(out_dir), REPORT_FILES)
