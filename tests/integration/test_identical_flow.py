"""Identical flow: two keeper policies on the same scenario and seed receive the same orders.

The rule (``defi_int.sim.agents``): agents' orders are functions of the seed, the step and the
oracle path only. A policy that fills, routes and hedges differently moves the AMM and so the
arbitrageurs' trades and the chain's clock within a step; the orders must not move with them. The
same holds for the agents of toxic flow: informed traders who sign from fresh addresses (the
addresses too), fast traders who read a reference the oracle shows late, arrivals shuffled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.keeper.keeper import Keeper

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
BASIC = SCENARIOS / "basic.toml"
POLICIES = (["keeper.half_spread_bps=1", "keeper.soft_limit=3", "keeper.hedge_to=0"], ["keeper.half_spread_bps=40"])


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Every order the keeper is handed, in order, with the step it arrived at."""
    seen: list[tuple[Any, ...]] = []
    intake = Keeper.intake

    def spy(self: Keeper, order: Any, signature: bytes, *, now: int, step: int = 0) -> Any:
        seen.append((step, order.as_tuple()))
        return intake(self, order, signature, now=now, step=step)

    monkeypatch.setattr(Keeper, "intake", spy)
    yield seen


def test_two_policies_receive_the_same_orders_and_fill_differently(received: list[tuple[Any, ...]]) -> None:
    flows, results = [], []
    for policy in POLICIES:
        received.clear()
        results.append(run_scenario(load_scenario(BASIC, overrides=["steps=30", *policy])))
        flows.append(list(received))
    assert flows[0] == flows[1] and len(flows[0]) > 30
    assert results[0].flow_digest == results[1].flow_digest
    assert results[0].hedge_transactions > results[1].hedge_transactions  # the policies did act differently
    fills = [{(f.order_digest, f.venue, f.price) for f in r.fills} for r in results]
    assert fills[0] != fills[1]


def test_another_seed_is_another_flow() -> None:
    digests = {run_scenario(load_scenario(BASIC, overrides=["steps=4"], seed=s)).flow_digest for s in (1, 2)}
    assert len(digests) == 2


@pytest.mark.parametrize("name", ["rotating_informed", "lagging_oracle"])
def test_the_agents_of_toxic_flow_send_the_same_orders_from_the_same_addresses_whatever_the_keeper_does(
    name: str, received: list[tuple[Any, ...]]
) -> None:
    flows, results = [], []
    for policy in (*POLICIES, ["keeper.toxicity_routing=true", "keeper.toxicity_min_fills=1"]):
        received.clear()
        results.append(run_scenario(load_scenario(SCENARIOS / f"{name}.toml", overrides=["steps=30", *policy])))
        flows.append(list(received))
    assert flows[0] == flows[1] == flows[2] and len(flows[0]) > 30
    assert len({order[0] for _, order in flows[0]}) > 20  # more than the 20 noise traders: the others too
    fills = [{(f.order_digest, f.venue, f.price) for f in r.fills} for r in results]
    assert fills[0] != fills[1] and fills[0] != fills[2]


def test_rotating_addresses_changes_who_signs_the_orders_and_nothing_else(received: list[tuple[Any, ...]]) -> None:
    flows = []
    for every in (1, 1_000_000):  # a fresh address every order, or never
        received.clear()
        overrides = ["steps=30", f"traders[1].rotate_every={every}"]
        run_scenario(load_scenario(SCENARIOS / "rotating_informed.toml", overrides=overrides))
        flows.append(list(received))
    rotating, staying = flows

    def terms(order: tuple[Any, ...]) -> tuple[Any, ...]:
        """Everything but the signer and its nonce: each signer counts its own nonces per market."""
        return (*order[1:6], *order[7:])

    assert [(step, terms(order)) for step, order in rotating] == [(step, terms(order)) for step, order in staying]
    assert len({order[0] for _, order in rotating}) > len({order[0] for _, order in staying}) + 10
