"""``defi-int sweep`` end to end on a local Dask cluster: tables, statistics, report, resume, failures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from defi_int.cli import main

BASIC = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "basic.toml"


def sweep(out: Path, *extra: str) -> int:
    return main(["sweep", str(BASIC), "--set", "steps=5", "--seeds", "2", "--out", str(out), "--no-progress", *extra])


def test_a_two_d_sweep_writes_a_tidy_table_cell_statistics_plots_and_a_report(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    assert sweep(out, "--grid", "keeper.half_spread_bps=2,30", "--grid", "keeper.risk_aversion=1,3") == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 8 and {r["status"] for r in rows} == {"ok"}
    assert {(r["keeper.half_spread_bps"], r["keeper.risk_aversion"], r["seed"]) for r in rows} == {
        (h, g, s) for h in ("2", "30") for g in ("1", "3") for s in ("1", "2")
    }
    table = pq.read_table(out / "results.parquet")
    assert table.num_rows == 8 and "pnl_total" in table.column_names and "inventory_sd" in table.column_names
    cells = [r for r in csv.DictReader((out / "cells.csv").open()) if r["figure"] == "pnl_total"]
    assert len(cells) == 4
    for cell in cells:
        mine = [float(r["pnl_total"]) for r in rows if r["cell"] == cell["cell"]]
        assert abs(float(cell["mean"]) - sum(mine) / 2) < 1e-9 and cell["n"] == "2"
        assert float(cell["ci_low"]) <= float(cell["mean"]) <= float(cell["ci_high"])
    for name in ("pnl_vs_risk.png", "heatmap.png", "report.html", "cells.parquet"):
        assert (out / name).stat().st_size > 0
    # Rerun: every run is in the ledger, nothing runs again, the same tables come out.
    ledger = (out / "runs.jsonl").read_text()
    assert sweep(out, "--grid", "keeper.half_spread_bps=2,30", "--grid", "keeper.risk_aversion=1,3") == 0
    assert (out / "runs.jsonl").read_text() == ledger
    # A wider grid reuses the finished cells and runs only the new ones.
    assert sweep(out, "--grid", "keeper.half_spread_bps=2,30,60", "--grid", "keeper.risk_aversion=1,3") == 0
    assert len((out / "runs.jsonl").read_text().splitlines()) == 12


def test_failing_runs_record_their_error_and_the_sweep_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "failing"
    node = ["--set", "chain.backend=rpc", "--set", "chain.rpc_url=http://127.0.0.1:9"]  # nothing listens there
    assert sweep(out, *node, "--grid", "keeper.fee_bps=1,2") == 1
    rows = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and {r["status"] for r in rows} == {"error"}
    assert all("NodeUnavailable" in r["error"] for r in rows)
    assert "4 runs in 2 cells, 4 failed" in capsys.readouterr().out
    assert "Failed runs" in (out / "report.html").read_text()


def test_a_directory_that_is_not_a_study_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert sweep(tmp_path, "--grid", "keeper.fee_bps=1,2") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
