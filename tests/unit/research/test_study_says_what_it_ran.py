"""A study records what it ran: its overrides as typed columns and lines, and a manifest guarding its --out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from defi_int.exceptions import OutputError, ScenarioError
from defi_int.research.compare import plan_compare
from defi_int.research.runs import Ledger, code_version
from defi_int.research.study import MANIFEST, as_overrides, claim, manifest, override_columns
from defi_int.research.sweep import cell_rows, plan_sweep, run_rows, sweep_lines

BASIC = Path(__file__).resolve().parents[3] / "scripts" / "scenarios" / "basic.toml"
INFORMED = BASIC.with_name("informed_flow.toml")


def test_overrides_become_typed_columns_with_canonical_keys_the_last_winning() -> None:
    columns = override_columns(["steps=5", " keeper.fee_bps = 2", "keeper.toxicity_routing=true", "steps=7"])
    assert columns == {"keeper.fee_bps": 2, "keeper.toxicity_routing": True, "steps": 7}
    assert override_columns(["traders[0].expiry_steps=[1,4]", "markets[0].volatility=0.5"]) == {
        "traders[0].expiry_steps": "[1,4]",
        "markets[0].volatility": 0.5,
    }
    assert as_overrides({"steps": 5, "keeper.toxicity_routing": False, "traders[0].expiry_steps": [1, 4]}) == [
        "steps=5",
        "keeper.toxicity_routing=false",
        "traders[0].expiry_steps=[1,4]",
    ]


def test_every_set_and_grid_value_is_a_column_of_each_run_and_cell_and_a_line() -> None:
    sweep = plan_sweep(BASIC, ["keeper.half_spread_bps=2,8"], ["steps=3", "keeper.fee_bps=1"], 1)
    ledger = Ledger(None)
    code = code_version()
    for index, spec in sweep.specs:
        ledger.append({"key": spec.key(code), "status": "ok", "error": None, "seed": spec.seed, "pnl_total": index})
    rows = run_rows(sweep, ledger)
    assert [(r["steps"], r["keeper.fee_bps"], r["keeper.half_spread_bps"]) for r in rows] == [(3, 1, 2), (3, 1, 8)]
    cells = cell_rows(sweep, rows)
    assert {c["figure"] for c in cells} == {"pnl_total"}  # an override is not a figure
    assert all(c["steps"] == 3 for c in cells)
    assert sweep_lines(sweep) == [
        "--set steps = 3",
        "--set keeper.fee_bps = 1",
        "--grid keeper.half_spread_bps = 2, 8",
        "seeds 1..1 (1 per cell)",
    ]


def test_a_key_in_both_set_and_the_grid_or_a_policy_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"--grid: keeper.fee_bps: also given with --set"):
        plan_sweep(BASIC, ["keeper.fee_bps=1,2"], ["keeper.fee_bps=3"], 1)
    with pytest.raises(ScenarioError, match=r"--b: keeper.toxicity_routing: also given with --set"):
        plan_compare(INFORMED, [], ["keeper.toxicity_routing=true"], ["keeper.toxicity_routing=false"], 1)


def test_an_out_holding_another_study_is_refused_unless_forced(tmp_path: Path) -> None:
    first = manifest("sweep", BASIC, ["steps=5"])
    claim(tmp_path, first, force=False)
    claim(tmp_path, manifest("sweep", BASIC, ["steps=5"]), force=False)  # the same study resumes
    other = manifest("sweep", BASIC, ["steps=6"])
    with pytest.raises(
        OutputError, match=r"holds a sweep of .*basic.toml with --set steps=5; this is a sweep .* steps=6"
    ):
        claim(tmp_path, other, force=False)
    with pytest.raises(OutputError, match="holds a sweep"):
        claim(tmp_path, manifest("sweep", INFORMED, ["steps=5"]), force=False)
    with pytest.raises(OutputError, match="this is a compare"):
        claim(tmp_path, manifest("compare", BASIC, ["steps=5"], a=[], b=["keeper.fee_bps=1"]), force=False)
    assert json.loads((tmp_path / MANIFEST).read_text()) == first
    claim(tmp_path, other, force=True)
    assert json.loads((tmp_path / MANIFEST).read_text())["set"] == ["steps=6"]
