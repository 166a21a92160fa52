"""withdraw pays cash out while cash covers it and initial margin holds after, to the unit."""

import pytest

from defi_int.types import ONE

#: An index price that does not divide evenly, so both margin roundings show.
ODD_PRICE = 2_000_123_456_789_000_000_001


def test_withdraw_pays_the_caller_and_debits_its_cash(defi_system, vault, token, holder, events, assert_cash_backed):
    chain = defi_system.chain
    alice = holder("alice", 1_000_000)
    chain.transact(alice, vault.functions.deposit(1_000_000), gas=100_000)
    vault_balance = assert_cash_backed()

    receipt = chain.transact(alice, vault.functions.withdraw(250_001), gas=150_000)

    assert chain.call(vault.functions.cash(alice.address)) == 749_999
    assert chain.call(token.functions.balanceOf(alice.address)) == 250_001
    assert chain.call(token.functions.balanceOf(vault.address)) == vault_balance - 250_001
    assert events(vault, receipt, "Withdrawn") == [{"account": alice.address, "to": alice.address, "amount": 250_001}]
    assert assert_cash_backed() == vault_balance - 250_001


def test_withdraw_of_all_cash_without_a_position_leaves_zero(
    defi_system, vault, token, defi_traders, assert_cash_backed
):
    chain = defi_system.chain
    trader = defi_traders[2]
    cash = chain.call(vault.functions.cash(trader.address))
    wallet = chain.call(token.functions.balanceOf(trader.address))

    chain.transact(trader, vault.functions.withdraw(cash), gas=150_000)

    assert chain.call(vault.functions.cash(trader.address)) == 0
    assert chain.call(token.functions.balanceOf(trader.address)) == wallet + cash
    assert_cash_backed()


def test_withdraw_beyond_cash_reverts_with_insufficient_cash(
    defi_system, vault, defi_traders, reverts, assert_cash_backed
):
    chain = defi_system.chain
    trader = defi_traders[0]
    cash = chain.call(vault.functions.cash(trader.address))
    with reverts("InsufficientCash", account=trader.address, cash=cash, amount=cash + 1):
        chain.transact(trader, vault.functions.withdraw(cash + 1), gas=150_000)
    assert chain.call(vault.functions.cash(trader.address)) == cash
    assert_cash_backed()


def test_withdraw_by_an_account_without_cash_reverts_with_insufficient_cash(defi_system, vault, stranger, reverts):
    with reverts("InsufficientCash", account=stranger.address, cash=0, amount=1):
        defi_system.chain.transact(stranger, vault.functions.withdraw(1), gas=150_000)


def test_withdraw_of_zero_reverts_with_zero_amount(defi_system, vault, defi_traders, reverts):
    with reverts("ZeroAmount"):
        defi_system.chain.transact(defi_traders[0], vault.functions.withdraw(0), gas=150_000)


def test_withdraw_beyond_the_int128_range_reverts_with_insufficient_cash(defi_system, vault, defi_traders, reverts):
    chain = defi_system.chain
    trader = defi_traders[0]
    cash = chain.call(vault.functions.cash(trader.address))
    with reverts("InsufficientCash", account=trader.address, cash=cash, amount=2**255):
        chain.transact(trader, vault.functions.withdraw(2**255), gas=150_000)


@pytest.fixture
def short_trader(defi_system, defi_traders):
    """A trader short 1 base unit on market 0 (sold to the AMM), with the index at ``ODD_PRICE``."""
    chain = defi_system.chain
    trader = defi_traders[0]
    defi_system.set_price(0, ODD_PRICE)
    chain.transact(trader, defi_system.amm.functions.swap(0, False, ONE, 0), gas=300_000)
    assert chain.call(defi_system.vault.functions.position(trader.address, 0)) == -ONE
    return trader


# A short of 1 base marked at ODD_PRICE, in collateral units (priceScale = 1e30):
SHORT_VALUE = 2_000_123_457  # ceil(1e18 * ODD_PRICE / 1e30): a short's liability rounds up
INITIAL_REQUIRED = 200_012_346  # ceil(1e18 * ODD_PRICE * 1000 / (1e30 * 1e4)): the requirement rounds up


def test_margin_views_mark_an_open_short_against_the_account(defi_system, vault, short_trader):
    chain = defi_system.chain
    cash = chain.call(vault.functions.cash(short_trader.address))
    assert chain.call(vault.functions.equity(short_trader.address)) == cash - SHORT_VALUE
    assert chain.call(vault.functions.marginRequired(short_trader.address, 1_000)) == INITIAL_REQUIRED
    assert chain.call(vault.functions.initialMarginBps()) == 1_000


def test_withdraw_that_leaves_exactly_the_initial_margin_succeeds(defi_system, vault, short_trader, assert_cash_backed):
    chain = defi_system.chain
    cash = chain.call(vault.functions.cash(short_trader.address))
    largest = cash - SHORT_VALUE - INITIAL_REQUIRED

    chain.transact(short_trader, vault.functions.withdraw(largest), gas=200_000)

    assert chain.call(vault.functions.cash(short_trader.address)) == SHORT_VALUE + INITIAL_REQUIRED
    assert chain.call(vault.functions.equity(short_trader.address)) == INITIAL_REQUIRED
    assert_cash_backed()


def test_withdraw_one_unit_past_the_initial_margin_reverts_with_insufficient_margin(
    defi_system, vault, short_trader, reverts, assert_cash_backed
):
    chain = defi_system.chain
    cash = chain.call(vault.functions.cash(short_trader.address))
    largest = cash - SHORT_VALUE - INITIAL_REQUIRED

    with reverts(
        "InsufficientMargin", account=short_trader.address, equity=INITIAL_REQUIRED - 1, required=INITIAL_REQUIRED
    ):
        chain.transact(short_trader, vault.functions.withdraw(largest + 1), gas=200_000)

    assert chain.call(vault.functions.cash(short_trader.address)) == cash
    assert_cash_backed()


def test_withdraw_of_all_cash_while_short_reverts_with_insufficient_margin(defi_system, vault, short_trader, reverts):
    chain = defi_system.chain
    cash = chain.call(vault.functions.cash(short_trader.address))
    with reverts("InsufficientMargin", account=short_trader.address, equity=-SHORT_VALUE, required=INITIAL_REQUIRED):
        chain.transact(short_trader, vault.functions.withdraw(cash), gas=200_000)


def test_withdraw_of_all_cash_while_long_succeeds_when_the_position_covers_the_margin(
    defi_system, vault, defi_traders, assert_cash_backed
):
    chain = defi_system.chain
    trader = defi_traders[1]
    defi_system.set_price(0, ODD_PRICE)
    chain.transact(trader, defi_system.amm.functions.swap(0, True, ONE, 10**30), gas=300_000)
    cash = chain.call(vault.functions.cash(trader.address))
    long_value = 2_000_123_456  # floor(1e18 * ODD_PRICE / 1e30): a long's value rounds down
    assert chain.call(vault.functions.equity(trader.address)) == cash + long_value

    chain.transact(trader, vault.functions.withdraw(cash), gas=200_000)

    assert chain.call(vault.functions.cash(trader.address)) == 0
    assert chain.call(vault.functions.equity(trader.address)) == long_value
    assert chain.call(vault.functions.marginRequired(trader.address, 1_000)) == INITIAL_REQUIRED
    assert_cash_backed()
