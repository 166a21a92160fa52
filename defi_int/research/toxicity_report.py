"""The toxicity experiment's output: tables (Parquet and CSV), ``experiment.json``, ``report.html``.

``write(...)`` turns the tuning and the evaluation rows into the files of ``FILES`` (each written
whole: a temporary file renamed into place) and returns the printed summary and the tables. The
page is the studies' interactive one (``metrics.html``: plotly charts that zoom and show values on
hover, sortable tables; self-contained, nothing fetched): the seeds, which tune and
which evaluate; the experiment's table; each policy's tuned thresholds and every candidate tried;
paired differences with 95 % CIs; where each case's signal lives; and the reliability diagram.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Final

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from defi_int.metrics import html
from defi_int.metrics.figures import layout, no_data
from defi_int.metrics.output import check_directory, write_atomic
from defi_int.research import report
from defi_int.research.report import LEDGER, write_tables
from defi_int.research.runs import Ledger, Row, code_version
from defi_int.research.study import MANIFEST
from defi_int.research.toxicity import Study, Tuning, evaluation_specs, flow_groups, seeds_text, tuning_specs
from defi_int.research.toxicity_tables import (
    AIM_AUC,
    AIM_VOLUME,
    difference_rows,
    reliability_rows,
    results,
    signal_rows,
    strongest,
    summary_rows,
)

TABLES: Final = ("summary", "results", "tuning", "differences", "reliability", "signal")
FILES: Final = frozenset(
    {
        LEDGER,
        MANIFEST,
        "report.html",
        "experiment.json",
        *(f"{t}.{e}" for t in TABLES for e in ("parquet", "csv")),
    }
)
_COLORS: Final = {
    "none": "#777777",
    "trader_rule": "#d62728",
    "logistic": "#1f77b4",
    "gbdt": "#2ca02c",
    "gbdt_no_widen": "#9467bd",
}


def check_out(out: str | Path) -> Path:
    """Where the experiment writes; ``OutputError`` for a directory holding anything else."""
    return check_directory(Path(out), FILES)


@dataclass(frozen=True)
class Timing:
    wall_seconds: float
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]
    cpus: int


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: int
    identical: bool
    tables: Mapping[str, Sequence[Row]]  # the tables of ``TABLES`` as written


def write(study: Study, tuning: Tuning, ledger: Ledger, out: Path, timing: Timing) -> Outcome:
    """Writes every file of ``FILES`` but the ledger; returns the printed summary."""
    code = code_version()
    evaluated = evaluation_specs(study, tuning)
    runs = {(c.label, m, s.seed): row for c, m, s in evaluated if (row := ledger.rows.get(s.key(code))) is not None}
    policies = study.policies
    rows = results(study.cases, runs, policies)
    table = summary_rows(study.cases, rows, tuning, policies)
    signal = signal_rows(study.cases, runs)
    reliability = reliability_rows(study.cases, runs, policies)
    tried = [c.row() for c in tuning.tried]
    tables = {
        "summary": table,
        "results": rows,
        "tuning": tried,
        "differences": difference_rows(study.cases, rows, policies),
        "reliability": reliability,
        "signal": signal,
    }
    write_tables(out, tables)
    tune_runs = tuning_specs(study, tuning)
    everything = [*tune_runs, *evaluated]
    groups, same = flow_groups(ledger, everything)
    failed = sum(1 for _, _, s in everything if (r := ledger.rows.get(s.key(code))) is None or r.get("status") != "ok")
    run_seconds = math.fsum(
        float(r.get("run_seconds") or 0.0) for _, _, s in everything if (r := ledger.rows.get(s.key(code)))
    )
    identical = groups > 0 and same == groups
    flow = f"identical order flow in {same} of {groups} (case, seed) groups" + ("" if identical else " (NOT IDENTICAL)")
    timing_text = (
        f"{len({s.key(code) for _, _, s in everything})} runs, {run_seconds:,.0f} s inside the runs, "
        f"{timing.wall_seconds:,.0f} s wall for this invocation on {timing.cpus} CPUs "
        f"(load average {timing.load_start[0]:.1f} at the start, {timing.load_end[0]:.1f} at the end)"
    )
    document = {
        "cases": [
            {
                "label": c.label,
                "scenario": c.scenario,
                "overrides": list(c.overrides),
                "tuning_seeds": list(c.tune_seeds),
                "evaluation_seeds": list(c.eval_seeds),
            }
            for c in study.cases
        ],
        "fairness": {"volume": study.fairness.volume, "spread_bps": study.fairness.spread_bps},
        "grids": {p: {a.key: list(a.values) for a in axes} for p, axes in study.grids.items()},
        "policies": {p: study.models[p] for p in policies},
        "tuned": {
            c.label: {p: dict(tuning.chosen[(c.label, p)].settings) for p in policies if (c.label, p) in tuning.chosen}
            for c in study.cases
        },
        "flow": {"groups": groups, "identical": same},
        "failed_runs": failed,
        "timing": {
            "wall_seconds": timing.wall_seconds,
            "run_seconds": run_seconds,
            "load_start": list(timing.load_start),
            "load_end": list(timing.load_end),
            "cpus": timing.cpus,
        },
        "summary": table,
    }
    write_atomic(out / "experiment.json", (json.dumps(document, indent=2, default=str) + "\n").encode())
    text = format_summary(table)
    lines = [text, f"{failed} failed runs; {flow}; {timing_text}."]
    page = report_html(study, tuning, table, signal, rows, reliability, lines[-1])
    path = write_atomic(out / "report.html", page)
    lines.append(f"report written to {path}")
    return Outcome("\n".join(lines), failed, identical, tables)


# --------------------------------------------------------------------------- text


def _f(value: Any, places: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:,.{places}f}"


def _ci(row: Row, prefix: str, places: int = 0) -> str:
    mean, low, high = row.get(f"{prefix}_mean"), row.get(f"{prefix}_ci_low"), row.get(f"{prefix}_ci_high")
    if mean is None:
        return "n/a"
    return f"{mean:+,.{places}f} [{_f(low, places)}, {_f(high, places)}]"


def format_summary(table: Sequence[Row]) -> str:
    """The experiment's table as text, one block per case."""
    head = (
        f"{'model':<11} {'AUC':>5} {'Brier':>5} {'PnL':>8} {'vs trader_rule [95% CI]':>26} "
        f"{'vs none [95% CI]':>24} {'unin. vol':>9} {'inf. vol':>8} {'changed':>7}  thresholds"
    )
    lines: list[str] = []
    for case in dict.fromkeys(r["case"] for r in table):
        lines += [f"{case}", head]
        for r in (r for r in table if r["case"] == case):
            lines.append(
                f"{r['model']:<11} {_f(r['auc_mean'], 3):>5} {_f(r['brier_mean'], 3):>5} {_f(r['pnl_mean'], 0):>8} "
                f"{_ci(r, 'pnl_vs_rule'):>26} {_ci(r, 'pnl_vs_none'):>24} "
                f"{_f(r['uninformed_volume_vs_none'], 3):>9} {_f(r['informed_internal_volume_mean'], 0):>8} "
                f"{_f(r['decisions_changed_vs_none_mean'], 0):>7}  {r['thresholds']}"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------- figures


def _cases(table: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(r["case"] for r in table))


def _policies(table: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(r["model"] for r in table))


def _title(case: str) -> str:
    """A case's label as a subplot title: its overrides on a line of their own."""
    return case.replace(" [", "<br>[", 1)


def _below(figure: go.Figure, rows: int) -> go.Figure:
    """Room for two-line subplot titles, the legend above them all."""
    figure.update_layout(legend={"y": 1.0 + 0.35 / rows}, margin={"t": 110})
    figure.update_annotations(font={"size": 11})
    return figure


def _interval(
    figure: go.Figure, table: Sequence[Row], case: str, key: str, mean: str, row: int, col: int, legend: bool
) -> None:
    """One point per policy with its 95 % CI: the column ``mean``, ``key_ci_low`` and ``key_ci_high``."""
    for r in (r for r in table if r["case"] == case):
        centre, low, high = r.get(mean), r.get(f"{key}_ci_low"), r.get(f"{key}_ci_high")
        if centre is None:
            continue
        error = None
        if low is not None and high is not None:
            error = {"type": "data", "symmetric": False, "array": [high - centre], "arrayminus": [centre - low]}
        figure.add_trace(
            go.Scatter(
                x=[centre], y=[r["model"]], error_x=error, mode="markers", name=r["model"],
                marker={"color": _COLORS.get(r["model"], "#000000"), "size": 9},
                legendgroup=r["model"], showlegend=legend,
            ),
            row=row, col=col,
        )  # fmt: skip


def pnl_chart(table: Sequence[Row]) -> go.Figure:
    """Per case: each policy's PnL against trader_rule and against none, mean and 95 % CI."""
    cases = _cases(table)
    if not cases:
        return no_data(go.Figure())
    titles = [f"{_title(case)}: desk PnL {what}" for case in cases for what in ("vs trader_rule", "vs none")]
    figure = make_subplots(
        rows=len(cases), cols=2, subplot_titles=titles, horizontal_spacing=0.12, vertical_spacing=0.5 / len(cases)
    )
    for i, case in enumerate(cases, start=1):
        _interval(figure, table, case, "pnl_vs_rule", "pnl_vs_rule_mean", i, 1, i == 1)
        _interval(figure, table, case, "pnl_vs_none", "pnl_vs_none_mean", i, 2, False)
    for i in range(1, len(cases) + 1):
        for j in (1, 2):
            figure.add_vline(x=0, line={"color": "grey", "width": 1}, row=i, col=j)
    layout(figure, "", "paired difference per seed, tokens (mean, 95 % CI)", "", height=200 + 220 * len(cases))
    return _below(figure, len(cases))


def fairness_chart(table: Sequence[Row]) -> go.Figure:
    """Per case: the uninformed traders' internal volume against none's (mean, 95 % CI), the aim's band."""
    cases = _cases(table)
    if not cases:
        return no_data(go.Figure())
    titles = [f"{_title(case)}: uninformed traders' internal volume / none's" for case in cases]
    figure = make_subplots(rows=len(cases), cols=1, subplot_titles=titles, vertical_spacing=0.5 / len(cases))
    for i, case in enumerate(cases, start=1):
        _interval(figure, table, case, "uninformed_volume_vs_none", "uninformed_volume_vs_none", i, 1, i == 1)
        figure.add_vrect(x0=1 - AIM_VOLUME, x1=1 + AIM_VOLUME, fillcolor="#2ca02c", opacity=0.15, line_width=0,
                         row=i, col=1)  # fmt: skip
    x = f"ratio per seed (mean, 95 % CI); green: within {AIM_VOLUME:.0%} of none"
    layout(figure, "", x, "", height=200 + 200 * len(cases))
    return _below(figure, len(cases))


def reliability_chart(rows: Sequence[Row]) -> go.Figure:
    """Per case: mean prediction against the toxic share, per bin, pooled over the evaluation seeds."""
    cases = _cases(rows)
    if not cases:
        return no_data(go.Figure())
    columns = min(3, len(cases))
    lines = math.ceil(len(cases) / columns)
    figure = make_subplots(rows=lines, cols=columns, subplot_titles=[_title(c) for c in cases])
    for index, case in enumerate(cases):
        row, col = index // columns + 1, index % columns + 1
        figure.add_trace(
            go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "grey", "dash": "dash", "width": 1},
                       name="perfectly calibrated", showlegend=index == 0),
            row=row, col=col,
        )  # fmt: skip
        for model in _policies(rows):
            points = [r for r in rows if r["case"] == case and r["model"] == model and r["count"]]
            if points:
                figure.add_trace(
                    go.Scatter(
                        x=[r["mean_prediction"] for r in points], y=[r["toxic_share"] for r in points],
                        customdata=[r["count"] for r in points], mode="lines+markers", name=model,
                        legendgroup=model, showlegend=index == 0, line={"color": _COLORS.get(model, "#000000")},
                        hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>%{customdata} orders",
                    ),
                    row=row, col=col,
                )  # fmt: skip
    layout(figure, "", "predicted p(toxic)", "observed toxic share", height=200 + 340 * lines)
    figure.update_xaxes(range=[0, 1])
    figure.update_yaxes(range=[0, 1])
    return _below(figure, lines)


