"""Deposits: collateral goes into the desk's cash for shares priced at the desk's NAV (cash plus
inventory at the oracle less the funding it owes), less a fee that stays in the desk; no deposit
ever lowers the NAV per share. The owner's capital is its first deposit, shares like anyone's."""

from __future__ import annotations

from conftest import UNIT, nav_per_share

from defi_int.market.shares import OFFSET
from defi_int.types import ONE


def test_the_owners_capital_is_its_first_deposit_of_shares(defi_system, shares):
    s = defi_system
    capital = s.params.desk_capital * UNIT
    fee = -(-capital * s.params.share_fee_bps // 10_000)
    assert s.chain.call(s.vault.functions.deskNav()) == capital
    assert s.chain.call(shares.functions.sharesOf(s.owner.address)) == (capital - fee) * OFFSET
    assert s.chain.call(shares.functions.totalShares()) == (capital - fee) * OFFSET


def test_a_deposit_mints_shares_at_the_nav_less_the_fee_and_raises_the_nav_per_share(
    defi_system, shares, depositor, shares_match, events
):
    s = defi_system
    alice = depositor("alice", 10_000)
    nav, total = s.chain.call(s.vault.functions.deskNav()), s.chain.call(shares.functions.totalShares())
    before = nav_per_share(s)

    minted = shares_match("deposit", alice, 10_000 * UNIT)

    fee = 10 * UNIT  # 10 bps
    assert minted == (10_000 * UNIT - fee) * (total + OFFSET) // (nav + 1)
    assert s.chain.call(shares.functions.sharesOf(alice.address)) == minted
    assert s.chain.call(s.vault.functions.deskNav()) == nav + 10_000 * UNIT
    assert nav_per_share(s) >= before
    assert s.chain.call(s.token.functions.balanceOf(alice.address)) == 0


def test_the_nav_counts_the_inventory_at_the_oracle_and_the_funding_owed(defi_system, defi_traders, defi_orders, later):
    s = defi_system
    s.set_funding(0, 3_600, 500)
    s.chain.transact(s.owner, s.vault.functions.setFundingImpact(0, 0), gas=150_000)
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=10 * ONE, internal_price=2_000 * ONE)])
    s.set_price(0, 1_990 * ONE)  # the desk, short 10, marks +100; the AMM 0.5 % above: shorts receive
    s.update_funding(0)
    later(600)
    s.chain.mine()
    cash = s.chain.call(s.vault.functions.cash(s.desk))
    pending = s.chain.call(s.vault.functions.pendingFunding(s.desk, 0))
    assert pending < 0
    assert s.chain.call(s.vault.functions.deskNav()) == cash - 10 * 1_990 * UNIT - pending


def test_depositing_zero_or_too_little_for_a_share_is_refused(defi_system, depositor, shares_match):
    alice = depositor("alice", 1)
    assert shares_match("deposit", alice, 0) == "ZeroAmount"
    assert shares_match("deposit", alice, 1) == "NoShares"  # its fee is all of it


def test_a_deposit_for_another_account_gives_it_the_shares(defi_system, shares, depositor):
    s = defi_system
    alice, bob = depositor("alice", 1_000), depositor("bob", 0)
    s.chain.transact(alice, shares.functions.depositFor(bob.address, 1_000 * UNIT), gas=300_000)
    assert s.chain.call(shares.functions.sharesOf(bob.address)) > 0
    assert s.chain.call(shares.functions.sharesOf(alice.address)) == 0


def test_a_deposit_needs_fresh_oracles_for_the_desks_inventory(
    defi_system, defi_traders, defi_orders, depositor, later, shares_match
):
    s = defi_system
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=ONE)])
    _, updated_at = s.chain.call(s.oracle.functions.latest(0))
    later(updated_at + s.params.oracle_max_age + 1 - s.chain.timestamp())
    assert shares_match("deposit", depositor("alice", 1_000), 1_000 * UNIT) == "StalePrice"


def test_a_deposit_into_a_desk_worth_less_than_nothing_is_refused(defi_system, depositor, drain_all, shares_match):
    drain_all()
    assert shares_match("deposit", depositor("alice", 1_000), 1_000 * UNIT) == "NavNotPositive"
