"""The sweep's grid: parsed like --set, every value and every cell checked before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.exceptions import ScenarioError
from defi_int.research.sweep import parse_grid, plan_sweep, split_values

BASIC = Path(__file__).resolve().parents[3] / "scripts" / "scenarios" / "basic.toml"
INFORMED = BASIC.with_name("informed_flow.toml")


def test_commas_inside_brackets_or_quotes_belong_to_the_value() -> None:
    assert split_values('1, 2.5,[1,5],"a,b"') == ["1", "2.5", "[1,5]", '"a,b"']


def test_a_grid_is_the_product_of_its_axes_last_axis_fastest() -> None:
    sweep = plan_sweep(BASIC, ["keeper.half_spread_bps=2,8", "keeper.risk_aversion=1,3,5"], [], 2)
    assert [tuple(c.values()) for c in sweep.cells()][:4] == [("2", "1"), ("2", "3"), ("2", "5"), ("8", "1")]
    assert len(sweep.specs) == 12 and sweep.seeds == (1, 2)
    assert sweep.specs[0][1].overrides == ("keeper.half_spread_bps=2", "keeper.risk_aversion=1")


@pytest.mark.parametrize(
    ("grid", "key", "fragment"),
    [
        (["keeper.half_spread_bps=2,-8"], "keeper.half_spread_bps", "must be within 0..1000 bps, got -8"),
        (["keeper.half_spread_bps"], None, "expected key=v1,v2"),
        (["keeper.half_spread_bps=2,,3"], "keeper.half_spread_bps", "an empty value"),
        (["keeper.nope=1"], "keeper.nope", "unknown key"),
        (["keeper.fee_bps=1", "keeper.fee_bps=2"], "keeper.fee_bps", "given twice"),
        (["keeper.soft_limit=3,9"], "keeper.hedge_to", "with keeper.soft_limit=3"),
    ],
)
def test_a_bad_grid_value_is_refused_naming_the_grid_and_the_key(
    grid: list[str], key: str | None, fragment: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        plan_sweep(BASIC, grid, [], 2)
    assert caught.value.source == "--grid" and caught.value.key == key
    assert fragment in caught.value.problem


def test_a_cell_whose_values_conflict_is_refused_before_anything_runs() -> None:
    with pytest.raises(ScenarioError) as caught:
        plan_sweep(INFORMED, ["keeper.soft_limit=8,30", "keeper.hedge_to=5,10"], [], 1)  # each fine alone
    assert (
        caught.value.source == "--grid"
        and "in the cell keeper.soft_limit=8, keeper.hedge_to=10" in caught.value.problem
    )


def test_a_bad_set_is_still_blamed_on_set() -> None:
    with pytest.raises(ScenarioError) as caught:
        plan_sweep(BASIC, ["keeper.fee_bps=1,2"], ["steps=0"], 1)
    assert caught.value.source == "--set"


def test_parse_grid_keeps_the_values_as_written() -> None:
    assert parse_grid("traders[0].expiry_steps=[1,2],[1,4]") == ("traders[0].expiry_steps", ("[1,2]", "[1,4]"))
