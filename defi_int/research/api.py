"""Studies from Python: ``sweep``, ``compare`` and ``experiment`` return their tables as DataFrames.

The CLI's ``defi-int sweep / compare / experiment`` are thin drivers of these functions
(``commands``): the same checks (everything before anything runs, a ``ConfigError`` naming the
option and the key), the same Dask engine, the same ledger and report. From a notebook::

    from defi_int import sweep, compare

    study = sweep("scripts/scenarios/basic.toml", {"keeper.half_spread_bps": [2, 5, 10]}, seeds=3,
                  sets={"steps": 60})
    study.cells.query("figure == 'pnl_total'")[["keeper.half_spread_bps", "mean", "ci_low", "ci_high"]]

Overrides are ``key=value`` texts as on the command line, or a mapping (``{"steps": 60}``); a grid
is a mapping of key -> values or ``key=v1,v2`` texts. With ``out=None`` nothing is written: the
runs live in memory only. With ``out=DIR`` the study is the CLI's: the ledger ``runs.jsonl`` (a
rerun resumes), the tables in Parquet and CSV, ``report.html``, and the manifest that refuses a
directory holding another study unless ``force``.

A scenario that runs but is probably not meant (``Scenario.warnings``: a desk pricing with another
fill decay than its traders draw from) is issued as a ``ScenarioWarning`` while the study is planned.
Progress goes to standard error (a bar on a terminal, a line per few runs elsewhere), and the Dask
dashboard's address is printed there when the cluster starts; ``progress=False`` keeps quiet.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from defi_int.exceptions import ScenarioError
from defi_int.research.study import as_overrides, claim, file_digest, manifest, toml_text

if TYPE_CHECKING:
    import pandas as pd

    from defi_int.research.avellaneda import Experiment
    from defi_int.research.compare import Comparison
    from defi_int.research.runs import Ledger, Measure, Row, RunSpec
    from defi_int.research.sweep import Sweep
    from defi_int.research.toxicity import Study as ToxicityStudy

Overrides = Mapping[str, Any] | Sequence[str] | None


@dataclass(frozen=True)
class SweepResult:
    """A sweep's tables: ``results`` (one row per run), ``cells`` (one row per cell and figure)."""

    study: Sweep
    results: pd.DataFrame
    cells: pd.DataFrame
    failed: int
    report: Path | None
    text: str


@dataclass(frozen=True)
class CompareResult:
    """A comparison's tables: ``results`` (one row per run) and ``differences`` (B − A per figure)."""

    study: Comparison
    results: pd.DataFrame
    differences: pd.DataFrame
    pairs: int
    identical: bool  # every pair ran on the same order flow
    failed: int
    report: Path | None
    text: str


@dataclass(frozen=True)
class ExperimentResult:
    """The experiment's ``table`` (one row per γ and strategy) and ``results`` (one row per run)."""

    study: Experiment
    table: pd.DataFrame
    results: pd.DataFrame
    reproduced: bool
    supported: bool  # enough paths for the claim
    failed: int
    report: Path | None
    text: str


@dataclass(frozen=True)
class ToxicityResult:
    """The toxicity experiment's tables: ``summary`` (one row per case and policy, with paired CIs
    against the baselines), ``results`` (one row per evaluation run) and ``tuning`` (every candidate
    threshold tried, on the tuning seeds)."""

    study: ToxicityStudy
    summary: pd.DataFrame
    results: pd.DataFrame
    tuning: pd.DataFrame
    failed: int
    identical: bool  # every (case, seed) ran on the same order flow under every policy
    report: Path
    text: str


def grid_options(grid: Mapping[str, Sequence[Any]] | Sequence[str] | None) -> list[str]:
    """``{"keeper.fee_bps": [1, 2]}`` -> ``["keeper.fee_bps=1,2"]``; texts pass as they are."""
    if grid is None:
        return []
    if isinstance(grid, Mapping):
        return [f"{key}={','.join(_grid_value(v) for v in values)}" for key, values in grid.items()]
    return [grid] if isinstance(grid, str) else list(grid)


def _grid_value(value: Any) -> str:
    text = toml_text(value)
    return f'"{text}"' if isinstance(value, str) and "," in text else text


