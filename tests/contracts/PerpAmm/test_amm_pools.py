"""Pools open once per market, by the owner, with reserves that fit 112 bits and a fee under 100%."""

import pytest

from defi_int.types import ONE


def test_the_deployed_pool_of_market_zero_sits_at_the_index_price(defi_system, amm):
    chain = defi_system.chain
    assert chain.call(amm.functions.pool(0)) == [1_000 * ONE, 2_000_000_000_000, 30]
    assert chain.call(amm.functions.reserves(0)) == [1_000 * ONE, 2_000_000_000_000]
    assert chain.call(amm.functions.feeBps(0)) == 30


@pytest.mark.parametrize("view", ["quoteBuy", "quoteSell"])
def test_quotes_on_a_market_without_a_pool_revert_with_pool_not_initialized(defi_system, amm, reverts, view):
    with reverts("PoolNotInitialized", market=5):
        defi_system.chain.call(getattr(amm.functions, view)(5, ONE))


@pytest.mark.parametrize("is_buy", [True, False])
def test_a_swap_on_a_market_without_a_pool_reverts_with_pool_not_initialized(
    defi_system, amm, defi_traders, reverts, is_buy
):
    with reverts("PoolNotInitialized", market=5):
        defi_system.chain.transact(defi_traders[0], amm.functions.swap(5, is_buy, ONE, 0 if not is_buy else 2**128))


def test_a_market_without_a_pool_reads_all_zeros(defi_system, amm):
    assert defi_system.chain.call(amm.functions.pool(5)) == [0, 0, 0]


def test_initialize_pool_twice_reverts_with_pool_already_initialized(defi_system, amm, reverts):
    chain = defi_system.chain
    with reverts("PoolAlreadyInitialized", market=0):
        chain.transact(defi_system.owner, amm.functions.initializePool(0, ONE, 1_000_000, 10), gas=100_000)
    assert chain.call(amm.functions.pool(0)) == [1_000 * ONE, 2_000_000_000_000, 30]


def test_initialize_pool_opens_a_new_market_and_emits_pool_initialized(defi_system, amm, events):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, amm.functions.initializePool(5, 40 * ONE, 123_456_789, 5), gas=100_000)
    assert events(amm, receipt, "PoolInitialized") == [
        {"market": 5, "base": 40 * ONE, "quote": 123_456_789, "feeBps": 5}
    ]
    assert chain.call(amm.functions.pool(5)) == [40 * ONE, 123_456_789, 5]


def test_a_pool_on_a_market_the_vault_never_listed_cannot_trade(defi_system, amm, defi_traders, reverts):
    chain = defi_system.chain
    chain.transact(defi_system.owner, amm.functions.initializePool(5, 40 * ONE, 80_000_000_000, 30), gas=100_000)
    with reverts("MarketNotListed", market=5):
        chain.transact(defi_traders[0], amm.functions.swap(5, True, ONE, 2**128), gas=300_000)
    assert chain.call(amm.functions.reserves(5)) == [40 * ONE, 80_000_000_000]


@pytest.mark.parametrize(
    ("base", "quote"),
    [(0, 1), (1, 0), (2**112, 1), (1, 2**112)],
    ids=["zero-base", "zero-quote", "base-over-112-bits", "quote-over-112-bits"],
)
def test_initialize_pool_with_bad_reserves_reverts_with_invalid_reserves(defi_system, amm, reverts, base, quote):
    with reverts("InvalidReserves", base=base, quote=quote):
        defi_system.chain.transact(defi_system.owner, amm.functions.initializePool(5, base, quote, 30), gas=100_000)


def test_initialize_pool_accepts_the_largest_112_bit_reserves(defi_system, amm):
    chain = defi_system.chain
    chain.transact(defi_system.owner, amm.functions.initializePool(5, 2**112 - 1, 2**112 - 1, 0), gas=100_000)
    assert chain.call(amm.functions.pool(5)) == [2**112 - 1, 2**112 - 1, 0]


@pytest.mark.parametrize("fee", [10_000, 65_535, 2**256 - 1])
def test_initialize_pool_with_a_fee_of_100_percent_or_more_reverts_with_fee_too_high(defi_system, amm, reverts, fee):
    with reverts("FeeTooHigh", feeBps=fee):
        defi_system.chain.transact(defi_system.owner, amm.functions.initializePool(5, ONE, ONE, fee), gas=100_000)


def test_initialize_pool_by_a_stranger_reverts_with_not_owner(defi_system, amm, stranger, reverts):
    with reverts("NotOwner", caller=stranger.address):
        defi_system.chain.transact(stranger, amm.functions.initializePool(5, ONE, ONE, 30), gas=100_000)


def test_set_pool_fee_changes_the_fee_and_emits_pool_fee_set(defi_system, amm, events):
    chain = defi_system.chain
    receipt = chain.transact(defi_system.owner, amm.functions.setPoolFee(0, 9_999), gas=60_000)
    assert events(amm, receipt, "PoolFeeSet") == [{"market": 0, "feeBps": 9_999}]
    assert chain.call(amm.functions.pool(0)) == [1_000 * ONE, 2_000_000_000_000, 9_999]


def test_set_pool_fee_on_a_market_without_a_pool_reverts_with_pool_not_initialized(defi_system, amm, reverts):
    with reverts("PoolNotInitialized", market=5):
        defi_system.chain.transact(defi_system.owner, amm.functions.setPoolFee(5, 10), gas=60_000)


def test_set_pool_fee_to_100_percent_reverts_with_fee_too_high(defi_system, amm, reverts):
    with reverts("FeeTooHigh", feeBps=10_000):
        defi_system.chain.transact(defi_system.owner, amm.functions.setPoolFee(0, 10_000), gas=60_000)


def test_set_pool_fee_by_a_stranger_reverts_with_not_owner(defi_system, amm, stranger, reverts):
    with reverts("NotOwner", caller=stranger.address):
        defi_system.chain.transact(stranger, amm.functions.setPoolFee(0, 10), gas=60_000)
