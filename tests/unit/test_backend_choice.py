"""Which chain a run gets: ``--backend``, ``--rpc-url`` or the scenario's ``[chain]``, revm by default.

A combination that cannot be met is bad input: one line, exit 2, before anything starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.chain import BACKENDS, DEFAULT_BACKEND
from defi_int.cli import main
from defi_int.exceptions import ConfigError
from defi_int.sim.runner import open_chain, setup_start
from defi_int.sim.scenario import load_scenario

BASIC = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "basic.toml"


def test_runs_default_to_revm_and_the_scenario_can_name_another_backend() -> None:
    assert (BACKENDS, DEFAULT_BACKEND) == (("revm", "pyevm", "anvil", "rpc"), "revm")
    default = load_scenario(BASIC)
    reference = load_scenario(BASIC, overrides=["chain.backend=pyevm"])

    with open_chain(default) as chain, open_chain(reference) as named, open_chain(default, backend="pyevm") as flag:
        assert (chain.kind, named.kind, flag.kind) == ("revm", "pyevm", "pyevm")
        assert chain.next_timestamp() == setup_start(default)  # in-process chains start at the setup


@pytest.mark.parametrize(
    ("backend", "url", "says"),
    [("revm", "http://127.0.0.1:1", "goes with the rpc backend"), ("rpc", None, "needs a node URL")],
)
def test_a_backend_and_url_that_do_not_go_together_are_refused(backend, url, says) -> None:
    with pytest.raises(ConfigError, match=says):
        open_chain(load_scenario(BASIC), backend=backend, rpc_url=url)


def test_the_cli_refuses_a_node_url_with_an_in_process_backend_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"

    code = main(["run", str(BASIC), "--backend", "revm", "--rpc-url", "http://127.0.0.1:1", "--out", str(out)])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "rpc backend" in err
    assert not out.exists()
