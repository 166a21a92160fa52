"""stress_jumps.toml ships leveraged traders (400 tokens of margin against ~3,000 USD orders, 5 %
initial and 4 % maintenance margin): the jumps take some below maintenance, the keeper's liquidator
closes them each step on the desk (within its cap and margin, the AMM past it, as far as the close
factor allows), and the report counts it all; the desk's funding is a PnL part of its own, and the
decomposition stays exact to the unit. With the premium at impact prices for 20,000 USD the pool
stays inside its fee and impact here and the desk pays no funding; measured at the mid (an impact
notional of 0) it does, and the decomposition holds with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario, summarize
from defi_int.metrics.records import RunResult

STRESS_JUMPS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "stress_jumps.toml"


@pytest.fixture(scope="module")
def run() -> RunResult:
    return run_scenario(load_scenario(STRESS_JUMPS), backend="revm")


@pytest.fixture(scope="module")
def run_at_the_mid() -> RunResult:
    scenario = load_scenario(STRESS_JUMPS, overrides=["markets[0].funding_impact_notional=0"])
    return run_scenario(scenario, backend="revm")


def test_leveraged_traders_and_only_they_are_liquidated_and_the_venues_take_each_close(run):
    assert len(run.liquidations) >= 2
    assert {r.trader_type for r in run.liquidations} == {"leveraged"}
    assert any(r.to_desk for r in run.liquidations)  # the desk takes what it can, the AMM the rest
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


def test_at_impact_prices_the_pool_inside_its_band_pays_no_funding_and_the_pnl_stays_exact(run):
    summary = summarize(run)
    assert summary["pnl_breakdown_units"]["funding"] == 0
    assert summary["pnl_residual_units"] == 0
    assert summary["invariants_ok"]


def test_at_the_mid_the_desks_funding_is_its_own_part_and_the_pnl_stays_exact(run_at_the_mid):
    summary = summarize(run_at_the_mid)
    assert summary["pnl_breakdown_units"]["funding"] != 0
    assert summary["pnl_residual_units"] == 0
    assert summary["invariants_ok"]
