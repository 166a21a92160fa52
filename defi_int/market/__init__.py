"""Exact Python mirrors of the on-chain arithmetic: AMM quotes and the vault ledger.

Plain integers, no web3: the keeper prices and validates with them, and the tests use them as the
ghost ledger the chain must match to the unit.
"""
