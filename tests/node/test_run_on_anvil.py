"""``--backend anvil`` and ``--rpc-url``: a run on anvil fills and costs exactly as in process.

The anvil the package starts shares the in-process backends' chain id, so orders sign to the same
bytes and every settle costs the same gas on all three backends (gas per fill is a headline figure
of summary.json). A node that goes away is named in one line, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from defi_int import load_scenario, run_scenario, summarize
from defi_int.chain.anvil import Anvil
from defi_int.cli import main
from defi_int.exceptions import NodeUnavailable
from defi_int.metrics.records import RunResult

pytestmark = pytest.mark.node

BASIC = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "basic.toml"


def trades(result: RunResult) -> list[tuple[int, str, bool, str, int, int, int]]:
    return [(f.step, f.trader, f.is_buy, f.venue, f.size, f.price, f.gas) for f in result.fills]


def test_a_run_on_the_packages_anvil_fills_and_costs_exactly_as_on_revm_and_py_evm() -> None:
    scenario = load_scenario(BASIC, overrides=["steps=50"])

    runs = {backend: run_scenario(scenario, backend=backend) for backend in ("revm", "pyevm", "anvil")}

    assert runs["anvil"].backend == "anvil"
    assert len(runs["revm"].fills) > 50
    assert trades(runs["anvil"]) == trades(runs["revm"]) == trades(runs["pyevm"])
    summaries = [summarize(run) for run in runs.values()]
    assert len({(s["gas_per_fill"], s["orders_filled"]) for s in summaries}) == 1
    assert all(runs["anvil"].invariants.values())


def test_the_cli_starts_an_anvil_for_the_run_and_stops_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Anvil] = []
    start = Anvil.start

    def recording_start(node: Anvil) -> Anvil:
        started.append(node)
        return start(node)

    monkeypatch.setattr(Anvil, "start", recording_start)
    out = tmp_path / "out"

    assert main(["run", str(BASIC), "--backend", "anvil", "--set", "steps=5", "--no-progress", "--out", str(out)]) == 0

    assert (out / "fills.csv").exists() and len(started) == 1
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(started[0].url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=2)


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
