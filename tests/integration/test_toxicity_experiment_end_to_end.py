"""A tiny ``defi-int experiment toxicity`` end to end, on one Dask worker: tuning on its seeds,
evaluation on the others, every table, the JSON, the figures and the report; a rerun resumes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from defi_int import toxicity_experiment
from defi_int.cli import main
from defi_int.research.toxicity import MODELS

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
ONE_VALUE = [
    "--grid=keeper.toxicity_edge_bps=-10",
    "--grid=keeper.toxicity_max_widen_bps=0",
    "--grid=keeper.toxicity_cap_from=1",
    "--grid=keeper.toxicity_threshold_bps=10",
    "--grid=keeper.toxicity_min_fills=5",
]


def test_a_tiny_experiment_writes_the_table_the_report_and_says_which_seeds_tuned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "toxicity"
    case = f"{SCENARIOS / 'informed_flow.toml'}:shuffle_arrivals=true"
    args = ["experiment", "toxicity", case, "--set", "steps=8", "--seeds", "2", "--tune-seeds", "1", *ONE_VALUE]
    assert main([*args, "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "identical order flow in 3 of 3 (case, seed) groups" in printed and "0 failed runs" in printed
    with open(out / "summary.csv", newline="") as file:
        summary = list(csv.DictReader(file))
    assert [r["model"] for r in summary] == [*MODELS, "gbdt_no_widen"]  # the variant shares the gbdt's runs here
    columns = {"auc_mean", "brier_mean", "pnl_vs_rule_ci_low", "pnl_vs_none_ci_high", "uninformed_volume_vs_none",
               "informed_internal_volume_mean", "decisions_changed_vs_none_mean", "uninformed_fill_rate_mean",
               "uninformed_price_improvement_bps_mean", "uninformed_effective_spread_bps_mean"}  # fmt: skip
    assert columns <= set(summary[0])
    document = json.loads((out / "experiment.json").read_text())
    (seeds,) = document["cases"]
    assert seeds["evaluation_seeds"] == [7, 8] and seeds["tuning_seeds"] == [1_000_007]
    assert document["tuned"][seeds["label"]]["gbdt"] == {
        "keeper.toxicity_edge_bps": "-10",
        "keeper.toxicity_max_widen_bps": "0",
        "keeper.toxicity_cap_from": "1",
    }
    for name in ("results", "tuning", "differences", "reliability", "signal"):
        assert (out / f"{name}.csv").stat().st_size > 0 and (out / f"{name}.parquet").stat().st_size > 0
    page = (out / "report.html").read_text()
    assert "tuning seeds" in page and "1000007" in page and 'id="chart-reliability"' in page and "<img" not in page
    runs = len((out / "runs.jsonl").read_text().splitlines())
    assert runs == 4 + 4 * 2  # one tuning run per policy, then four policies on two seeds
    # resumed from Python: nothing runs again, and the tables come back as DataFrames
    found = toxicity_experiment(
        [case], sets=["steps=8"], seeds=2, tune_seeds=1, grid=[g.removeprefix("--grid=") for g in ONE_VALUE],
        out=out, workers=1, progress=False,
    )  # fmt: skip
    assert len((out / "runs.jsonl").read_text().splitlines()) == runs
    assert found.identical and found.failed == 0 and list(found.summary["model"]) == [*MODELS, "gbdt_no_widen"]
    assert set(found.results["seed"]) == {7, 8} and found.report == out / "report.html"
    # another study into the same directory is refused, one line, unless --force
    assert main([*args[:-len(ONE_VALUE)], "--set", "steps=9", *ONE_VALUE, "--workers", "1", "--no-progress",
                 "--out", str(out)]) == 2  # fmt: skip
    assert "--force" in capsys.readouterr().err
    other_case = ["experiment", "toxicity", str(SCENARIOS / "lagging_oracle.toml"), *args[3:]]
    assert main([*other_case, "--workers", "1", "--no-progress", "--out", str(out)]) == 2  # other cases, same --set
    assert "--force" in capsys.readouterr().err