# --------------------------------------------------------------------------- html


_SUMMARY_COLUMNS: Final = (
    "case",
    "model",
    "thresholds",
    "auc_mean",
    "auc_ci_low",
    "auc_ci_high",
    "brier_mean",
    "auc_informed_mean",
    "pnl_mean",
    "pnl_vs_rule_mean",
    "pnl_vs_rule_ci_low",
    "pnl_vs_rule_ci_high",
    "pnl_vs_none_mean",
    "pnl_vs_none_ci_low",
    "pnl_vs_none_ci_high",
    "informed_internal_volume_mean",
    "uninformed_internal_volume_mean",
    "uninformed_volume_vs_none",
    "uninformed_volume_lost_vs_none",
    "uninformed_score_declined_mean",
    "decisions_changed_vs_none_mean",
    "uninformed_fill_rate_mean",
    "uninformed_price_improvement_bps_mean",
    "uninformed_effective_spread_bps_mean",
    "uninformed_spread_vs_none_bps",
    "aim_auc",
    "aim_pnl_over_rule",
    "aim_volume",
)
_PARTS_COLUMNS: Final = ("case", "model", "pnl_mean", "pnl_spread_mean", "pnl_inventory_mean", "pnl_fees_mean",
                         "pnl_hedging_mean", "pnl_funding_mean", "pnl_liquidations_mean")  # fmt: skip


