"""An A/B comparison's policies: keeper keys only (the flow must stay the same), checked like --set."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.exceptions import ScenarioError
from defi_int.research.compare import plan_compare

INFORMED = Path(__file__).resolve().parents[3] / "scripts" / "scenarios" / "informed_flow.toml"


def test_a_comparison_pairs_both_policies_on_every_seed() -> None:
    study = plan_compare(INFORMED, ["keeper.toxicity_routing=false"], ["keeper.toxicity_routing=true"], [], 3)
    assert [(p, s.seed) for p, s in study.specs] == [("A", 7), ("B", 7), ("A", 8), ("B", 8), ("A", 9), ("B", 9)]


@pytest.mark.parametrize(
    ("a", "b", "source", "fragment"),
    [
        (["traders[0].rate=0.5"], ["keeper.fee_bps=3"], "--a", "keeper.* keys only"),
        (["keeper.fee_bps=3"], ["seed=4"], "--b", "keeper.* keys only"),
        (["keeper.fee_bps=3"], ["keeper.fee_bps=-1"], "--b", "must be within"),
        (["keeper.fee_bps=3"], ["keeper.fee_bps=3"], "--b", "the same as policy A"),
    ],
)
def test_a_bad_policy_is_refused(a: list[str], b: list[str], source: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        plan_compare(INFORMED, a, b, [], 2)
    assert caught.value.source == source and fragment in caught.value.problem
