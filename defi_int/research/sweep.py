"""``defi-int sweep``: a grid of scenario overrides × seeds, run on Dask, summarized per cell.

Data flow::

    plan_sweep(scenario, grid=["keeper.half_spread_bps=2,5,10", ...], sets, seeds)
        every grid value checked like --set, alone and in every cell, before anything runs
        (one ScenarioError naming --grid, the key and the value)
    ──▶ Sweep: cells (the product of the grid's values) × seeds (the scenario's seed, +1, ...)
    ──▶ engine.run_specs (Dask; the ledger runs.jsonl in the output directory makes it resumable)
    ──▶ run_rows:  one tidy row per run: cell, every --set and grid value, seed, status, error, figures
    ──▶ cell_rows: one row per cell and figure: n, mean, sd, 95 % CI (``stats.summary``)
    ──▶ write_sweep: results.parquet/.csv, cells.parquet/.csv, report.html (each cell's PnL by part,
        PnL against risk, a 2-D grid's heatmap, every run in a sortable table)

A key may be in ``--set`` or in ``--grid``, not both (one would silently replace the other).

A grid value is written as on the command line (``--grid keeper.toxicity_routing=false,true``);
commas inside brackets or quotes belong to the value (``--grid traders[0].expiry_steps=[1,2],[1,4]``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from defi_int.exceptions import ScenarioError
from defi_int.metrics.pnl import PARTS
from defi_int.research.runs import ID_COLUMNS, Ledger, Row, RunSpec, code_version, is_number, read_spec
from defi_int.research.stats import summary
from defi_int.research.study import override_columns, override_value, refuse_overlap
from defi_int.sim.schema import SET, parse_key_path

GRID = "--grid"
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class Sweep:
    """A planned sweep: the grid's axes, its cells and one spec per cell and seed."""

    scenario: str
    name: str
    sets: tuple[str, ...]  # the --set overrides every run takes
    axes: tuple[tuple[str, tuple[str, ...]], ...]  # (key, values as written)
    seeds: tuple[int, ...]
    specs: tuple[tuple[int, RunSpec], ...]  # (cell index, spec)

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.axes]

    def cells(self) -> list[dict[str, str]]:
        """Each cell's values by key, in cell order (the product of the axes, last axis fastest)."""
        return [dict(zip(self.keys, values, strict=True)) for values in itertools.product(*(v for _, v in self.axes))]


def split_values(text: str) -> list[str]:
    """``"1,2,[1,5]"`` -> ``["1", "2", "[1,5]"]``: commas inside brackets or quotes are kept."""
    values, current, depth, quote = [], "", 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(current.strip())
            current = ""
            continue
        current += char
    values.append(current.strip())
    return values


def parse_grid(option: str) -> tuple[str, tuple[str, ...]]:
    """``key=v1,v2`` -> (key, values); a malformed option raises ``ScenarioError`` from ``--grid``."""
    key, sep, rest = option.partition("=")
    key = key.strip()
    if not sep:
        raise ScenarioError(GRID, None, f"expected key=v1,v2,..., got {option!r}")
    try:
        parse_key_path(key)
    except ValueError:
        raise ScenarioError(GRID, key or None, "not a key path (expected e.g. keeper.half_spread_bps)") from None
    values = split_values(rest)
    if any(not v for v in values):
        raise ScenarioError(GRID, key, f"an empty value in {rest!r} (expected v1,v2,...)")
    if len(set(values)) != len(values):
        raise ScenarioError(GRID, key, f"a value is listed twice in {rest!r}")
    return key, tuple(values)


def plan_sweep(scenario: str | Path, grid: Sequence[str], sets: Sequence[str], seeds: int) -> Sweep:
    """Checks the scenario, every grid value and every cell, and plans the runs; see the module docstring."""
    from defi_int.sim.scenario import load_scenario

    base = load_scenario(scenario, overrides=sets)
    if not 1 <= seeds <= MAX_RUNS:
        raise ScenarioError("--seeds", None, f"must be within 1..{MAX_RUNS}, got {seeds}")
    seed_list = tuple(base.seed + i for i in range(seeds))
    base.with_seed(seed_list[-1])  # the last seed must be a valid seed too
    axes: list[tuple[str, tuple[str, ...]]] = []
    for option in grid:
        key, values = parse_grid(option)
        if key in (k for k, _ in axes):
            raise ScenarioError(GRID, key, "given twice; list every value in one --grid")
        refuse_overlap(sets, [f"{key}={values[0]}"], GRID)
        for value in values:
            _check(scenario, [*sets, f"{key}={value}"], key, value)
        axes.append((key, values))
    sweep = Sweep(str(scenario), base.name, tuple(sets), tuple(axes), seed_list, ())
    cells = sweep.cells()
    if len(cells) * seeds > MAX_RUNS:
        raise ScenarioError(GRID, None, f"{len(cells)} cells x {seeds} seeds is more than {MAX_RUNS:,} runs")
    specs: list[tuple[int, RunSpec]] = []
    for index, cell in enumerate(cells):
        overrides = [*sets, *(f"{k}={v}" for k, v in cell.items())]
        if len(cell) > 1:
            _check(scenario, overrides, None, ", ".join(f"{k}={v}" for k, v in cell.items()))
        specs.extend((index, read_spec(scenario, overrides, seed)) for seed in seed_list)
    return Sweep(sweep.scenario, sweep.name, sweep.sets, sweep.axes, seed_list, tuple(specs))


