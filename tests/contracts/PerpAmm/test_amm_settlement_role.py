"""Only the Settlement trades for others through swapFor, and the Settlement is named once, by the owner."""

import pytest

from defi_int.types import ONE

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _swap_for(amm, account):
    return amm.functions.swapFor(account, 0, True, ONE, 2**128, 0)


def test_the_deployment_names_the_settlement(defi_system, amm):
    assert defi_system.chain.call(amm.functions.settlement()) == defi_system.settlement.address


def test_swap_for_by_a_stranger_reverts_with_not_settlement(defi_system, amm, defi_traders, stranger, reverts):
    chain = defi_system.chain
    victim = defi_traders[0].address
    with reverts("NotSettlement", caller=stranger.address):
        chain.transact(stranger, _swap_for(amm, victim), gas=300_000)
    assert chain.call(defi_system.vault.functions.position(victim, 0)) == 0


@pytest.mark.parametrize("who", ["owner", "keeper"])
def test_swap_for_by_the_owner_or_keeper_reverts_with_not_settlement(defi_system, amm, defi_traders, reverts, who):
    caller = getattr(defi_system, who)
    with reverts("NotSettlement", caller=caller.address):
        defi_system.chain.transact(caller, _swap_for(amm, defi_traders[0].address), gas=300_000)


def test_a_trader_cannot_swap_for_itself_through_swap_for(defi_system, amm, defi_traders, reverts):
    trader = defi_traders[0]
    with reverts("NotSettlement", caller=trader.address):
        defi_system.chain.transact(trader, _swap_for(amm, trader.address), gas=300_000)


def test_set_settlement_a_second_time_reverts_with_settlement_already_set(defi_system, amm, stranger, reverts):
    chain = defi_system.chain
    with reverts("SettlementAlreadySet"):
        chain.transact(defi_system.owner, amm.functions.setSettlement(stranger.address), gas=80_000)
    assert chain.call(amm.functions.settlement()) == defi_system.settlement.address


def test_set_settlement_by_a_stranger_reverts_with_not_owner(defi_system, amm, stranger, reverts):
    with reverts("NotOwner", caller=stranger.address):
        defi_system.chain.transact(stranger, amm.functions.setSettlement(stranger.address), gas=80_000)


@pytest.fixture
def fresh_amm(defi_system):
    """A second PerpAmm on the same vault, its Settlement not yet named."""
    return defi_system.chain.deploy(defi_system.owner, "PerpAmm", defi_system.vault.address, defi_system.owner.address)


def test_a_fresh_amm_names_its_settlement_once_and_emits_settlement_set(
    defi_system, fresh_amm, stranger, events, reverts
):
    chain, owner = defi_system.chain, defi_system.owner
    assert chain.call(fresh_amm.functions.settlement()) == ZERO_ADDRESS

    receipt = chain.transact(owner, fresh_amm.functions.setSettlement(stranger.address), gas=80_000)

    assert events(fresh_amm, receipt, "SettlementSet") == [{"settlement": stranger.address}]
    assert chain.call(fresh_amm.functions.settlement()) == stranger.address
    with reverts("SettlementAlreadySet"):
        chain.transact(owner, fresh_amm.functions.setSettlement(owner.address), gas=80_000)


def test_setting_the_zero_address_as_settlement_reverts_with_zero_address(defi_system, fresh_amm, reverts):
    with reverts("ZeroAddress"):
        defi_system.chain.transact(defi_system.owner, fresh_amm.functions.setSettlement(ZERO_ADDRESS), gas=80_000)
    assert defi_system.chain.call(fresh_amm.functions.settlement()) == ZERO_ADDRESS


def test_the_named_settlement_may_swap_for_an_account_with_a_fee_rounded_up(
    defi_system, fresh_amm, stranger, defi_traders, events
):
    chain, vault, trader = defi_system.chain, defi_system.vault, defi_traders[0]
    owner = defi_system.owner
    chain.transact(owner, fresh_amm.functions.setSettlement(stranger.address), gas=80_000)
    chain.transact(owner, fresh_amm.functions.initializePool(0, 1_000 * ONE, 2_000_000_000_000, 30), gas=100_000)
    chain.transact(owner, vault.functions.setOperator(fresh_amm.address, True), gas=80_000)
    # Not the vault's named AMM, so its book is held to margin like any account: give it capital.
    defi_system.deposit_for(fresh_amm.address, 1_000 * 10**6)
    cash = chain.call(vault.functions.cash(trader.address))
    fees = chain.call(vault.functions.cash(defi_system.fee_recipient))

    receipt = chain.transact(
        stranger, fresh_amm.functions.swapFor(trader.address, 0, True, ONE, 2**128, 7), gas=300_000
    )

    quote = 2_008_026_081
    fee = -(-quote * 7 // 10_000)  # ceil(2_008_026_081 * 7 / 10_000) = 1_405_619
    assert fee == 1_405_619
    assert chain.call(vault.functions.cash(trader.address)) == cash - quote - fee
    assert chain.call(vault.functions.cash(defi_system.fee_recipient)) == fees + fee
    assert chain.call(vault.functions.position(trader.address, 0)) == ONE
    assert events(fresh_amm, receipt, "Swap") == [
        {
            "account": trader.address,
            "market": 0,
            "isBuy": True,
            "size": ONE,
            "quote": quote,
            "baseReserve": 999 * ONE,
            "quoteReserve": 2_000_000_000_000 + quote,
        }
    ]
