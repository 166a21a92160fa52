"""defi-int: an internalizing desk for on-chain derivatives, simulated and run against a node.

Layers, from the chain up:

- ``defi_int.chain``   — the only code that imports web3: backends, deployment, revert decoding.
- ``defi_int.orders``  — the signed EIP-712 order, its digest, signing and off-chain validation.
- ``defi_int.testing`` — the pytest plugin (fixtures ``defi_chain``, ``defi_system``, ...).
"""

__version__ = "0.1.0"