def _check(scenario: str | Path, overrides: list[str], key: str | None, value: str) -> None:
    """Loads the scenario with ``overrides``; a problem from them is reported against ``--grid``."""
    from defi_int.sim.scenario import load_scenario

    try:
        load_scenario(scenario, overrides=overrides)
    except ScenarioError as err:
        if err.source != SET:
            raise
        where = f"with {key}={value}" if key is not None else f"in the cell {value}"
        raise ScenarioError(GRID, err.key or key, f"{err.problem} ({where})") from None


# --------------------------------------------------------------------------- tables


def run_rows(sweep: Sweep, ledger: Ledger) -> list[Row]:
    """One tidy row per planned run the ledger holds: cell, the --set values, the cell's values, seed,
    status, error, figures. Values are typed as TOML reads them (``2`` an int, ``true`` a bool)."""
    code = code_version()
    cells = sweep.cells()
    fixed = override_columns(sweep.sets)
    rows = []
    for index, spec in sweep.specs:
        row = ledger.rows.get(spec.key(code))
        if row is None:
            continue
        values = {key: override_value(value) for key, value in cells[index].items()}
        rows.append({"cell": index, **fixed, **values, **ordered(row)})
    return rows


def ordered(row: Row) -> Row:
    """A ledger row with seed, status and error first and its key last (no traceback)."""
    first = {name: row.get(name) for name in ("seed", "status", "error")}
    rest = {k: v for k, v in row.items() if k not in ID_COLUMNS and k != "traceback"}
    return {**first, **rest, "key": row["key"]}


def figure_names(rows: Sequence[Row], skip: Iterable[str] = ()) -> list[str]:
    """The numeric figures the rows carry, in first-seen order (counts, PnL, rates ...); ``skip``
    names columns that are not figures (the overrides). Exact integers (``*_units``) stay in the
    rows, not in the statistics (their float twins are there)."""
    names: dict[str, None] = {}
    skipped = {"cell", "seed", "status", "error", "key", "run_seconds", *skip}
    for row in rows:
        for name, value in row.items():
            if name not in skipped and not name.endswith("_units") and is_number(value):
                names.setdefault(name)
    return list(names)


def cell_rows(sweep: Sweep, rows: Sequence[Row]) -> list[Row]:
    """One row per cell and figure: the --set and cell values, runs, errors, n, mean, sd and 95 % CI."""
    fixed = override_columns(sweep.sets)
    names = figure_names(rows, skip=[*fixed, *sweep.keys])
    out = []
    for index, cell in enumerate(sweep.cells()):
        mine = [r for r in rows if r["cell"] == index]
        ok = [r for r in mine if r["status"] == "ok"]
        errors = len(mine) - len(ok)
        values = {key: override_value(value) for key, value in cell.items()}
        for name in names:
            estimate = summary(r.get(name) for r in ok)
            out.append(
                {
                    "cell": index,
                    **fixed,
                    **values,
                    "figure": name,
                    "runs": len(ok),
                    "errors": errors,
                    "n": estimate.n,
                    "mean": estimate.mean,
                    "sd": estimate.sd,
                    "ci_low": estimate.low,
                    "ci_high": estimate.high,
                }
            )
    return out


def cell_means(cells: Sequence[Row], figure: str) -> dict[int, Row]:
    """The ``cells`` rows of one figure, by cell index."""
    return {row["cell"]: row for row in cells if row["figure"] == figure}


def numeric(text: str) -> float | None:
    """A grid value as a number for plotting, when it is one."""
    try:
        return float(text)
    except ValueError:
        return {"true": 1.0, "false": 0.0}.get(text)


# --------------------------------------------------------------------------- output

PNL, RISK = "pnl_total", "inventory_sd"
#: The figures of the report's cell table (every figure is in cells.*).
KEY_FIGURES = (
    "pnl_total", "pnl_bps_of_volume", "pnl_at_close", "sharpe_per_step", "max_drawdown", "inventory_sd",
    "internalization_rate", "orders_filled",
)  # fmt: skip


