"""Intensity traders: a quote δ from the oracle is taken with probability min(1, A·dt·e^(−kδ))."""

from __future__ import annotations

import math

import numpy as np
import pytest

from defi_int.sim.agents import IntensityTraders
from defi_int.sim.scenario import TraderSpec
from defi_int.types import ONE

MARK = 100 * ONE


def limits(spec: TraderSpec, steps: int, seed: int = 5) -> tuple[list[int], list[int]]:
    agent = IntensityTraders(spec, (0,))
    rng = np.random.default_rng(seed)
    buys, sells = [], []
    for step in range(steps):
        for intent in agent.intents(rng, {0: MARK}, 1_000 + step * 10, 10, step):
            (buys if intent.is_buy else sells).append(intent.limit_price)
    return buys, sells


@pytest.mark.parametrize("delta", [-0.5, 0.0, 0.7, 2.0])
def test_a_quote_delta_from_the_oracle_fills_with_the_papers_probability(delta: float) -> None:
    spec = TraderSpec(type="intensity", intensity=0.7, decay=1.5)
    steps = 40_000
    buys, sells = limits(spec, steps)
    expected = min(1.0, 0.7 * math.exp(-1.5 * delta))
    ask, bid = MARK + round(delta * ONE), MARK - round(delta * ONE)
    for taken in (sum(limit >= ask for limit in buys) / steps, sum(limit <= bid for limit in sells) / steps):
        assert abs(taken - expected) <= 4 * math.sqrt(expected * (1 - expected) / steps) + 1e-9


def test_orders_are_one_per_side_and_step_of_the_exact_size_for_half_a_step_without_the_amm() -> None:
    spec = TraderSpec(type="intensity", count=3, size_mean=2 * ONE)
    agent = IntensityTraders(spec, (0, 4))
    intents = agent.intents(np.random.default_rng(1), {0: MARK, 4: MARK}, 5_000, 12, 7)
    assert [(i.market, i.is_buy) for i in intents] == [(0, True), (0, False), (4, True), (4, False)]
    assert all(i.size == 2 * ONE and not i.allow_amm and i.expiry == 5_006 for i in intents)


def test_the_draws_do_not_depend_on_the_marks() -> None:
    spec = TraderSpec(type="intensity")
    agent = IntensityTraders(spec, (0,))
    a, b = np.random.default_rng(2), np.random.default_rng(2)
    agent.intents(a, {}, 0, 12, 0)  # no price yet: no order, the same draws
    agent.intents(b, {0: MARK}, 0, 12, 0)
    assert a.random() == b.random()
