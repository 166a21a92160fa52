"""The toxicity experiment's plan and tuning, without a chain: the seeds that tune and the seeds that
judge are disjoint, the tuning runs only the first, picks the best fair thresholds, and bad input is
one line and exit code 2 before anything runs or is written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from defi_int import cli
from defi_int.exceptions import ScenarioError
from defi_int.research.runs import Ledger, RunSpec, code_version
from defi_int.research.toxicity import (
    GRIDS,
    MODELS,
    TUNE_OFFSET,
    Axis,
    Fairness,
    evaluation_specs,
    plan,
    tune,
)

SCENARIOS = Path(__file__).resolve().parents[3] / "scripts" / "scenarios"
INFORMED = str(SCENARIOS / "informed_flow.toml")
ROTATING = str(SCENARIOS / "rotating_informed.toml")


def test_the_tuning_and_evaluation_seeds_are_disjoint_for_every_case() -> None:
    study = plan([INFORMED, ROTATING + ":traders[0].rotate_every=1"], [], seeds=10, tune_seeds=3)
    for case in study.cases:
        assert len(case.eval_seeds) == 10 and len(case.tune_seeds) == 3
        assert not set(case.eval_seeds) & set(case.tune_seeds)
        assert min(case.tune_seeds) >= max(case.eval_seeds) + 1
    assert study.cases[0].eval_seeds[0] == 7  # the scenario's own seed judges first, as in compare
    assert study.cases[1].label == "rotating_informed [traders[0].rotate_every=1]"


def test_the_largest_evaluation_set_never_reaches_the_tuning_seeds() -> None:
    study = plan([INFORMED], [], seeds=TUNE_OFFSET, tune_seeds=1)
    (case,) = study.cases
    assert max(case.eval_seeds) < min(case.tune_seeds)


class FakeRuns:
    """A runner that records every spec it is given and books a made-up ok row for each: PnL and the
    uninformed traders' volume as functions of the thresholds, so the best fair choice is known."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.seen: list[RunSpec] = []

    def __call__(self, specs: Sequence[RunSpec]) -> None:
        code = code_version()
        for spec in specs:
            self.seen.append(spec)
            if self.ledger.done(spec.key(code)):
                continue
            keys = dict(o.split("=", 1) for o in spec.overrides)
            edge = float(keys.get("keeper.toxicity_edge_bps", "-50"))  # the learned policies' threshold
            pnl = 100.0 - abs(edge + 20)
            volume = 100.0 - (5.0 if edge == 0 else 0.0)  # edge 0 would cost them 5 % of their volume
            self.ledger.append(
                {
                    "key": spec.key(code),
                    "status": "ok",
                    "seed": spec.seed,
                    "pnl_total": pnl + (30.0 if edge == 0 else 0.0),  # ... and pay the most
                    "uninformed_internal_volume": volume,
                    "uninformed_effective_spread_bps": 10.0,
                    "flow_digest": f"flow-{spec.seed}",
                }
            )


def test_the_tuning_runs_the_tuning_seeds_only_and_keeps_the_best_fair_thresholds(tmp_path: Path) -> None:
    study = plan([INFORMED], [], seeds=4, tune_seeds=2, fairness=Fairness(volume=0.02, spread_bps=1.0))
    runs = FakeRuns(Ledger(tmp_path / "runs.jsonl"))
    tuning = tune(study, runs.ledger, runs)
    (case,) = study.cases
    assert runs.seen and {s.seed for s in runs.seen} == set(case.tune_seeds)
    for model in ("logistic", "gbdt"):
        chosen = tuning.chosen[(case.label, model)]
        assert dict(chosen.settings)["keeper.toxicity_edge_bps"] == "-20"  # edge 0 pays more but is unfair
        assert chosen.fair
    unfair = [c for c in tuning.tried if dict(c.settings).get("keeper.toxicity_edge_bps") == "0"]
    assert unfair and not any(c.fair for c in unfair)
    evaluated = evaluation_specs(study, tuning)
    assert {s.seed for _, _, s in evaluated} == set(case.eval_seeds)
    assert {m for _, m, _ in evaluated} == {*MODELS, "gbdt_no_widen"}
    held = dict(tuning.chosen[(case.label, "gbdt_no_widen")].settings)
    assert held["keeper.toxicity_max_widen_bps"] == "0" and held["keeper.toxicity_edge_bps"] == "-20"


