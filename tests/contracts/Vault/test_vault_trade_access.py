"""Only operators move the ledger through trade(); what they book moves cash and positions exactly."""

import pytest

from defi_int.types import ONE


def _trade(system, account, counterparty, base=ONE, quote=-2_000_000_000, fee=1_000, market=0):
    return system.vault.functions.trade(account, counterparty, market, base, quote, fee)


def test_trade_by_a_random_caller_reverts_with_not_operator(defi_system, defi_traders, stranger, reverts):
    a, b = defi_traders[0].address, defi_traders[1].address
    with reverts("NotOperator", caller=stranger.address):
        defi_system.chain.transact(stranger, _trade(defi_system, a, b), gas=300_000)
    assert defi_system.chain.call(defi_system.vault.functions.position(a, 0)) == 0


@pytest.mark.parametrize("who", ["owner", "keeper"])
def test_neither_the_owner_nor_the_keeper_is_an_operator(defi_system, defi_traders, reverts, who):
    caller = getattr(defi_system, who)
    a, b = defi_traders[0].address, defi_traders[1].address
    with reverts("NotOperator", caller=caller.address):
        defi_system.chain.transact(caller, _trade(defi_system, a, b), gas=300_000)


def test_a_trader_cannot_book_a_trade_for_itself(defi_system, defi_traders, reverts):
    trader = defi_traders[0]
    with reverts("NotOperator", caller=trader.address):
        defi_system.chain.transact(trader, _trade(defi_system, trader.address, defi_system.desk), gas=300_000)


@pytest.fixture
def operator(defi_system, stranger):
    defi_system.chain.transact(defi_system.owner, defi_system.vault.functions.setOperator(stranger.address, True))
    return stranger


def test_an_operators_trade_moves_cash_positions_and_the_fee_exactly(
    defi_system, vault, defi_traders, operator, assert_cash_backed
):
    chain = defi_system.chain
    a, b, fees = defi_traders[0].address, defi_traders[1].address, defi_system.fee_recipient
    cash = {x: chain.call(vault.functions.cash(x)) for x in (a, b, fees)}
    backed = assert_cash_backed()

    chain.transact(operator, _trade(defi_system, a, b, base=ONE, quote=-2_000_000_000, fee=1_000), gas=300_000)

    assert chain.call(vault.functions.cash(a)) == cash[a] - 2_000_000_000 - 1_000
    assert chain.call(vault.functions.cash(b)) == cash[b] + 2_000_000_000
    assert chain.call(vault.functions.cash(fees)) == cash[fees] + 1_000
    assert chain.call(vault.functions.position(a, 0)) == ONE
    assert chain.call(vault.functions.position(b, 0)) == -ONE
    assert assert_cash_backed() == backed


def test_a_revoked_operator_can_no_longer_trade(defi_system, vault, defi_traders, operator, reverts):
    chain = defi_system.chain
    chain.transact(defi_system.owner, vault.functions.setOperator(operator.address, False))
    a, b = defi_traders[0].address, defi_traders[1].address
    with reverts("NotOperator", caller=operator.address):
        chain.transact(operator, _trade(defi_system, a, b), gas=300_000)


def test_an_operators_trade_on_an_unlisted_market_reverts_with_market_not_listed(
    defi_system, defi_traders, operator, reverts
):
    a, b = defi_traders[0].address, defi_traders[1].address
    with reverts("MarketNotListed", market=9):
        defi_system.chain.transact(operator, _trade(defi_system, a, b, market=9), gas=300_000)


def test_an_operators_trade_that_breaks_the_desk_cap_reverts_with_inventory_cap_exceeded(
    defi_system, defi_traders, operator, reverts
):
    a = defi_traders[0].address
    cap = defi_system.chain.call(defi_system.vault.functions.inventoryCap(0))
    with reverts("InventoryCapExceeded", market=0, inventory=-(cap + 1), cap=cap):
        defi_system.chain.transact(
            operator, _trade(defi_system, a, defi_system.desk, base=cap + 1, quote=-1, fee=0), gas=300_000
        )
