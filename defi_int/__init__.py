"""defi-int: an internalizing desk for on-chain derivatives, simulated and run against a node.

Layers, from the chain up (all of them build on ``defi_int.params``, where every protocol and keeper
parameter is declared once, and on ``types`` and ``exceptions``):

- ``defi_int.chain``   — the only code that imports web3: backends, deployment, views, revert decoding.
- ``defi_int.orders``  — the signed EIP-712 order, its digest, signing and off-chain validation.
- ``defi_int.market``  — exact mirrors of the AMM and the ledger, and the price paths.
- ``defi_int.keeper``  — pricing, matching, risk (pure) and the keeper bot that settles batches.
- ``defi_int.sim``     — scenarios (TOML), agents and the runner.
- ``defi_int.metrics`` — fills, time series, PnL decomposition, markouts, charts, execution quality and the report.
- ``defi_int.testing`` — the pytest plugin (fixtures ``defi_chain``, ``defi_system``, ...).

For notebooks::

    from defi_int import load_scenario, run_scenario, summarize, sweep, to_frames, write_report

    scenario = load_scenario("scripts/scenarios/basic.toml", overrides=["steps=60"])
    result = run_scenario(scenario)
    summarize(result)["internalization_rate"]
    frames = to_frames(result)  # fills, timeseries, liquidations, summary as pandas DataFrames
    study = sweep("scripts/scenarios/basic.toml", {"keeper.half_spread_bps": [2, 10]}, seeds=2, sets={"steps": 60})
    study.cells  # one row per cell and figure: mean, sd, 95 % CI

``compare``, ``experiment`` (a paper's) and ``toxicity_experiment`` (the desk's decision, issue 14)
run the other studies (``defi_int.research.api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from defi_int.version import __version__ as __version__

__all__ = [
    "compare",
    "experiment",
    "load_scenario",
    "run_scenario",
    "summarize",
    "sweep",
    "to_frames",
    "toxicity_experiment",
    "write_report",
]

if TYPE_CHECKING:
    from defi_int.metrics import summarize, to_frames, write_report
    from defi_int.research.api import compare, experiment, sweep, toxicity_experiment
    from defi_int.sim.runner import run_scenario
    from defi_int.sim.scenario import load_scenario

_LAZY = {
    "load_scenario": "defi_int.sim.scenario",
    "run_scenario": "defi_int.sim.runner",
    "summarize": "defi_int.metrics",
    "write_report": "defi_int.metrics",
    "to_frames": "defi_int.metrics",
    "sweep": "defi_int.research.api",
    "compare": "defi_int.research.api",
    "experiment": "defi_int.research.api",
    "toxicity_experiment": "defi_int.research.api",
}


def __getattr__(name: str) -> Any:
    """Imports the API lazily, so ``import defi_int`` does not load web3, pandas or plotly."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'defi_int' has no attribute {name!r}")
