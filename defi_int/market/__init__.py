"""The market the desk trades in, without web3.

- ``amm`` and ``ledger``: exact Python mirrors of the on-chain arithmetic (AMM quotes, the Vault
  ledger and its margin rules). The keeper prices and validates with them, and the tests use them
  as the ghost ledger the chain must match to the unit.
- ``paths``: the index price paths a scenario follows (geometric Brownian motion, Merton
  jump-diffusion, replay of a CSV), drawn from the scenario's one random generator.
"""
