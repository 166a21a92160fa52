"""A scenario run against a fresh anvil gives the same fills as on the embedded chain.

Chain ids differ (so do digests and block numbers); what a trader gets must not: the side, venue,
size and price of every fill, in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.chain.anvil import Anvil
from defi_int.metrics.records import RunResult

pytestmark = pytest.mark.node

BASIC = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "basic.toml"


def trades(result: RunResult) -> list[tuple[bool, str, int, int]]:
    return [(f.is_buy, f.venue, f.size, f.price) for f in result.fills]


def test_a_run_on_anvil_fills_exactly_like_the_embedded_chain() -> None:
    scenario = load_scenario(BASIC, overrides=["steps=30"])
    embedded = run_scenario(scenario)
    with Anvil() as node:
        on_node = run_scenario(scenario, rpc_url=node.url)
    assert on_node.backend == node.url
    assert len(embedded.fills) > 10
    assert trades(on_node) == trades(embedded)
    assert all(on_node.invariants.values())
