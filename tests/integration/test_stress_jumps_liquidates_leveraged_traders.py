"""stress_jumps.toml ships leveraged traders (400 tokens of margin against ~3,000 USD orders, 5 %
initial and 4 % maintenance margin): the jumps take some below maintenance, the keeper's liquidator
closes them each step on the desk (within its cap, the AMM past it), and the report counts it all; the
desk's funding is a PnL part of its own, and the decomposition stays exact to the unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario, summarize
from defi_int.metrics.records import RunResult

STRESS_JUMPS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "stress_jumps.toml"


@pytest.fixture(scope="module")
def run() -> RunResult:
    return run_scenario(load_scenario(STRESS_JUMPS), backend="revm")


def test_leveraged_traders_and_only_they_are_liquidated_and_each_close_is_whole(run):
    assert len(run.liquidations) >= 2
    assert {r.trader_type for r in run.liquidations} == {"leveraged"}
    assert any(r.to_desk for r in run.liquidations)  # the desk takes what its cap allows, the AMM the rest
    assert all(abs(r.size) == r.to_desk + r.to_amm for r in run.liquidations)


def test_the_summary_counts_liquidations_penalties_and_the_insurance_fund(run):
    summary = summarize(run)
    done = summary["liquidations"]
    assert done["count"] == len(run.liquidations)
    assert done["by_venue"]["desk"] == sum(1 for r in run.liquidations if r.to_desk)
    assert done["by_venue"]["amm"] == sum(1 for r in run.liquidations if r.to_amm)
    assert done["penalties"] > 0
    # The fund started with 5,000 tokens and took its half of every penalty (no bad debt here).
    penalties = sum(r.penalty for r in run.liquidations)
    shares = sum(r.penalty - r.penalty * 5_000 // 10_000 for r in run.liquidations)
    assert done["bad_debt"] == 0
    assert run.insurance_fund == 5_000 * 10**6 + shares
    assert 0 < shares < penalties


def test_the_desks_funding_is_its_own_part_and_the_pnl_stays_exact(run):
    summary = summarize(run)
    assert summary["pnl_breakdown_units"]["funding"] != 0
    assert summary["pnl_residual_units"] == 0
    assert summary["invariants_ok"]
