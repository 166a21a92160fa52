"""While paused, the vault takes no deposit, pays no withdrawal and books no trade; unpausing restores all."""

import pytest

from defi_int.types import ONE


@pytest.fixture
def paused(defi_system, vault, events):
    receipt = defi_system.chain.transact(defi_system.owner, vault.functions.setPaused(True), gas=60_000)
    assert events(vault, receipt, "PausedSet") == [{"paused": True}]
    assert defi_system.chain.call(vault.functions.paused()) is True


def test_the_vault_starts_unpaused(defi_system, vault):
    assert defi_system.chain.call(vault.functions.paused()) is False


def test_deposit_while_paused_reverts_with_paused(defi_system, vault, holder, paused, reverts):
    alice = holder("alice", 1_000)
    with reverts("Paused"):
        defi_system.chain.transact(alice, vault.functions.deposit(1_000), gas=100_000)
    assert defi_system.chain.call(vault.functions.cash(alice.address)) == 0


def test_deposit_for_while_paused_reverts_with_paused(defi_system, vault, holder, defi_traders, paused, reverts):
    alice = holder("alice", 1_000)
    with reverts("Paused"):
        defi_system.chain.transact(alice, vault.functions.depositFor(defi_traders[0].address, 1_000), gas=100_000)


def test_withdraw_while_paused_reverts_with_paused(defi_system, vault, defi_traders, paused, reverts):
    chain = defi_system.chain
    trader = defi_traders[0]
    cash = chain.call(vault.functions.cash(trader.address))
    with reverts("Paused"):
        chain.transact(trader, vault.functions.withdraw(1), gas=150_000)
    assert chain.call(vault.functions.cash(trader.address)) == cash


def test_a_share_claim_while_paused_reverts_with_paused(defi_system, paused, reverts):
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.setPaused(False), gas=80_000)
    s.chain.transact(s.owner, s.desk_shares.functions.setParams(0, 0, 10_000), gas=100_000)
    request_id, _ = s.request_withdrawal(s.owner, 10**12)
    s.chain.transact(s.owner, s.vault.functions.setPaused(True), gas=80_000)
    with reverts("Paused"):
        s.chain.transact(s.owner, s.desk_shares.functions.claim(request_id), gas=300_000)


def test_a_swap_while_paused_reverts_with_paused(defi_system, defi_traders, paused, reverts):
    with reverts("Paused"):
        defi_system.chain.transact(defi_traders[0], defi_system.amm.functions.swap(0, True, ONE, 10**30), gas=300_000)


def test_unpausing_lets_deposits_and_withdrawals_through_again(
    defi_system, vault, holder, paused, events, assert_cash_backed
):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, vault.functions.setPaused(False), gas=60_000)
    assert events(vault, receipt, "PausedSet") == [{"paused": False}]

    alice = holder("alice", 1_000)
    chain.transact(alice, vault.functions.deposit(1_000), gas=100_000)
    chain.transact(alice, vault.functions.withdraw(400), gas=150_000)
    assert chain.call(vault.functions.cash(alice.address)) == 600
    assert_cash_backed()
