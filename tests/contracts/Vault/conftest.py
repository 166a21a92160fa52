"""Fixtures for the Vault tests: the vault, the cash-backing invariant (shared helpers in ../conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def vault(defi_system):
    return defi_system.vault


@pytest.fixture
def token(defi_system):
    return defi_system.token


def ledger_accounts(system: Any, from_block: int, to_block: int | str = "latest") -> set[str]:
    """Accounts that received cash in the block range: depositors and every fee recipient named."""
    vault = system.vault
    deposited = vault.events.Deposited.get_logs(from_block=from_block, to_block=to_block)
    named = vault.events.FeeRecipientSet.get_logs(from_block=from_block, to_block=to_block)
    return {log.args.account for log in deposited} | {log.args.recipient for log in named}


#: Accounts holding cash in the deployed state, read once per session (every test starts from it).
_DEPLOYED_ACCOUNTS: dict[tuple[int, int], set[str]] = {}


@pytest.fixture(autouse=True)
def start_block(defi_chain) -> int:
    """The block every test starts from (autouse, so it is read before any fixture mines)."""
    return defi_chain.block_number()


@pytest.fixture
def assert_cash_backed(defi_system, start_block) -> Callable[..., int]:
    """Invariant 1: ``token.balanceOf(vault) == Σ cash`` over every account, to the unit. Returns the balance.

    The accounts are the desk, the AMM, every depositor and every fee recipient ever named (from the
    vault's events), plus ``extra`` for accounts a test credits through ``trade`` alone.
    """
    chain, vault = defi_system.chain, defi_system.vault
    start = start_block
    key = (id(defi_system), start)
    if key not in _DEPLOYED_ACCOUNTS:
        _DEPLOYED_ACCOUNTS[key] = ledger_accounts(defi_system, 0, start)

    def check(*extra: str) -> int:
        accounts = _DEPLOYED_ACCOUNTS[key] | ledger_accounts(defi_system, start + 1)
        accounts |= {defi_system.desk, defi_system.amm.address, *extra}
        reader = defi_system.owner.address  # an explicit sender spares web3 a look-up of every account
        total = sum(chain.call(vault.functions.cash(a), sender=reader) for a in accounts)
        balance = chain.call(defi_system.token.functions.balanceOf(vault.address), sender=reader)
        assert balance == total
        return int(balance)

    return check
