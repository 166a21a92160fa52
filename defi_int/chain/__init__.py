"""The chain layer: the only part of defi-int that imports web3.

- ``backend.Chain``      — one chain on any backend (``BACKENDS``); explicit gas; block times; snapshots.
- ``node``               — the plain ``Node`` interface every backend implements, and its records.
- ``revm``, ``tester``, ``rpc`` — the backends: revm in process (exact mode), eth-tester on
                           py-evm (the reference), any JSON-RPC node; ``anvil`` starts a local one.
- ``provider``           — web3 over an in-process node, so ``Chain.w3`` works on revm too.
- ``transactions``, ``codec`` — signed transactions, calldata and logs without web3 (the hot path).
- ``deploy.deploy_system`` — deploys and wires the five contracts into a ``System``.
- ``errors``             — revert data to ``ContractRevert`` by custom error name.
- ``multiread``          — many view calls in one ``eth_call`` (``BatchRead``, never deployed).
- ``views``              — the chain read into plain snapshots, one batched read each.
- ``artifacts``          — the compiled contracts shipped in the package.

The backend names live here, importable without loading web3 (the scenario loader needs them);
everything else loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: The backends ``--backend`` and a scenario's ``[chain] backend`` take; the first is the default
#: of runs (``revm``: in process, fast, gas equal to ``pyevm``'s). ``rpc`` needs a node URL.
BACKENDS = ("revm", "pyevm", "anvil", "rpc")
DEFAULT_BACKEND = BACKENDS[0]

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Chain", "MarketParams", "System", "SystemParams", "deploy_system"]

if TYPE_CHECKING:
    from defi_int.chain.backend import Chain
    from defi_int.chain.deploy import MarketParams, System, SystemParams, deploy_system

_LAZY = {
    "Chain": "defi_int.chain.backend",
    "MarketParams": "defi_int.chain.deploy",
    "System": "defi_int.chain.deploy",
    "SystemParams": "defi_int.chain.deploy",
    "deploy_system": "defi_int.chain.deploy",
}


def __getattr__(name: str) -> Any:
    """Imports the chain layer on first use, so the backend names above cost no web3 import."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'defi_int.chain' has no attribute {name!r}")
