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


def test_a_two_d_sweep_writes_a_tidy_table_cell_statistics_charts_and_a_report(tmp_path: Path) -> None:
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
    for name in ("report.html", "cells.parquet", "study.json"):
        assert (out / name).stat().st_size > 0
    page = (out / "report.html").read_text()
    for chart in ("breakdown", "pnl-vs-risk", "heatmap"):
        assert f'id="chart-{chart}"' in page
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


def test_every_set_value_is_a_column_and_another_study_in_the_same_out_needs_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    assert sweep(out, "--set", "keeper.fee_bps=3", "--grid", "keeper.half_spread_bps=2,30") == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert {(r["steps"], r["keeper.fee_bps"], r["keeper.half_spread_bps"]) for r in rows} == {
        ("5", "3", "2"), ("5", "3", "30")
    }  # fmt: skip
    assert pq.read_table(out / "results.parquet").schema.field("keeper.fee_bps").type == "int64"
    page = (out / "report.html").read_text()
    assert (
        "<code>--set keeper.fee_bps = 3</code>" in page and "<code>--grid keeper.half_spread_bps = 2, 30</code>" in page
    )
    before = (out / "report.html").read_bytes()
    capsys.readouterr()
    assert sweep(out, "--set", "keeper.fee_bps=4", "--grid", "keeper.half_spread_bps=2,30") == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "holds a sweep" in error[0] and "keeper.fee_bps=3" in error[0] and "--force" in error[0]
    assert (out / "report.html").read_bytes() == before
    assert sweep(out, "--set", "keeper.fee_bps=4", "--grid", "keeper.half_spread_bps=2", "--force") == 0
    assert {r["keeper.fee_bps"] for r in csv.DictReader((out / "results.csv").open())} == {"4"}


def test_sweep_and_compare_from_python_return_their_tables_as_dataframes(tmp_path: Path) -> None:
    from defi_int import compare
    from defi_int import sweep as run_sweep

    study = run_sweep(BASIC, {"keeper.half_spread_bps": [2, 30]}, seeds=2, sets={"steps": 4}, progress=False)
    assert study.failed == 0 and study.report is None and len(study.results) == 4
    assert study.results["keeper.half_spread_bps"].tolist() == [2, 2, 30, 30]
    pnl = study.cells[study.cells["figure"] == "pnl_total"]
    assert pnl["keeper.half_spread_bps"].tolist() == [2, 30] and (pnl["n"] == 2).all()
    informed = BASIC.with_name("informed_flow.toml")
    ab = compare(
        informed, {"keeper.toxicity_routing": False}, {"keeper.toxicity_routing": True}, seeds=2,
        sets=["steps=4"], out=tmp_path / "ab", progress=False,
    )  # fmt: skip
    assert ab.identical and ab.pairs == 2 and ab.report == tmp_path / "ab" / "report.html"
    assert set(ab.results["policy"]) == {"A", "B"} and "pnl_total" in set(ab.differences["figure"])