class _Run:
    """Where a study runs and how it reports progress."""

    def __init__(
        self,
        out: str | Path | None,
        workers: int,
        scheduler: str | None,
        progress: bool,
        check: Callable[[str | Path], Path] | None = None,
    ) -> None:
        from defi_int.research.report import LEDGER, check_study_dir
        from defi_int.research.runs import Ledger

        self.out = None if out is None else (check or check_study_dir)(out)
        self.ledger: Ledger = Ledger(None if self.out is None else self.out / LEDGER)
        self.workers, self.scheduler, self.progress = workers, scheduler, progress

    def claim(self, study: Mapping[str, Any], force: bool) -> None:
        if self.out is not None:
            claim(self.out, study, force)

    def run(self, specs: Sequence[RunSpec], label: str, measure: Measure | None = None, client: Any = None) -> None:
        from defi_int.progress import progress
        from defi_int.research.engine import run_specs

        self._check()
        with progress(label, "runs", enabled=self.progress) as update:
            run_specs(
                specs,
                self.ledger,
                workers=self.workers,
                scheduler=self.scheduler,
                progress=update,
                dashboard=self._dashboard(),
                measure=measure,
                client=client,
            )

    @contextmanager
    def batches(self, label: str, measure: Measure) -> Iterator[Callable[[Iterable[RunSpec]], None]]:
        """A runner for a study of several batches: one Dask client, started by the first batch
        that has runs, kept for the others."""
        from defi_int.research.engine import connect, pending
        from defi_int.research.runs import code_version

        self._check()
        with ExitStack() as stack:
            client: list[Any] = []

            def run(specs: Iterable[RunSpec]) -> None:
                todo = pending(list(specs), self.ledger, code_version())
                if todo and not client:
                    where = connect(workers=self.workers, scheduler=self.scheduler, dashboard=self._dashboard())
                    client.append(stack.enter_context(where))
                self.run(todo, label, measure, client[0] if client else None)

            yield run

    def _check(self) -> None:
        if not 1 <= self.workers <= 256:
            raise ScenarioError("--workers", None, f"must be within 1..256, got {self.workers}")

    def _dashboard(self) -> Callable[[str], None] | None:
        from defi_int.progress import note

        return (lambda link: note(f"Dask dashboard: {link}")) if self.progress else None


def _frame(rows: Sequence[Row]) -> pd.DataFrame:
    from defi_int.metrics.frames import rows_frame

    return rows_frame(rows)