def test_a_variant_holds_its_thresholds_and_shares_the_runs_of_its_model(tmp_path: Path) -> None:
    study = plan([INFORMED], [], seeds=2, tune_seeds=1, variants=["cautious=gbdt:keeper.toxicity_cap_from=0.9"])
    assert study.policies == (*MODELS, "cautious") and study.models["cautious"] == "gbdt"
    assert Axis("keeper.toxicity_cap_from", ("0.9",)) in study.grids["cautious"]
    runs = FakeRuns(Ledger(tmp_path / "runs.jsonl"))
    tune(study, runs.ledger, runs)
    code = code_version()
    assert len({s.key(code) for s in runs.seen}) < len(runs.seen)  # the first round's runs are the gbdt's


def test_every_threshold_of_every_policy_is_tuned() -> None:
    assert {a.key for a in GRIDS["trader_rule"]} == {"keeper.toxicity_threshold_bps", "keeper.toxicity_min_fills"}
    for model in ("logistic", "gbdt"):
        assert {a.key for a in GRIDS[model]} == {
            "keeper.toxicity_edge_bps",
            "keeper.toxicity_max_widen_bps",
            "keeper.toxicity_cap_from",
        }
    assert all(len(a.values) >= 2 for axes in GRIDS.values() for a in axes)


def test_a_grid_option_replaces_one_threshold_for_every_policy_that_tunes_it() -> None:
    study = plan([INFORMED], [], seeds=2, tune_seeds=1, grid=["keeper.toxicity_edge_bps=-5,5"])
    assert Axis("keeper.toxicity_edge_bps", ("-5", "5")) in study.grids["gbdt"]
    assert Axis("keeper.toxicity_edge_bps", ("-5", "5")) in study.grids["logistic"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["/nonexistent/x.toml"], "/nonexistent/x.toml: file not found"),
        ([INFORMED + ":traders[1].limit_rule=sideways"], "traders[1].limit_rule"),
        ([INFORMED + ":keeper.half_spread_bps=3"], "may not set keeper.* keys"),
        ([INFORMED, INFORMED], "given twice"),
        ([INFORMED, "--grid", "keeper.half_spread_bps=1,2"], "--grid: keeper.half_spread_bps: not a threshold"),
        ([INFORMED, "--grid", "keeper.toxicity_edge_bps=abc"], "--grid: keeper.toxicity_edge_bps"),
        ([INFORMED, "--grid", "keeper.toxicity_cap_from=2"], "--grid: keeper.toxicity_cap_from"),
        ([INFORMED, "--seeds", "0"], "--seeds"),
        ([INFORMED, "--tune-seeds", "x"], "--tune-seeds"),
        ([INFORMED, "--fair-volume", "1.5"], "--fair-volume"),
        ([INFORMED, "--set", "steps=0"], "--set: steps"),
        ([INFORMED, "--variant", "x=gbdt"], "--variant: expected NAME=MODEL:KEY=VALUE"),
        ([INFORMED, "--variant", "x=none:keeper.toxicity_edge_bps=1"], "--variant: the model must be"),
        ([INFORMED, "--variant", "x=gbdt:keeper.half_spread_bps=1"], "--variant: keeper.half_spread_bps: not a"),
        ([INFORMED, "--variant", "x=gbdt:keeper.toxicity_cap_from=7"], "--variant: keeper.toxicity_cap_from"),
        ([INFORMED, "--variant", "gbdt=gbdt:keeper.toxicity_cap_from=1"], "given twice"),
        ([INFORMED, "--fair-spread", "-1"], "--fair-spread"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "study"
    with pytest.raises(SystemExit) as caught:
        raise SystemExit(cli.main(["experiment", "toxicity", *args, "--out", str(out), "--no-progress"]))
    assert caught.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert not out.exists()


def test_an_output_directory_holding_other_files_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "study"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli.main(["experiment", "toxicity", INFORMED, "--out", str(out), "--no-progress"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--out" in line and (out / "notes.txt").read_text() == "mine"


def test_a_case_override_error_names_the_case() -> None:
    with pytest.raises(ScenarioError, match="rotate_every"):
        plan([ROTATING + ":traders[0].rotate_every=0"], [], seeds=2, tune_seeds=1)
