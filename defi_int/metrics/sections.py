"""The run report's sections: every table and chart of ``report.html``, in one place.

A section is one function ``(ReportData) -> str | None``: it returns its HTML body, built with
``metrics.html`` (``table``, ``pairs``, ``data_table``, ``chart`` ...) and the charts of
``metrics.figures``, or ``None`` when it has nothing to show (a run without liquidations has no
liquidation section). ``SECTIONS`` lists them in page order, one line each: adding a section is
writing its function and adding its line::

    def execution_quality(data: ReportData) -> str | None:
        return html.table(rule_605_rows(data.result))

    SECTIONS = (..., ("Execution quality (Rule 605)", execution_quality), ...)

``ReportData`` carries what every section may read, computed once: the ``RunResult``, its
``summarize`` JSON, its DataFrames (``metrics.frames``), the scenario's resolved values, the
``--set`` overrides the run was given, and the inventory limits for the chart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from defi_int.market.shares import OFFSET
from defi_int.metrics import figures, html
from defi_int.metrics.frames import Frames
from defi_int.metrics.pnl import PARTS
from defi_int.metrics.records import RunResult
from defi_int.metrics.timeseries import nav_per_share

#: Fill legs embedded in the report's table; the rest are in ``fills.csv``.
MAX_FILL_ROWS = 5_000


@dataclass(frozen=True)
class ReportData:
    """Everything a section may read (see the module docstring)."""

    result: RunResult
    summary: Mapping[str, Any]
    frames: Frames
    scenario: Mapping[str, Any] | None = None
    overrides: Sequence[str] = ()
    caps: Mapping[int, int] | None = None
    soft_limits: Mapping[int, int] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # for sections that need more (set by their caller)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _stats(stats: Mapping[str, float | None]) -> str:
    return ", ".join(f"{name} {html.number(value, 2)}" for name, value in stats.items())


def overview(data: ReportData) -> str:
    summary = data.summary
    ok = bool(summary["invariants_ok"])
    facts = [
        f"Scenario {summary['scenario']}, seed {summary['seed']}, on {summary['backend']}.",
        f"{summary['orders_total']:,} orders received, {summary['orders_filled']:,} filled; internalization "
        f"{_percent(summary['internalization_rate'])}; PnL {html.number(summary['pnl_total'], 2)} tokens "
        f"({html.number(summary['pnl_bps_of_volume']['total'], 2)} bps of the desk's volume).",
    ]
    body = "".join(html.paragraph(text) for text in facts)
    if data.overrides:
        body += html.paragraph("Run with these overrides of the scenario file (--set):") + html.lines(
            list(data.overrides), code=True
        )
    else:
        body += html.paragraph("Run with the scenario file as written (no --set).")
    verdict = "All invariants hold and the PnL decomposition is exact" if ok else "An invariant FAILS or PnL is off"
    return body + html.verdict(verdict, ok)


def invariants(data: ReportData) -> str:
    rows = [
        {"invariant": name, "read from the chain": "holds" if v else "FAILS"}
        for name, v in data.summary["invariants"].items()
    ]
    if not rows:
        return html.paragraph("No invariants were recorded.")
    marks = {
        (i, "read from the chain"): "ok" if r["read from the chain"] == "holds" else "bad" for i, r in enumerate(rows)
    }
    return html.table(rows, classes=marks)


def key_figures(data: ReportData) -> str:
    s = data.summary
    liquidations = s["liquidations"]
    bps = s["pnl_bps_of_volume"]
    rows = [
        ("orders received", html.number(s["orders_total"])),
        ("orders filled", html.number(s["orders_filled"])),
        ("orders rejected", html.number(s["orders_rejected"])),
        ("orders expired", html.number(s["orders_expired"])),
        ("internalization rate (volume)", _percent(s["internalization_rate"])),
        ("internal volume (base units)", html.number(s["internal_volume"])),
        ("AMM volume (base units)", html.number(s["amm_volume"])),
        ("desk's volume: internal notional (tokens)", html.number(s["internal_notional"], 2)),
        ("final inventory (base units)", ", ".join(f"{m}: {html.number(v)}" for m, v in s["inventory_final"].items())),
        ("PnL total (tokens)", html.number(s["pnl_total"], 6)),
        ("PnL (bps of volume)", html.number(bps["total"], 2)),
        ("Sharpe ratio per step", html.number(s["sharpe_per_step"], 4)),
        ("maximum drawdown (tokens)", html.number(s["max_drawdown"], 6)),
        ("maximum drawdown (bps of volume)", html.number(s["max_drawdown_bps_of_volume"], 2)),
        ("PnL residual (units)", html.number(s["pnl_residual_units"])),
        ("|fill - oracle| (bps)", _stats(s["price_deviation_bps"])),
        ("price improvement vs AMM, internal (bps)", _stats(s["price_improvement_bps"])),
        ("|AMM mid - oracle| (bps)", _stats(s["amm_oracle_deviation_bps"])),
        ("settle gas per fill", html.number(s["gas_per_fill"], 0)),
        ("settle transactions", html.number(s["settle_transactions"])),
        ("hedge transactions", html.number(s["hedge_transactions"])),
        (
            "liquidations (desk / AMM)",
            f"{liquidations['count']:,} ({liquidations['by_venue']['desk']:,} / {liquidations['by_venue']['amm']:,})",
        ),
        (
            "NAV per share (tokens): start / end",
            f"{html.number(s['nav_per_share']['start'], 6)} / {html.number(s['nav_per_share']['end'], 6)}",
        ),
        ("wall time (s)", html.number(s["wall_seconds"], 2)),
        ("orders per second", html.number(s["orders_per_second"], 2)),
    ]
    return html.pairs(rows, ("figure", "value"))


def pnl(data: ReportData) -> str:
    s = data.summary
    rows = [
        {
            "part": name,
            "tokens": s["pnl_breakdown"][name],
            "bps of volume": s["pnl_bps_of_volume"][name],
            "share of gross PnL": _percent(s["pnl_share"][name]),
            "units (exact)": s["pnl_breakdown_units"][name],
        }
        for name in PARTS
    ]
    rows.append(
        {
            "part": "total",
            "tokens": s["pnl_total"],
            "bps of volume": s["pnl_bps_of_volume"]["total"],
            "share of gross PnL": None,
            "units (exact)": s["pnl_breakdown_units"]["total"],
        }
    )
    note = html.paragraph(
        "Spread: internal fills against the oracle; inventory: oracle moves on the held position; fees; hedging: "
        "the desk's own AMM trades; funding; liquidations taken. A part's share is of the gross PnL Σ|part|.",
        "note",
    )
    block_time = data.result.block_time
    return (
        html.chart(figures.pnl_chart(data.frames, block_time, PARTS), "pnl")
        + html.table(rows)
        + note
        + html.chart(figures.pnl_waterfall(s["pnl_breakdown"], s["pnl_total"]), "pnl-waterfall")
    )


def prices(data: ReportData) -> str:
    return html.chart(figures.prices_chart(data.frames, data.result.block_time), "prices")


def inventory(data: ReportData) -> str:
    def base(levels: Mapping[int, int] | None) -> dict[int, float] | None:
        return None if levels is None else {m: v / 10**18 for m, v in levels.items()}

    chart = figures.inventory_chart(data.frames, data.result.block_time, base(data.caps), base(data.soft_limits))
    return html.chart(chart, "inventory")


def markouts(data: ReportData) -> str:
    by_type: Mapping[str, Mapping[str, float | None]] = data.summary["markouts_bps_by_type"]
    horizons = list(data.summary["markouts_bps"])
    rows = [{"trader type": "all", **{f"{h} steps": data.summary["markouts_bps"][h] for h in horizons}}]
    rows += [{"trader type": kind, **{f"{h} steps": curve.get(h) for h in horizons}} for kind, curve in by_type.items()]
    note = html.paragraph("Markouts in bps, the desk's side, size-weighted; negative: the trader was right.", "note")
    return html.chart(figures.markouts_chart(data.summary), "markouts") + html.table(rows, places=2) + note


def deviation(data: ReportData) -> str:
    return html.chart(figures.deviation_chart(data.frames), "deviation")


def nav(data: ReportData) -> str:
    whole = 10**data.result.decimals * OFFSET
    by_step = {p.step: p for p in data.result.timeseries if p.total_shares}
    points = [(step, nav_per_share(p), p.total_shares / whole) for step, p in sorted(by_step.items())]
    return html.chart(figures.nav_chart(points, data.result.block_time), "nav")


def fills(data: ReportData) -> str:
    frame = data.frames.fills
    columns = [
        "step", "block", "trader", "trader_type", "market", "side", "venue", "size", "price", "limit_price",
        "oracle_price", "amm_quote_price", "price_improvement_bps", "deviation_bps", "fee", "gas", "order_digest",
    ]  # fmt: skip
    if frame.empty:
        return html.paragraph("No fills.")
    shown = frame[columns].head(MAX_FILL_ROWS)  # converted to rows: only the ones the page embeds
    records = shown.astype(object).where(shown.notna(), None).to_numpy().tolist()
    return html.data_table(records, columns, limit=MAX_FILL_ROWS, what="fill legs", where="fills.csv", total=len(frame))


def liquidations(data: ReportData) -> str | None:
    frame = data.frames.liquidations
    if frame.empty:
        return None
    s = data.summary["liquidations"]
    lines = [
        f"{s['count']:,} closes of {s['accounts']:,} accounts; penalties {html.number(s['penalties'], 6)} tokens, "
        f"bad debt {html.number(s['bad_debt'], 6)} (uncovered {html.number(s['bad_debt_uncovered'], 6)}); "
        f"insurance fund at the end {html.number(s['insurance_fund'], 6)} tokens."
    ]
    columns = ["step", "account", "trader_type", "market", "size", "to_desk", "to_amm", "mark", "penalty", "bad_debt"]
    records = frame[columns].astype(object).to_numpy().tolist()
    return html.paragraph(lines[0]) + html.data_table(records, columns)


def rejections(data: ReportData) -> str | None:
    counts = data.summary["rejections"]
    if not counts:
        return None
    return html.table([{"reason": reason, "orders": n} for reason, n in counts.items()])


def contracts(data: ReportData) -> str | None:
    found = data.summary["contracts"]
    if not found:
        return None
    return html.table([{"contract": name, "address": address} for name, address in found.items()])


def scenario(data: ReportData) -> str | None:
    if data.scenario is None:
        return None
    text = json.dumps(data.scenario, indent=2, default=str, ensure_ascii=False)
    return f"<pre>{html.escape(text)}</pre>"


#: ``ReportData.extra``'s key for the execution-quality section (``transparency.execution_section``).
EXECUTION = "execution"
EXECUTION_TITLE = "Execution quality, routing and audits"


def execution(data: ReportData) -> str | None:
    """Rule 605 and 606 tables, segments and the conflict-of-interest audits (``metrics.transparency``)."""
    section = data.extra.get(EXECUTION)
    return None if section is None else str(section.html)


Render = Callable[[ReportData], "str | None"]

#: The report's sections in page order: (heading, function). Add a section with one line here.
SECTIONS: tuple[tuple[str, Render], ...] = (
    ("Overview", overview),
    ("Invariants", invariants),
    ("Key figures", key_figures),
    ("PnL", pnl),
    ("Prices", prices),
    ("Inventory", inventory),
    ("Markouts", markouts),
    ("Deviation from the oracle", deviation),
    ("The desk's NAV per share", nav),
    ("Fills", fills),
    (EXECUTION_TITLE, execution),
    ("Liquidations", liquidations),
    ("Rejections", rejections),
    ("Contracts", contracts),
    ("Scenario parameters", scenario),
)


def render(data: ReportData, sections: Sequence[tuple[str, Render]] = SECTIONS) -> list[html.Section]:
    """Each section's body, in order; sections with nothing to show are left out."""
    out = []
    for title, function in sections:
        body = function(data)
        if body is not None:
            out.append(html.Section(title, body))
    return out
