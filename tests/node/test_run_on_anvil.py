"""A scenario run against a fresh anvil gives the same fills as on the embedded chain.

Chain ids differ (so do digests and block numbers); what a trader gets must not: the side, venue,
size and price of every fill, in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.chain.anvil import Anvil
from defi_int.cli import main
from defi_int.exceptions import NodeUnavailable
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


def test_a_node_that_stops_answering_mid_run_is_named_in_the_error() -> None:
    scenario = load_scenario(BASIC, overrides=["steps=10"])
    with Anvil() as node:

        def stop_after_three(done: int, total: int) -> None:
            if done == 3:
                node.stop()

        with pytest.raises(NodeUnavailable) as caught:
            run_scenario(scenario, rpc_url=node.url, progress=stop_after_three)
    assert node.url in str(caught.value)


def test_the_cli_reports_an_unreachable_node_in_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Anvil() as node:
        url = node.url  # a port that was just free, now closed again
    out = tmp_path / "out"
    assert main(["run", str(BASIC), "--rpc-url", url, "--no-progress", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("defi-int: ") and url in err and err.count("\n") == 1
    assert not out.exists()
