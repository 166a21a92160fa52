"""Identical flow: two keeper policies on the same scenario and seed receive the same orders.

The rule (``defi_int.sim.agents``): agents' orders are functions of the seed, the step and the
oracle path only. A policy that fills, routes and hedges differently moves the AMM and so the
arbitrageurs' trades and the chain's clock within a step; the orders must not move with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.keeper.keeper import Keeper

BASIC = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "basic.toml"
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
