"""Every parameter and role setter is owner-only, takes effect at once and emits its event."""

import pytest

from defi_int.types import ONE

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

OWNER_ONLY_CALLS = {
    "listMarket": lambda s, who: s.vault.functions.listMarket(5, ONE),
    "setInventoryCap": lambda s, who: s.vault.functions.setInventoryCap(0, ONE),
    "setMarginRatios": lambda s, who: s.vault.functions.setMarginRatios(2_000, 1_000),
    "setFeeRecipient": lambda s, who: s.vault.functions.setFeeRecipient(who),
    "setOperator": lambda s, who: s.vault.functions.setOperator(who, True),
    "setPaused": lambda s, who: s.vault.functions.setPaused(True),
    "withdrawAmm": lambda s, who: s.vault.functions.withdrawAmm(who, 1),
    "setShares": lambda s, who: s.vault.functions.setShares(who),
    "transferOwnership": lambda s, who: s.vault.functions.transferOwnership(who),
}


@pytest.mark.parametrize("name", sorted(OWNER_ONLY_CALLS))
def test_owner_only_function_called_by_a_stranger_reverts_with_not_owner(defi_system, stranger, reverts, name):
    with reverts("NotOwner", caller=stranger.address):
        defi_system.chain.transact(stranger, OWNER_ONLY_CALLS[name](defi_system, stranger.address), gas=200_000)


@pytest.mark.parametrize("name", ["setOperator", "setPaused", "withdrawAmm"])
def test_the_keeper_is_not_the_owner_either(defi_system, reverts, name):
    keeper = defi_system.keeper
    with reverts("NotOwner", caller=keeper.address):
        defi_system.chain.transact(keeper, OWNER_ONLY_CALLS[name](defi_system, keeper.address), gas=200_000)


def test_list_market_records_the_market_and_its_cap_and_emits_market_listed(defi_system, vault, events):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, vault.functions.listMarket(5, 7 * ONE), gas=150_000)
    assert events(vault, receipt, "MarketListed") == [{"market": 5, "cap": 7 * ONE}]
    assert chain.call(vault.functions.markets()) == [0, 5]
    assert chain.call(vault.functions.inventoryCap(5)) == 7 * ONE


def test_listing_a_market_twice_reverts_with_market_already_listed(defi_system, vault, reverts):
    with reverts("MarketAlreadyListed", market=0):
        defi_system.chain.transact(defi_system.owner, vault.functions.listMarket(0, ONE), gas=150_000)
    assert defi_system.chain.call(vault.functions.inventoryCap(0)) == 100 * ONE


def test_set_inventory_cap_changes_the_cap_and_emits_inventory_cap_set(defi_system, vault, events):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, vault.functions.setInventoryCap(0, 3 * ONE + 1), gas=80_000)
    assert events(vault, receipt, "InventoryCapSet") == [{"market": 0, "cap": 3 * ONE + 1}]
    assert chain.call(vault.functions.inventoryCap(0)) == 3 * ONE + 1


def test_set_inventory_cap_on_an_unlisted_market_reverts_with_market_not_listed(defi_system, vault, reverts):
    with reverts("MarketNotListed", market=9):
        defi_system.chain.transact(defi_system.owner, vault.functions.setInventoryCap(9, ONE), gas=80_000)


@pytest.mark.parametrize(("initial", "maintenance"), [(2_000, 1_000), (10_000, 10_000), (1, 1), (500, 499)])
def test_set_margin_ratios_accepts_any_ordered_pair_and_emits_margin_ratios_set(
    defi_system, vault, events, initial, maintenance
):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, vault.functions.setMarginRatios(initial, maintenance), gas=80_000)
    assert events(vault, receipt, "MarginRatiosSet") == [{"initialBps": initial, "maintenanceBps": maintenance}]
    assert chain.call(vault.functions.initialMarginBps()) == initial
    assert chain.call(vault.functions.maintenanceMarginBps()) == maintenance


@pytest.mark.parametrize(
    ("initial", "maintenance"),
    [(1_000, 0), (1_000, 1_001), (10_001, 500), (10_001, 10_001), (0, 0)],
    ids=["zero-maintenance", "maintenance-above-initial", "initial-above-100pct", "both-above-100pct", "zeros"],
)
def test_set_margin_ratios_out_of_order_reverts_with_invalid_margin_ratios(
    defi_system, vault, reverts, initial, maintenance
):
    chain = defi_system.chain
    with reverts("InvalidMarginRatios", initialBps=initial, maintenanceBps=maintenance):
        chain.transact(defi_system.owner, vault.functions.setMarginRatios(initial, maintenance), gas=80_000)
    assert chain.call(vault.functions.initialMarginBps()) == 1_000
    assert chain.call(vault.functions.maintenanceMarginBps()) == 500


def test_set_fee_recipient_changes_it_and_emits_fee_recipient_set(defi_system, vault, stranger, events):
    chain = defi_system.chain
    assert chain.call(vault.functions.feeRecipient()) == defi_system.fee_recipient
    receipt = chain.transact(defi_system.owner, vault.functions.setFeeRecipient(stranger.address), gas=80_000)
    assert events(vault, receipt, "FeeRecipientSet") == [{"recipient": stranger.address}]
    assert chain.call(vault.functions.feeRecipient()) == stranger.address


def test_set_fee_recipient_to_the_zero_address_reverts_with_zero_address(defi_system, vault, reverts):
    with reverts("ZeroAddress"):
        defi_system.chain.transact(defi_system.owner, vault.functions.setFeeRecipient(ZERO_ADDRESS), gas=80_000)
    assert defi_system.chain.call(vault.functions.feeRecipient()) == defi_system.fee_recipient


def test_set_operator_grants_and_revokes_and_emits_operator_set(defi_system, vault, stranger, events):
    chain, owner = defi_system.chain, defi_system.owner
    receipt = chain.transact(owner, vault.functions.setOperator(stranger.address, True), gas=80_000)
    assert events(vault, receipt, "OperatorSet") == [{"operator": stranger.address, "allowed": True}]
    assert chain.call(vault.functions.isOperator(stranger.address)) is True

    receipt = chain.transact(owner, vault.functions.setOperator(stranger.address, False), gas=80_000)
    assert events(vault, receipt, "OperatorSet") == [{"operator": stranger.address, "allowed": False}]
    assert chain.call(vault.functions.isOperator(stranger.address)) is False


def test_the_deployment_makes_the_settlement_and_the_amm_operators_and_nobody_else(defi_system, vault, stranger):
    chain = defi_system.chain
    assert chain.call(vault.functions.isOperator(defi_system.settlement.address)) is True
    assert chain.call(vault.functions.isOperator(defi_system.amm.address)) is True
    assert chain.call(vault.functions.isOperator(defi_system.keeper.address)) is False
    assert chain.call(vault.functions.isOperator(defi_system.owner.address)) is False
    assert chain.call(vault.functions.isOperator(stranger.address)) is False


def test_the_shares_contract_is_named_once(defi_system, vault, reverts, stranger):
    s = defi_system
    assert s.chain.call(vault.functions.shares()) == s.desk_shares.address
    with reverts("SharesAlreadySet"):
        s.chain.transact(s.owner, vault.functions.setShares(stranger.address), gas=80_000)