def report_html(
    study: Study,
    tuning: Tuning,
    table: Sequence[Row],
    signal: Sequence[Row],
    rows: Sequence[Row],
    reliability: Sequence[Row],
    footer: str,
) -> bytes:
    """The self-contained interactive page (see the module docstring)."""
    seeds = [
        {
            "case": c.label,
            "scenario": c.scenario,
            "tuning seeds": seeds_text(c.tune_seeds),
            "evaluation seeds": seeds_text(c.eval_seeds),
        }
        for c in study.cases
    ]
    fair = study.fairness
    spread = f" and at most {fair.spread_bps:g} bps of effective spread" if math.isfinite(fair.spread_bps) else ""
    variants = "; ".join(
        f"{p} is {m} with {', '.join(f'{a.key}={a.values[0]}' for a in study.grids[p] if len(a.values) == 1)} held"
        for p, m in study.models.items()
        if p != m
    )
    overview = html.paragraph(
        f"Policies {', '.join(study.policies)} on the same order flow of each case"
        + (f" ({variants})" if variants else "")
        + ". Every threshold of every policy was tuned on the tuning seeds only (a coordinate search, the "
        f"highest mean desk PnL among the settings that cost the uninformed traders at most {fair.volume:.0%} "
        f"of their internal volume{spread} against none); "
        "every figure below is from the evaluation seeds, which the tuning never ran. Predictions are "
        "made at each order's receipt and scored against the desk's markout at the horizon, which matures "
        "later (time-ordered, out of sample). Intervals are 95 % CIs of the per-seed paired difference."
    ) + html.paragraph(footer, "note")
    aims = html.paragraph(
        f"Aims (issue 14, section 5): AUC >= {AIM_AUC} for the best model; PnL above trader_rule with the "
        f"95 % CI above zero; the uninformed traders' internal volume within {AIM_VOLUME:.0%} of none's."
    )
    signal_intro = html.paragraph(
        "Per feature, over the gbdt policy's evaluation runs: the AUC of the feature alone for telling the "
        "informed populations' orders from the uninformed ones' (0.5: nothing; far from 0.5 either way: "
        "much), and a one-feature ablation: the AUC a classifier like the gbdt's, trained on the first 60 % "
        "of a run's labelled orders and scored on the rest, loses when the feature is held constant."
    )
    signal_tables = "".join(
        f"<h3>{escape(case.label)}</h3>"
        + html.table(
            strongest(signal, case.label, 5),
            ("feature", "auc_informed", "ablation_auc_full", "ablation_auc_lost"),
            places=3,
        )
        for case in study.cases
    )
    sections = [
        html.Section("Overview", overview),
        html.Section("Seeds", html.table(seeds, ("case", "scenario", "tuning seeds", "evaluation seeds"))),
        html.Section("The experiment's table", aims + html.data_table(table, _SUMMARY_COLUMNS)),
        html.Section("Desk PnL against the baselines", html.chart(pnl_chart(table), "pnl")),
        html.Section("Fairness to the uninformed", html.chart(fairness_chart(table), "fairness")),
        html.Section(
            "The desk's PnL by part (mean over the evaluation seeds, tokens)",
            html.table(table, _PARTS_COLUMNS, places=1),
        ),
        html.Section("Where the signal lives", signal_intro + signal_tables),
        html.Section("Reliability", html.chart(reliability_chart(reliability), "reliability")),
        html.Section(
            "Tuning: every candidate tried (tuning seeds)",
            html.data_table([c.row() for c in tuning.tried], _tuning_columns(tuning)),
        ),
        html.Section("Every evaluation run", report.runs_table(rows, ("case", "model", "seed", "status"))),
    ]
    errors = [r for r in rows if r.get("status") != "ok"]
    if errors:
        sections.append(html.Section("Failed runs", html.table(errors, ("case", "model", "seed", "error"))))
    return html.page("The internalization decision on held-out flow", sections)


def _tuning_columns(tuning: Tuning) -> list[str]:
    keys = list(dict.fromkeys(k for c in tuning.tried for k, _ in c.settings))
    return ["case", "model", "round", *keys, "runs", "pnl_mean", "uninformed_volume_vs_none",
            "uninformed_spread_vs_none_bps", "fair"]  # fmt: skip
