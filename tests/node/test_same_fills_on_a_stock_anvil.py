"""A scenario on a stock anvil fills exactly as on the fast in-process backend, run after run.

The anvil here is started as a new user would (``anvil --host 127.0.0.1 --port P``, nothing
else): its clock is the wall clock, its chain id and gas limit its own. ``Chain`` sets every
block's time and the runner puts the setup and every step at the scenario's times, so what each
trader gets (step, side, venue, size, price) and when must not differ from revm's, fill for fill.
Chain ids differ, so do order digests, signatures and the calldata gas of settles; those are not
compared here (the project's anvil shares the in-process chain id: its gas is, in
test_run_on_anvil.py).

A node that is not fresh (a previous run's deployment is there and its clock is past the
scenario's start) runs the scenario relative to its own deployment: the same fills, later times.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.chain.anvil import Anvil
from defi_int.metrics.records import RunResult

pytestmark = pytest.mark.node

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"


def fills(result: RunResult) -> list[tuple[int, str, bool, str, int, int]]:
    return [(f.step, f.trader, f.is_buy, f.venue, f.size, f.price) for f in result.fills]


@pytest.fixture
def stock_anvil() -> Iterator[Anvil]:
    with Anvil(stock=True) as node:
        yield node


@pytest.mark.parametrize("name", ["basic", "stress_jumps"])
def test_a_whole_scenario_fills_on_a_stock_anvil_exactly_as_on_revm(name: str, stock_anvil: Anvil) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")

    on_revm = run_scenario(scenario, backend="revm")
    on_anvil = run_scenario(scenario, rpc_url=stock_anvil.url)

    assert len(on_revm.fills) > 100
    assert fills(on_anvil) == fills(on_revm)
    assert [f.time for f in on_anvil.fills] == [f.time for f in on_revm.fills]
    assert all(on_anvil.invariants.values())


def test_a_second_run_on_the_same_node_fills_as_the_first_relative_to_its_own_deployment(
    stock_anvil: Anvil,
) -> None:
    scenario = load_scenario(SCENARIOS / "basic.toml", overrides=["steps=80"])

    first = run_scenario(scenario, rpc_url=stock_anvil.url)
    second = run_scenario(scenario, rpc_url=stock_anvil.url)

    assert len(first.fills) > 50
    assert fills(second) == fills(first)
    assert second.contracts != first.contracts  # a deployment of its own
    shift = second.fills[0].time - first.fills[0].time
    assert shift > scenario.steps * scenario.block_time  # after the first run's last block
    assert [f.time - shift for f in second.fills] == [f.time for f in first.fills]
