"""The chain layer: the only part of defi-int that imports web3.

- ``backend.Chain``      — embedded eth-tester/py-evm or a JSON-RPC node; explicit gas; snapshots.
- ``deploy.deploy_system`` — deploys and wires the five contracts into a ``System``.
- ``errors``             — revert data to ``ContractRevert`` by custom error name.
- ``multiread``          — many view calls in one ``eth_call`` (``BatchRead``, never deployed).
- ``views``              — the chain read into plain snapshots, one batched read each.
- ``artifacts``          — the compiled contracts shipped in the package.
"""

from defi_int.chain.backend import Chain
from defi_int.chain.deploy import MarketParams, System, SystemParams, deploy_system

__all__ = ["Chain", "MarketParams", "System", "SystemParams", "deploy_system"]
