"""The toxicity experiment's output: tables (Parquet and CSV), ``experiment.json``, PNG figures, ``report.html``.

``write(...)`` turns the tuning and the evaluation rows into the files of ``FILES`` (each written
whole: a temporary file renamed into place) and returns the printed summary. The page is plain,
self-contained HTML built here (figures inlined as PNG; nothing fetched): the seeds, which tune and
which evaluate; the experiment's table; each policy's tuned thresholds and every candidate tried;
paired differences with 95 % CIs; where each case's signal lives; and the reliability diagram.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from defi_int.metrics.output import check_directory, write_atomic
from defi_int.metrics.plots import png_bytes
from defi_int.research.report import LEDGER, write_tables
from defi_int.research.runs import Ledger, Row, code_version
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
PLOTS: Final = ("pnl.png", "fairness.png", "reliability.png")
FILES: Final = frozenset(
    {LEDGER, "report.html", "experiment.json", *PLOTS, *(f"{t}.{e}" for t in TABLES for e in ("parquet", "csv"))}
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
    write_tables(
        out,
        {
            "summary": table,
            "results": rows,
            "tuning": tried,
            "differences": difference_rows(study.cases, rows, policies),
            "reliability": reliability,
            "signal": signal,
        },
    )
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
    images = {
        "pnl.png": pnl_png(table),
        "fairness.png": fairness_png(table),
        "reliability.png": reliability_png(reliability),
    }
    for name, data in images.items():
        write_atomic(out / name, data)
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
    page = report_html(study, tuning, table, signal, rows, images, lines[-1])
    path = write_atomic(out / "report.html", page)
    lines.append(f"report written to {path}")
    return Outcome("\n".join(lines), failed, identical)


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


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _cases(table: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(r["case"] for r in table))


def _policies(table: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(r["model"] for r in table))


def pnl_png(table: Sequence[Row]) -> bytes:
    """Per case: each policy's PnL against trader_rule and against none, mean and 95 % CI."""
    cases = _cases(table)
    names = _policies(table)
    figure = _figure(10.0, 1.2 + 0.35 * len(names) * len(cases))
    panels = figure.subplots(max(1, len(cases)), 2, squeeze=False)
    for i, case in enumerate(cases):
        for j, (prefix, title) in enumerate((("pnl_vs_rule", "vs trader_rule"), ("pnl_vs_none", "vs none"))):
            axes = panels[i, j]
            for k, r in enumerate(r for r in table if r["case"] == case):
                mean, low, high = r.get(f"{prefix}_mean"), r.get(f"{prefix}_ci_low"), r.get(f"{prefix}_ci_high")
                if mean is None:
                    continue
                err = None if low is None else [[mean - low], [high - mean]]
                axes.errorbar([mean], [k], xerr=err, fmt="o", capsize=3, color=_COLORS.get(r["model"], "k"))
            axes.axvline(0, color="grey", linewidth=1)
            axes.set_yticks(range(len(names)), labels=names, fontsize=8)
            axes.set_title(f"{case}: desk PnL {title}", fontsize=8)
    panels[-1, 0].set_xlabel("paired difference per seed, tokens (mean, 95 % CI)")
    panels[-1, 1].set_xlabel("paired difference per seed, tokens (mean, 95 % CI)")
    return png_bytes(figure)


def fairness_png(table: Sequence[Row]) -> bytes:
    """Per case: the uninformed traders' internal volume against none's, mean and 95 % CI, the aim's band."""
    cases = _cases(table)
    names = _policies(table)
    figure = _figure(8.0, 1.2 + 0.3 * len(names) * len(cases))
    panels = figure.subplots(max(1, len(cases)), 1, squeeze=False)
    for i, case in enumerate(cases):
        axes = panels[i, 0]
        for k, r in enumerate(r for r in table if r["case"] == case):
            mean, low, high = (r.get(f"uninformed_volume_vs_none{s}") for s in ("", "_ci_low", "_ci_high"))
            if mean is None:
                continue
            err = None if low is None else [[mean - low], [high - mean]]
            axes.errorbar([mean], [k], xerr=err, fmt="o", capsize=3, color=_COLORS.get(r["model"], "k"))
        axes.axvspan(1 - AIM_VOLUME, 1 + AIM_VOLUME, color="#d8f5d8")
        axes.set_yticks(range(len(names)), labels=names, fontsize=8)
        axes.set_title(f"{case}: uninformed traders' internal volume / none's", fontsize=8)
    panels[-1, 0].set_xlabel(f"ratio per seed (mean, 95 % CI); green: within {AIM_VOLUME:.0%} of none")
    return png_bytes(figure)


