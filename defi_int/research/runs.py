"""One run of a study: what it is (``RunSpec``), its key, how a worker executes it, and the ledger.

A sweep, an A/B comparison and an experiment are all lists of ``RunSpec``: a scenario file, the
``--set`` overrides that make its cell (or its policy), and a seed. Data flow::

    RunSpec ──key()──▶ sha256(scenario text, overrides, seed, code version)
       │
       ▼  (on a Dask worker, or any process: a spec and its row are plain picklable data)
    execute(spec) ── load_scenario ─▶ run_scenario (its own embedded chain) ─▶ figures(result)
       │
       ▼
    a row: {key, seed, status "ok" | "error", error, wall, figures ...}  ──▶  Ledger (runs.jsonl)

Each worker builds its own chain from the scenario (a Web3 provider cannot be pickled), so a spec
carries nothing but text and numbers. ``execute`` never raises for a run that fails: the row
records the error (its type and message) and the study goes on.

The ledger is an append-only JSON-lines file, one finished run per line, flushed and synced as each
run ends, so an interrupted study loses at most the runs in flight. A rerun reads it and skips
every key that finished ``ok``; failed runs are tried again. A last line cut short by a crash is
dropped (and cut off the file) when the ledger is opened, never read as a run.

``figures`` are the run's scalar results: the summary's counters, volumes, rates, PnL and its
parts, deviations, markouts, gas, plus ``pnl_at_close`` (the desk's PnL with its inventory marked
at the price path's value at the end of the run, where Avellaneda–Stoikov value it), the final
inventory, and the inventory risk (mean and sd of the desk's position over the steps), the PnL in bps of the desk's
volume, its Sharpe ratio per step and maximum drawdown. Amounts are whole tokens or whole base
units (floats, for statistics); ``pnl_at_close_units``, ``desk_cash_change_units`` and
``inventory_final_units`` are exact.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from defi_int.metrics.fields import STUDY_SUMMARY_KEYS
from defi_int.metrics.pnl import book_value
from defi_int.metrics.records import BookState, RunResult
from defi_int.types import ONE
from defi_int.version import __version__

if TYPE_CHECKING:
    from defi_int.sim.scenario import Scenario

Row = dict[str, Any]

#: Columns every row has, before the figures.
ID_COLUMNS: tuple[str, ...] = ("key", "status", "error", "seed")


@dataclass(frozen=True)
class RunSpec:
    """One run: the scenario file's text and path, the overrides (``key=value``) and the seed."""

    scenario: str  # the scenario file's path, as given
    text: str  # its contents, read once when the study was planned: the key hashes these
    overrides: tuple[str, ...]
    seed: int

    def key(self, code: str) -> str:
        """The run's identity: scenario text, overrides, seed and ``code`` (``code_version()``)."""
        body = json.dumps([self.text, list(self.overrides), self.seed, code], separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()[:24]


@cache
def code_version() -> str:
    """A digest of the package's source files and compiled contracts: a change anywhere makes new keys."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".json") and p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_spec(path: str | Path, overrides: Sequence[str], seed: int) -> RunSpec:
    """A spec for the scenario file at ``path`` (read now; ``load_scenario`` has checked it)."""
    return RunSpec(str(path), Path(path).read_text(encoding="utf-8"), tuple(overrides), seed)


Measure = Callable[["Scenario", RunResult], dict[str, Any]]


def execute(spec: RunSpec, code: str, measure: Measure | None = None) -> Row:
    """Runs ``spec`` on its own embedded chain and returns its row; a failure is a row too.

    ``measure`` (a module-level function: it travels to the worker) adds a study's own figures.
    """
    from defi_int.sim.runner import run_scenario
    from defi_int.sim.scenario import parse_scenario

    started = time.perf_counter()
    row: Row = {"key": spec.key(code), "status": "ok", "error": None, "seed": spec.seed}
    try:
        scenario = parse_scenario(
            spec.text,
            source=spec.scenario,
            base_dir=Path(spec.scenario).resolve().parent,
            overrides=spec.overrides,
            seed=spec.seed,
        )
        result = run_scenario(scenario)
        row.update(figures(result))
        if measure is not None:
            row.update(measure(scenario, result))
    except Exception as exc:  # a failing run is recorded and the study goes on
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=8)
    row["run_seconds"] = time.perf_counter() - started
    return row


def figures(result: RunResult) -> dict[str, Any]:
    """The run's scalar figures by name (see the module docstring)."""
    from defi_int.metrics.summary import summarize

    summary = summarize(result)
    tokens = 10**result.decimals
    out: dict[str, Any] = {name: summary[name] for name in STUDY_SUMMARY_KEYS}
    out.update({f"pnl_{part}": value for part, value in summary["pnl_breakdown"].items()})
    close = pnl_at_close(result)
    out["pnl_at_close"] = close / tokens
    out["pnl_at_close_units"] = close
    out["pnl_bps_of_volume"] = summary["pnl_bps_of_volume"]["total"]
    out["sharpe_per_step"] = summary["sharpe_per_step"]
    out["max_drawdown"] = summary["max_drawdown"]
    out["max_drawdown_bps_of_volume"] = summary["max_drawdown_bps_of_volume"]
    out["desk_cash_change_units"] = result.end.cash - result.start.cash
    markets = sorted(result.end.positions) or sorted(result.closing_prices)
    out["inventory_final"] = sum(result.end.positions.get(m, 0) for m in markets) / ONE
    out["inventory_final_units"] = sum(result.end.positions.get(m, 0) for m in markets)
    positions = np.array([p.inventory / ONE for p in result.timeseries], dtype=np.float64)
    out["inventory_abs_mean"] = float(np.abs(positions).mean()) if positions.size else None
    out["inventory_sd"] = float(positions.std()) if positions.size else None
    out["price_deviation_bps_mean"] = summary["price_deviation_bps"]["mean"]
    out["price_improvement_bps_mean"] = summary["price_improvement_bps"]["mean"]
    out.update({f"markout_bps_{h}": v for h, v in summary["markouts_bps"].items()})
    out["amm_oracle_deviation_bps_mean"] = summary["amm_oracle_deviation_bps"]["mean"]
    out["gas_per_fill"] = summary["gas_per_fill"]
    out["settle_transactions"] = summary["settle_transactions"]
    out["hedge_transactions"] = summary["hedge_transactions"]
    out["wall_seconds"] = summary["wall_seconds"]
    out["invariants_ok"] = summary["invariants_ok"]
    out["flow_digest"] = result.flow_digest
    return out


def pnl_at_close(result: RunResult) -> int:
    """The desk's PnL in collateral units with its final inventory marked at the path's closing price."""
    marks = {**result.end.marks, **result.closing_prices}
    end = BookState(result.end.cash, result.end.fee_cash, result.end.positions, marks)
    return book_value(end, result.price_scale) - book_value(result.start, result.price_scale)


def is_number(value: Any) -> bool:
    """A finite int or float that is not a bool: what the statistics take."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Ledger:
    """The append-only record of finished runs (``runs.jsonl``); see the module docstring.

    ``path`` None keeps the rows in memory only (a study called from Python without ``out``).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: dict[str, Row] = {}
        if path is not None and path.exists():
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        data = self.path.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                row = json.loads(line)
            except ValueError:
                break
            if isinstance(row, dict) and isinstance(row.get("key"), str):
                self.rows[row["key"]] = row
            good += len(line)
        if good < len(data):  # a line cut short by a crash: never half a run in the ledger
            with open(self.path, "r+b") as file:
                file.truncate(good)

    def done(self, key: str) -> bool:
        """Whether the run ``key`` finished ``ok`` (failed runs are run again)."""
        row = self.rows.get(key)
        return row is not None and row.get("status") == "ok"

    def append(self, row: Row) -> None:
        """Records one finished run, durably (flushed and synced before returning)."""
        if self.path is None:
            self.rows[row["key"]] = row
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as file:
            file.write((json.dumps(row, allow_nan=False, default=str) + "\n").encode())
            file.flush()
            os.fsync(file.fileno())
        self.rows[row["key"]] = row

    def select(self, keys: Iterable[str]) -> Iterator[Row]:
        """The rows of ``keys`` that the ledger holds, in the order of ``keys``."""
        for key in keys:
            if key in self.rows:
                yield self.rows[key]