def sweep_lines(sweep: Sweep) -> list[str]:
    """What the sweep ran with, one line each: every --set, every grid axis, the seeds."""
    sets = [f"--set {key} = {value}" for key, value in override_columns(sweep.sets).items()]
    axes = [f"--grid {key} = {', '.join(values)}" for key, values in sweep.axes]
    seeds = f"seeds {sweep.seeds[0]}..{sweep.seeds[-1]} ({len(sweep.seeds)} per cell)"
    return [*sets, *(axes or ["no --grid: one cell, the scenario as written"]), seeds]


def write_sweep(sweep: Sweep, out: Path, ledger: Ledger) -> dict[str, Path]:
    """Writes the sweep's tables and ``report.html`` from what the ledger holds."""
    from defi_int.research import report

    rows = run_rows(sweep, ledger)
    cells = cell_rows(sweep, rows)
    written = report.write_tables(out, {"results": rows, "cells": cells})
    written["report.html"] = report.write_atomic(out / "report.html", sweep_html(sweep, rows, cells))
    return written


def _label(sweep: Sweep, index: int) -> str:
    """A cell's name in a chart: ``half_spread_bps=2, risk_aversion=1`` (each key's last part)."""
    cell = sweep.cells()[index]
    return ", ".join(f"{key.rsplit('.', 1)[-1]}={value}" for key, value in cell.items()) or "as written"


def sweep_html(sweep: Sweep, rows: Sequence[Row], cells: Sequence[Row]) -> bytes:
    """The sweep's self-contained report: what it ran, each cell's figures and PnL parts, charts, every run."""
    from defi_int.metrics import html
    from defi_int.research import report

    errors = [r for r in rows if r["status"] != "ok"]
    planned = len(sweep.specs)
    overview = html.paragraph(
        f"Scenario {sweep.scenario} ({sweep.name}): {planned} runs planned in {len(sweep.cells())} cells, "
        f"{len(rows) - len(errors)} ok, {len(errors)} failed, {planned - len(rows)} not run. It ran with:"
    ) + html.lines(sweep_lines(sweep), code=True)
    by_figure = {name: cell_means(cells, name) for name in (*KEY_FIGURES, *(f"pnl_{p}" for p in PARTS), RISK)}
    summary_rows = []
    for index, cell in enumerate(sweep.cells()):
        entry: Row = {"cell": index, **{k: override_value(v) for k, v in cell.items()}}
        for name in KEY_FIGURES:
            row = by_figure[name].get(index)
            if row is None or row["mean"] is None:
                entry[name] = None
                continue
            half = "" if row["ci_low"] is None else f" ± {row['mean'] - row['ci_low']:,.3g}"
            entry[name] = f"{row['mean']:,.3f}{half}"
        entry["runs"] = next((r["runs"] for r in cells if r["cell"] == index), 0)
        summary_rows.append(entry)
    indexes = sorted(by_figure[PNL])
    groups = [(_label(sweep, i), {name: by_figure[name].get(i, {}) for name in by_figure}) for i in indexes]
    points = [(_label(sweep, i), by_figure[PNL][i], by_figure[RISK][i]) for i in indexes if i in by_figure[RISK]]
    keys = ", ".join(sweep.keys)
    charts = html.chart(
        report.breakdown_chart(groups, "Each cell's PnL by part" + (f" ({keys})" if keys else "")), "breakdown"
    )
    charts += html.chart(report.pnl_vs_risk_chart(points, PNL, RISK, keys), "pnl-vs-risk")
    if len(sweep.axes) == 2:
        (ykey, ys), (xkey, xs) = sweep.axes
        pnl = by_figure[PNL]
        means = [[pnl.get(i * len(xs) + j, {}).get("mean") for j in range(len(xs))] for i in range(len(ys))]
        charts += html.chart(report.heatmap_chart((ykey, xkey), xs, ys, means, PNL), "heatmap")
    first = ["cell", *override_columns(sweep.sets), *sweep.keys, "seed"]
    sections = [
        html.Section("Overview", overview),
        html.Section("Cells: mean ± 95 % CI over seeds", html.table(summary_rows) + html.paragraph(
            "The interval is Student's t over the cell's seeds. Every figure of every cell, with n, sd and the "
            "interval's ends, is in cells.csv / cells.parquet.", "note"
        )),
        html.Section("Charts", charts),
        html.Section("Every run", report.runs_table(rows, first)),
    ]  # fmt: skip
    if errors:
        failed = [{"cell": r["cell"], "seed": r["seed"], "error": r["error"]} for r in errors]
        sections.append(html.Section("Failed runs", html.table(failed)))
    return html.page(f"Sweep: {sweep.name}", sections)
