"""The shipped scenarios of toxic flow, end to end on the embedded chain (100 steps each).

``rotating_informed.toml``: informed traders sign every order from a fresh funded address, and every
one of those addresses is booked as an informed trader's. ``lagging_oracle.toml``: the oracle posts
the reference three steps late, the arbitrageur keeps the AMM at the reference, and fast traders
trade the gap. In both, what makes the flow toxic is real: the desk's markout at the toxicity
horizon is negative on the informed and fast traders' fills and positive on the noise traders'.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.chain.deploy import System
from defi_int.keeper.keeper import Keeper
from defi_int.metrics.markouts import markouts_by_type
from defi_int.metrics.records import RunResult
from defi_int.sim.accounts import PopulationAccounts
from defi_int.sim.scenario import TraderSpec

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
STEPS = 100

Run = tuple[RunResult, list[tuple[int, tuple[Any, ...]]]]


def run_and_receive(name: str, *overrides: str) -> Run:
    """A run of the shipped scenario ``name``, with every order the keeper was handed (step, order)."""
    received: list[tuple[int, tuple[Any, ...]]] = []
    intake = Keeper.intake

    def spy(self: Keeper, order: Any, signature: bytes, *, now: int, step: int = 0) -> Any:
        received.append((step, order.as_tuple()))
        return intake(self, order, signature, now=now, step=step)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Keeper, "intake", spy)
        result = run_scenario(load_scenario(SCENARIOS / f"{name}.toml", overrides=[f"steps={STEPS}", *overrides]))
    return result, received


@pytest.fixture(scope="module")
def rotating() -> Run:
    return run_and_receive("rotating_informed")


@pytest.fixture(scope="module")
def lagging() -> Run:
    return run_and_receive("lagging_oracle")


@pytest.fixture(scope="module")
def runs(rotating: Run, lagging: Run) -> dict[str, RunResult]:
    return {"rotating_informed": rotating[0], "lagging_oracle": lagging[0]}


def test_rotating_informed_traders_sign_every_order_from_a_fresh_address_booked_as_informed(rotating: Run) -> None:
    result, received = rotating
    populations = {fill.trader: result.trader_type(fill.trader) for fill in result.fills}
    assert set(populations.values()) == {"noise", "informed"}  # no address left unknown
    senders = Counter(order[0] for _, order in received)
    informed = {address for address, kind in populations.items() if kind == "informed"}
    noise = {address for address, kind in populations.items() if kind == "noise"}
    assert len(informed) > load_scenario(SCENARIOS / "rotating_informed.toml").traders[1].count  # 20 traders
    assert all(senders[address] == 1 for address in informed)  # rotate_every = 1: one order per address
    assert len(noise) <= 20 and sum(senders[address] for address in noise) > 5 * len(noise)
    assert result.rejections.get("insufficient_margin", 0) == 0  # every fresh address had its margin
    assert all(result.invariants.values())


def test_the_oracle_posts_the_reference_of_lag_steps_ago(lagging: Run) -> None:
    result, _ = lagging
    points = {point.step: point for point in result.timeseries}
    assert len(points) == STEPS
    for step, point in points.items():
        assert point.oracle_price == points[max(0, step - 3)].index_price
    assert any(point.oracle_price != point.index_price for point in points.values())


def mean_gap_bps(result: RunResult, to: str) -> float:
    """Mean |AMM mid − the oracle or the reference| over the run, in bps of it."""
    gaps = [
        abs(point.amm_mid - (point.oracle_price if to == "oracle" else point.index_price)) / point.oracle_price * 1e4
        for point in result.timeseries
    ]
    return sum(gaps) / len(gaps)


def test_the_arbitrageur_keeps_the_amm_at_the_anchor_it_is_given(lagging: Run) -> None:
    at_reference, _ = lagging
    at_oracle, _ = run_and_receive("lagging_oracle", "steps=40", "arbitrage.anchor=oracle")
    assert mean_gap_bps(at_reference, "reference") < mean_gap_bps(at_reference, "oracle")
    assert mean_gap_bps(at_oracle, "oracle") < mean_gap_bps(at_oracle, "reference")


@pytest.mark.parametrize(("name", "toxic"), [("rotating_informed", "informed"), ("lagging_oracle", "fast")])
def test_the_desk_loses_to_the_toxic_flow_at_the_toxicity_horizon_and_gains_on_the_noise(
    runs: dict[str, RunResult], name: str, toxic: str
) -> None:
    result = runs[name]
    horizon = load_scenario(SCENARIOS / f"{name}.toml").keeper.toxicity_horizon
    curves = markouts_by_type(result.fills, result.timeseries, [horizon], result.trader_types)
    assert set(curves) == {"noise", toxic}
    toxic_markout, noise_markout = curves[toxic][horizon], curves["noise"][horizon]
    assert toxic_markout is not None and noise_markout is not None
    assert toxic_markout < -5 < 0 < noise_markout


def test_a_rotating_address_past_those_funded_before_the_run_is_funded_when_first_used(defi_system: System) -> None:
    spec = TraderSpec(type="informed", name="rotating", count=2, rotate_every=1, margin=1_000)
    types: dict[str, str] = {}
    unit = defi_system.params.unit
    accounts = PopulationAccounts(defi_system, spec, unit, types)
    accounts.fund(3)
    assert len(accounts.funded) == 3
    fifth = accounts.account(4)  # the flow asks for address 4: addresses 3 and 4 are funded now
    assert len(accounts.funded) == 5 and accounts.account(4) is fifth
    chain, vault = defi_system.chain, defi_system.vault
    assert [chain.call(vault.functions.cash(a.address)) for a in accounts.funded] == [1_000 * unit] * 5
    assert fifth.address == chain.account("trader:rotating:4", fund=False).address
    assert types == {a.address.lower(): "rotating" for a in accounts.funded}
