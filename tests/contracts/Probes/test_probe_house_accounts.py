"""Probe: every account the Vault keeps for itself has a way out and a floor (issue 8: the AMM's
account had neither). Each row names the account, who may pay its cash out, and what bounds it:

- the desk: its shareholders, the owner among them (``DeskShares.claim`` through ``sharePayout``,
  never the owner directly: issue 17); its cap and maintenance margin on any move that grows it;
- the AMM: the owner (``withdrawAmm``); maintenance margin on any move that grows it;
- the insurance fund: the owner (``withdrawInsurance``); it holds no position, and its cash goes
  negative only by paying bad debt, which ``badDebt`` records;
- the funding pool: nobody — its cash is what books owe each other (the state machine checks it
  never falls below zero once every book is settled).

Every way out is held to the trader's rule: cash must cover it, initial margin must hold after."""

import pytest

from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND

UNIT = 10**6


@pytest.mark.parametrize("house", ["amm", "insurance"])
def test_the_owner_pays_a_house_accounts_cash_out_and_no_more_than_it_holds(defi_system, stranger, reverts, house):
    s = defi_system
    address, withdraw = {
        "amm": (str(s.amm.address), s.vault.functions.withdrawAmm),
        "insurance": (INSURANCE_FUND, s.vault.functions.withdrawInsurance),
    }[house]
    if house == "insurance":
        s.deposit_for(INSURANCE_FUND, 1_000 * UNIT)
    cash = s.chain.call(s.vault.functions.cash(address))

    with reverts("InsufficientCash", account=address, cash=cash, amount=cash + 1):
        s.chain.transact(s.owner, withdraw(stranger.address, cash + 1), gas=300_000)
    s.chain.transact(s.owner, withdraw(stranger.address, cash), gas=300_000)

    assert s.chain.call(s.token.functions.balanceOf(stranger.address)) == cash
    assert s.chain.call(s.vault.functions.cash(address)) == 0


def test_the_desks_cash_leaves_only_through_its_shares(defi_system, stranger, reverts):
    s = defi_system
    with reverts("NotShares", caller=s.owner.address):
        s.chain.transact(s.owner, s.vault.functions.sharePayout(s.owner.address, 1), gas=300_000)
    with reverts("NotShares", caller=stranger.address):
        s.chain.transact(stranger, s.vault.functions.sharePayout(stranger.address, 1), gas=300_000)
    assert s.chain.call(s.vault.functions.shares()) == s.desk_shares.address


def test_no_function_pays_the_funding_pool_out(defi_system):
    names = {item["name"] for item in defi_system.vault.abi if item["type"] == "function"}
    withdrawals = {n for n in names if n.startswith("withdraw") or n.endswith("Payout")}
    assert withdrawals == {"withdraw", "withdrawAmm", "withdrawInsurance", "sharePayout"}
    # `withdraw` pays the caller, and no key holds the pool's address (a hash of its name).
    assert FUNDING_POOL not in (defi_system.owner.address, defi_system.keeper.address)