def sweep(
    scenario: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    *,
    seeds: int = 1,
    sets: Overrides = None,
    out: str | Path | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> SweepResult:
    """Runs the product of ``grid``'s values × ``seeds`` seeds of ``scenario`` (see the module docstring)."""
    from defi_int.research.sweep import cell_rows, plan_sweep, run_rows, write_sweep

    overrides = as_overrides(sets)
    _exists(scenario)
    study = plan_sweep(scenario, grid_options(grid), overrides, seeds)
    where = _Run(out, workers, scheduler, progress)
    where.claim(manifest("sweep", scenario, overrides), force)
    where.run([spec for _, spec in study.specs], f"sweep {study.name}")
    rows = run_rows(study, where.ledger)
    failed = sum(r["status"] != "ok" for r in rows) + len(study.specs) - len(rows)
    report = None
    if where.out is not None:
        report = write_sweep(study, where.out, where.ledger)["report.html"]
    text = f"{len(rows)} runs in {len(study.cells())} cells, {failed} failed"
    text += f"; report written to {report}" if report else ""
    return SweepResult(study, _frame(rows), _frame(cell_rows(study, rows)), failed, report, text)


def compare(
    scenario: str | Path,
    a: Overrides,
    b: Overrides,
    *,
    seeds: int = 1,
    sets: Overrides = None,
    out: str | Path | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> CompareResult:
    """Runs policies ``a`` and ``b`` (``keeper.*`` overrides) on the same seeds and pairs them."""
    from defi_int.research.compare import outcome_text, plan_compare, tables, write_compare

    overrides, policy_a, policy_b = as_overrides(sets), as_overrides(a), as_overrides(b)
    _exists(scenario)
    study = plan_compare(scenario, policy_a, policy_b, overrides, seeds)
    where = _Run(out, workers, scheduler, progress)
    where.claim(manifest("compare", scenario, overrides, a=policy_a, b=policy_b), force)
    where.run([spec for _, spec in study.specs], f"compare {study.name}")
    found = tables(study, where.ledger)
    report, text = None, outcome_text(study, found)
    if where.out is not None:
        write_compare(study, where.out, where.ledger)
        report = where.out / "report.html"
        text += f"\nreport written to {report}"
    return CompareResult(
        study, _frame(found.rows), _frame(found.differences), found.pairs, found.identical, found.failed, report, text
    )


def experiment(
    name: str = "avellaneda-stoikov",
    *,
    paths: int | None = None,
    sets: Overrides = None,
    scenario: str | Path | None = None,
    out: str | Path | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> ExperimentResult:
    """A published experiment through the project; only ``avellaneda-stoikov`` so far (``research.avellaneda``)."""
    from defi_int.research.avellaneda import outcome_of, plan_experiment, result_rows, table_rows, write_experiment

    if name != "avellaneda-stoikov":
        raise ScenarioError("experiment", None, f"unknown experiment {name!r} (known: avellaneda-stoikov)")
    overrides = as_overrides(sets)
    study = plan_experiment(None if scenario is None else Path(scenario), paths, overrides)
    where = _Run(out, workers, scheduler, progress)
    where.claim(manifest("experiment", study.scenario, overrides, experiment=name), force)
    started = time.perf_counter()
    where.run([spec for _, _, spec in study.specs], name)
    wall = time.perf_counter() - started
    rows, results = table_rows(study, where.ledger), result_rows(study, where.ledger)
    report = None
    if where.out is not None:
        outcome = write_experiment(study, where.out, where.ledger, wall)
        report = where.out / "report.html"
    else:
        outcome = outcome_of(study, rows, results, wall)
    return ExperimentResult(
        study, _frame(rows), _frame(results), outcome.reproduced, outcome.supported, outcome.failed, report,
        outcome.text,
    )  # fmt: skip


def toxicity_experiment(
    cases: Sequence[str] = (),
    *,
    out: str | Path,
    seeds: int = 8,
    tune_seeds: int = 2,
    grid: Sequence[str] = (),
    fair_volume: float = 0.02,
    fair_spread_bps: float = math.inf,
    variants: Sequence[str] | None = None,
    sets: Overrides = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> ToxicityResult:
    """``none``, ``trader_rule``, ``logistic`` and ``gbdt`` (and ``variants``) on identical flow per
    case (``FILE`` or ``FILE:KEY=VALUE,...``; none: the shipped cases), every threshold tuned on the
    tuning seeds, judged on disjoint evaluation seeds (``research.toxicity``). It always writes its
    study to ``out`` (tables, ``experiment.json``, figures, ``report.html``); a rerun resumes."""
    from defi_int.research.toxicity import Fairness, evaluation_specs, plan, tune
    from defi_int.research.toxicity_report import Timing, check_out, write
    from defi_int.research.toxicity_runs import measure

    overrides = as_overrides(sets)
    study = plan(
        list(cases),
        overrides,
        seeds=seeds,
        tune_seeds=tune_seeds,
        grid=list(grid),
        fairness=Fairness(fair_volume, fair_spread_bps),
        variants=None if variants is None else list(variants),
    )
    where = _Run(out, workers, scheduler, progress, check=check_out)
    assert where.out is not None
    cases_ = [f"{file_digest(c.scenario)} {c.label}" for c in study.cases]
    identity = manifest("experiment", study.cases[0].scenario, overrides, experiment="toxicity", cases=cases_)
    where.claim(identity, force)
    started, load = time.perf_counter(), os.getloadavg()
    with where.batches("toxicity", measure) as run:
        tuning = tune(study, where.ledger, run)
        run([spec for _, _, spec in evaluation_specs(study, tuning)])
    timing = Timing(time.perf_counter() - started, load, os.getloadavg(), os.cpu_count() or 1)
    outcome = write(study, tuning, where.ledger, where.out, timing)
    tables = outcome.tables
    return ToxicityResult(
        study, _frame(tables["summary"]), _frame(tables["results"]), _frame(tables["tuning"]), outcome.failed,
        outcome.identical, where.out / "report.html", outcome.text,
    )  # fmt: skip


def _exists(scenario: str | Path) -> None:
    if not Path(scenario).is_file():
        raise ScenarioError(str(scenario), None, "file not found")