def reliability_png(rows: Sequence[Row]) -> bytes:
    """Per case: mean prediction against the toxic share, per bin, pooled over the evaluation seeds."""
    cases = _cases(rows)
    columns = min(3, max(1, len(cases)))
    lines = max(1, math.ceil(len(cases) / columns))
    figure = _figure(4.0 * columns, 3.6 * lines)
    panels = figure.subplots(lines, columns, squeeze=False)
    for index, case in enumerate(cases):
        axes = panels[index // columns, index % columns]
        axes.plot([0, 1], [0, 1], color="grey", linewidth=1, linestyle="--")
        for model in _policies(rows):
            points = [r for r in rows if r["case"] == case and r["model"] == model and r["count"]]
            if points:
                xs = [r["mean_prediction"] for r in points]
                ys = [r["toxic_share"] for r in points]
                axes.plot(xs, ys, marker="o", markersize=3, label=model, color=_COLORS.get(model, "k"))
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.set_title(case, fontsize=8)
        axes.set_xlabel("predicted p(toxic)", fontsize=8)
        axes.set_ylabel("observed toxic share", fontsize=8)
        axes.legend(fontsize=7)
    for index in range(len(cases), lines * columns):
        panels[index // columns, index % columns].set_axis_off()
    return png_bytes(figure)


# --------------------------------------------------------------------------- html

_STYLE: Final = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 85%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.4em; text-align: left; }
td.num { text-align: right; font-family: monospace; }
img { max-width: 100%; }
"""


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:,.3f}"
    return str(value)


def table_html(rows: Sequence[Row], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            cells.append(f"<td{' class=num' if numeric else ''}>{html.escape(_cell(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


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
    images: Mapping[str, bytes],
    footer: str,
) -> bytes:
    """The self-contained page (see the module docstring)."""
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
    parts = [
        f"<h1>{html.escape('The internalization decision on held-out flow')}</h1>",
        _p(
            f"Policies {', '.join(study.policies)} on the same order flow of each case"
            + (f" ({variants})" if variants else "")
            + ". Every threshold of every policy was tuned on the tuning seeds only (a coordinate search, the "
            f"highest mean desk PnL among the settings that cost the uninformed traders at most {fair.volume:.0%} "
            f"of their internal volume{spread} against none); "
            "every figure below is from the evaluation seeds, which the tuning never ran. Predictions are "
            "made at each order's receipt and scored against the desk's markout at the horizon, which matures "
            "later (time-ordered, out of sample). Intervals are 95 % CIs of the per-seed paired difference."
        ),
        _p(footer),
        "<h2>Seeds</h2>",
        table_html(seeds, ("case", "scenario", "tuning seeds", "evaluation seeds")),
        "<h2>The experiment's table</h2>",
        _p(
            f"Aims (issue 14, section 5): AUC >= {AIM_AUC} for the best model; PnL above trader_rule with the "
            f"95 % CI above zero; the uninformed traders' internal volume within {AIM_VOLUME:.0%} of none's."
        ),
        table_html(table, _SUMMARY_COLUMNS),
        _img("pnl.png", images),
        _img("fairness.png", images),
        "<h2>The desk's PnL by part (mean over the evaluation seeds, tokens)</h2>",
        table_html(table, _PARTS_COLUMNS),
        "<h2>Where the signal lives</h2>",
        _p(
            "Per feature, over the gbdt policy's evaluation runs: the AUC of the feature alone for telling the "
            "informed populations' orders from the uninformed ones' (0.5: nothing; far from 0.5 either way: "
            "much), and a one-feature ablation: the AUC a classifier like the gbdt's, trained on the first 60 % "
            "of a run's labelled orders and scored on the rest, loses when the feature is held constant."
        ),
    ]
    for case in study.cases:
        top = strongest(signal, case.label, 5)
        parts.append(f"<h3>{html.escape(case.label)}</h3>")
        parts.append(table_html(top, ("feature", "auc_informed", "ablation_auc_full", "ablation_auc_lost")))
    parts += [
        "<h2>Reliability</h2>",
        _img("reliability.png", images),
        "<h2>Tuning: every candidate tried (tuning seeds)</h2>",
        table_html([c.row() for c in tuning.tried], _tuning_columns(tuning)),
    ]
    errors = [r for r in rows if r.get("status") != "ok"]
    if errors:
        parts += ["<h2>Failed runs</h2>", table_html(errors, ("case", "model", "seed", "error"))]
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Toxicity experiment</title>'
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )
    return page.encode()


def _tuning_columns(tuning: Tuning) -> list[str]:
    keys = list(dict.fromkeys(k for c in tuning.tried for k, _ in c.settings))
    return ["case", "model", "round", *keys, "runs", "pnl_mean", "uninformed_volume_vs_none",
            "uninformed_spread_vs_none_bps", "fair"]  # fmt: skip


def _img(name: str, images: Mapping[str, bytes]) -> str:
    data = base64.b64encode(images[name]).decode()
    return f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}"></figure>'
