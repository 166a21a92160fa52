"""defi-int: an internalizing desk for on-chain derivatives, simulated and run against a node.

Layers, from the chain up (all of them build on ``defi_int.params``, where every protocol and keeper
parameter is declared once, and on ``types`` and ``exceptions``):

- ``defi_int.chain``   — the only code that imports web3: backends, deployment, views, revert decoding.
- ``defi_int.orders``  — the signed EIP-712 order, its digest, signing and off-chain validation.
- ``defi_int.market``  — exact mirrors of the AMM and the ledger, and the price paths.
- ``defi_int.keeper``  — pricing, matching, risk (pure) and the keeper bot that settles batches.
- ``defi_int.sim``     — scenarios (TOML), agents and the runner.
- ``defi_int.metrics`` — fills, time series, PnL decomposition, markouts, plots and the report.
- ``defi_int.testing`` — the pytest plugin (fixtures ``defi_chain``, ``defi_system``, ...).

For notebooks::

    from defi_int import load_scenario, run_scenario, summarize, write_report

    scenario = load_scenario("scripts/scenarios/basic.toml", overrides=["steps=60"])
    result = run_scenario(scenario)
    summarize(result)["internalization_rate"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load_scenario", "run_scenario", "summarize", "write_report"]

if TYPE_CHECKING:
    from defi_int.metrics import summarize, write_report
    from defi_int.sim.runner import run_scenario
    from defi_int.sim.scenario import load_scenario

_LAZY = {
    "load_scenario": "defi_int.sim.scenario",
    "run_scenario": "defi_int.sim.runner",
    "summarize": "defi_int.metrics",
    "write_report": "defi_int.metrics",
}


def __getattr__(name: str) -> Any:
    """Imports the API lazily, so ``import defi_int`` does not load web3 and matplotlib."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'defi_int' has no attribute {name!r}")
