"""``informed_flow.toml``: adverse selection shows in the markouts, and toxicity routing answers it.

Informed traders see the price five steps ahead. Against them the desk's internal fills lose
(negative markouts from the desk's side); noise flow pays the spread. With toxicity routing on,
the keeper learns from each trader's markout history and sends the informed flow to the AMM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.metrics.markouts import markouts_by_type
from defi_int.metrics.pnl import breakdown
from defi_int.metrics.records import RunResult

SCENARIO = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "informed_flow.toml"


def informed_internal_volume(result: RunResult) -> int:
    return sum(f.size for f in result.fills if result.trader_type(f.trader) == "informed" and f.venue == "internal")


@pytest.fixture(scope="module")
def runs() -> dict[bool, RunResult]:
    return {
        routing: run_scenario(load_scenario(SCENARIO, overrides=[f"keeper.toxicity_routing={str(routing).lower()}"]))
        for routing in (False, True)
    }


def test_informed_flow_shows_adverse_markouts_and_noise_flow_does_not(runs: dict[bool, RunResult]) -> None:
    result = runs[False]
    curves = markouts_by_type(result.fills, result.timeseries, result.markout_horizons, result.trader_types)
    # From the informed traders' own horizon (5 steps) on, the desk has lost to them.
    for horizon in (h for h in result.markout_horizons if h >= 5):
        assert curves["informed"][horizon] is not None and curves["informed"][horizon] < 0
        assert curves["noise"][horizon] is not None and curves["noise"][horizon] > curves["informed"][horizon]


def test_toxicity_routing_internalizes_less_of_the_informed_flow(runs: dict[bool, RunResult]) -> None:
    # The order flow is the same in both runs: agents draw from the same seed in the same order
    # and anchor on the same oracle path, whatever the keeper does with their orders.
    assert runs[True].orders_total == runs[False].orders_total
    assert 0 < informed_internal_volume(runs[True]) < informed_internal_volume(runs[False])


def test_toxicity_routing_does_not_cost_the_desk(runs: dict[bool, RunResult]) -> None:
    assert breakdown(runs[True]).total > breakdown(runs[False]).total
