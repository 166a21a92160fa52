"""Every shipped scenario fills alike on both in-process backends: revm (the default) and py-evm.

Same chain id, same block times, same transactions: every fill must be the same (step, trader,
side, venue, size, price) and cost the same gas share, and the report's headline gas per fill with
it. The first steps of each scenario keep the py-evm side short; tests/node runs whole scenarios on
anvil, and scripts/bench_run.py compares whole runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario, summarize
from defi_int.metrics.records import RunResult

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
STEPS = 30


def fills(result: RunResult) -> list[tuple[int, str, bool, str, int, int, int, int]]:
    return [(f.step, f.trader, f.is_buy, f.venue, f.size, f.price, f.time, f.gas) for f in result.fills]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_a_shipped_scenario_fills_alike_on_revm_and_py_evm(path: Path) -> None:
    scenario = load_scenario(path, overrides=[f"steps={STEPS}"])

    on_revm = run_scenario(scenario, backend="revm")
    on_pyevm = run_scenario(scenario, backend="pyevm")

    assert (on_revm.backend, on_pyevm.backend) == ("revm", "pyevm")
    assert len(on_revm.fills) >= 10  # enough to compare (avellaneda_stoikov fills ~1 in 3 steps)
    assert fills(on_revm) == fills(on_pyevm)
    assert summarize(on_revm)["gas_per_fill"] == summarize(on_pyevm)["gas_per_fill"]
    assert on_revm.contracts == on_pyevm.contracts
