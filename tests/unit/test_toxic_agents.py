"""The agents of toxic flow, without a chain: rotating addresses, informed and fast traders whose
orders are a noise trader's but for the side, and fast traders who trade the reference–oracle gap."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from defi_int.sim.agents import FastTraders, InformedTraders, NoiseTraders, OrderIntent
from defi_int.sim.scenario import TraderSpec
from defi_int.types import BPS, ONE

MARKETS = (0,)
BLOCK_TIME = 12
NOW = 2_100_000_000
TERMS = {"count": 4, "rate": 0.8, "size_mean": 3 * ONE // 2, "limit_offset_bps": (5.0, 50.0), "expiry_steps": (1, 4)}


def run(agent: NoiseTraders | InformedTraders, marks: list[int], seed: int = 3) -> list[tuple[OrderIntent, int]]:
    """Every order ``agent`` sends over ``len(marks)`` steps, with the oracle mark it saw."""
    rng = np.random.default_rng(seed)
    sent = []
    for step, mark in enumerate(marks):
        sent += [(i, mark) for i in agent.intents(rng, {0: mark}, NOW + step * BLOCK_TIME, BLOCK_TIME, step)]
    return sent


def through(intent: OrderIntent, mark: int) -> int:
    """How far through ``mark`` the limit sits, on the order's side (1e18 USD)."""
    return intent.limit_price - mark if intent.is_buy else mark - intent.limit_price


def terms(intent: OrderIntent) -> tuple[int, int, int, int, bool, int]:
    """Everything of an order but its side and limit."""
    return intent.trader, intent.market, intent.size, intent.expiry, intent.allow_amm, intent.max_fee_bps


@pytest.mark.parametrize("every", [1, 3])
def test_a_rotating_population_signs_no_more_than_rotate_every_orders_from_one_address(every: int) -> None:
    sent = run(NoiseTraders(TraderSpec(type="noise", rotate_every=every, **TERMS), MARKETS), [2_000 * ONE] * 60)
    uses = Counter(intent.trader for intent, _ in sent)
    assert len(sent) > 100
    assert max(uses.values()) == every
    assert len(uses) >= len(sent) / every  # only each trader's current address is not used up
    assert sorted(uses) == list(range(len(uses)))  # fresh addresses are the next unused indexes


def test_a_population_that_does_not_rotate_signs_with_one_address_per_trader() -> None:
    sent = run(NoiseTraders(TraderSpec(type="noise", **TERMS), MARKETS), [2_000 * ONE] * 60)
    assert {intent.trader for intent, _ in sent} == set(range(TERMS["count"]))


@pytest.mark.parametrize(("kind", "cls"), [("informed", InformedTraders), ("fast", FastTraders)])
@pytest.mark.parametrize("rising", [True, False])
def test_with_the_offset_rule_an_edge_trader_sends_the_noise_traders_orders_but_for_the_side(
    kind: str, cls: type[InformedTraders], rising: bool
) -> None:
    # A path that moves every step and an oracle a dollar behind it: every arrival sees an edge.
    path = [(2_000 + (i if rising else -i)) * ONE for i in range(60)]
    marks = [price - ONE if rising else price + ONE for price in path[:50]]
    noise = run(NoiseTraders(TraderSpec(type="noise", **TERMS), MARKETS), marks)
    edge = run(cls(TraderSpec(type=kind, limit_rule="offset", min_edge_bps=0, **TERMS), MARKETS, {0: path}), marks)

    assert len(edge) == len(noise) > 50
    assert {intent.is_buy for intent, _ in edge} == {rising}
    assert {intent.is_buy for intent, _ in noise} == {True, False}
    for (mine, mark), (theirs, _) in zip(edge, noise, strict=True):
        assert terms(mine) == terms(theirs)
        assert through(mine, mark) == through(theirs, mark) > 0


def test_the_half_edge_rule_gives_away_half_the_edge_the_informed_trader_sees() -> None:
    path = [(2_000 + 3 * i) * ONE for i in range(50)]
    spec = TraderSpec(type="informed", horizon=5, min_edge_bps=10, **TERMS)
    sent = run(InformedTraders(spec, MARKETS, {0: path}), path[:40])
    assert len(sent) > 20 and all(intent.is_buy for intent, _ in sent)
    for intent, mark in sent:  # it sees path[step + 5], 15 USD above the mark: half of it, in bps of the mark
        assert through(intent, mark) == mark * round((15 * ONE) * BPS / mark / 2 * 100) // 10**6


def test_fast_traders_trade_the_gap_between_the_reference_and_the_oracle_when_it_beats_their_edge() -> None:
    fast = FastTraders(TraderSpec(type="fast", min_edge_bps=10, **TERMS), MARKETS, {0: [2_000 * ONE] * 10})
    rng = np.random.default_rng(1)
    sent = [
        fast.intents(rng, {0: mark * ONE}, NOW, BLOCK_TIME, step) for step, mark in enumerate((2_000, 2_001, 2_010))
    ]
    quiet, narrow, wide = sent  # the oracle at the reference, 5 bps above it, 50 bps above it
    assert quiet == [] and narrow == []
    assert wide and not any(intent.is_buy for intent in wide)  # the oracle will fall to the reference: sell
