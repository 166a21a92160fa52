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


@pytest.fixture
def close_and_match(defi_system) -> Callable[..., Any]:
    """``close_and_match(liquidator, account, size, market=0)``: the mirror (``Ledger.liquidate`` on
    a ``batch_view`` of the chain) predicts the liquidation sent in the next block; the chain must do
    exactly that (the ``Liquidated`` event, every book touched, the bad debt, the pool). Returns the
    chain's ``LiquidationEvent``."""
    from defi_int.chain.views import batch_view, liquidation_events, read_ledger
    from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND, LedgerViolation, Liquidation

    s = defi_system

    def close(liquidator: Any, account: str, size: int, market: int = 0) -> Any:
        view = batch_view(s, [])
        view.ledger = read_ledger(s, [account, liquidator.address])
        try:
            predicted: Liquidation | str = view.ledger.liquidate(liquidator.address, account, market, size, view.env)
        except LedgerViolation as exc:
            predicted = exc.error
        _, receipt = s.liquidate(liquidator, account, market, size)
        (event,) = liquidation_events(s, receipt)
        assert isinstance(predicted, Liquidation), predicted
        got = (event.size, event.to_desk, event.to_amm, event.amm_quote, event.mark, event.penalty, event.bad_debt)
        assert got == (
            predicted.size,
            predicted.to_desk,
            predicted.to_amm,
            predicted.amm_quote,
            predicted.mark,
            predicted.penalty,
            predicted.bad_debt,
        )
        chain = read_ledger(s, [account, liquidator.address])
        for who in (account, liquidator.address, s.desk, str(s.amm.address), INSURANCE_FUND, FUNDING_POOL):
            assert chain.cash.get(who, 0) == view.ledger.cash.get(who, 0), who
            assert chain.position(who, market) == view.ledger.position(who, market), who
        assert chain.bad_debt == view.ledger.bad_debt
        assert chain.funding[market] == view.ledger.funding[market]
        pool = view.pools[market]
        assert s.chain.call(s.amm.functions.pool(market)) == [pool.base, pool.quote, pool.fee_bps]
        return event

    return close


@pytest.fixture
def predict_refusal(defi_system) -> Callable[..., str | None]:
    """``predict_refusal(liquidator, account, size, market=0)``: the custom error the mirror says the
    liquidation sent in the next block reverts with (None: it goes through)."""
    from defi_int.chain.views import batch_view, read_ledger
    from defi_int.market.ledger import LedgerViolation

    s = defi_system

    def predict(liquidator: Any, account: str, size: int, market: int = 0) -> str | None:
        view = batch_view(s, [])
        view.ledger = read_ledger(s, [account, liquidator.address])
        try:
            view.ledger.liquidate(liquidator.address, account, market, size, view.env)
        except LedgerViolation as exc:
            return exc.error
        return None

    return predict
