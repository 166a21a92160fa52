"""A sell of `size` base pays getAmountOut(size, base, quote, fee) and moves reserves and ledger by exactly that."""

import pytest

from defi_int.market import amm as amm_math
from defi_int.types import ONE


@pytest.mark.parametrize("size", [1, 3 * ONE, ONE // 3, 250 * ONE])
def test_sell_pays_get_amount_out_and_books_it_between_trader_and_amm(
    defi_system, amm, defi_traders, snapshot, events, size
):
    chain, trader = defi_system.chain, defi_traders[0]
    before = snapshot(trader.address)
    base, quote = before["reserves"]
    expected = amm_math.get_amount_out(size, base, quote, 30)

    assert chain.call(amm.functions.quoteSell(0, size)) == expected
    assert chain.call(amm.functions.swap(0, False, size, expected), sender=trader.address) == expected
    receipt = chain.transact(trader, amm.functions.swap(0, False, size, expected), gas=300_000)

    after = snapshot(trader.address)
    assert after["reserves"] == (base + size, quote - expected)
    assert after["trader.position"] == before["trader.position"] - size
    assert after["trader.cash"] == before["trader.cash"] + expected
    assert after["amm.position"] == before["amm.position"] + size
    assert after["amm.cash"] == before["amm.cash"] - expected
    assert after["fees.cash"] == before["fees.cash"]
    assert events(amm, receipt, "Swap") == [
        {
            "account": trader.address,
            "market": 0,
            "isBuy": False,
            "size": size,
            "quote": expected,
            "baseReserve": base + size,
            "quoteReserve": quote - expected,
        }
    ]


def test_sell_of_one_base_unit_pays_the_uniswap_price_of_1_992_013_962_tokens(defi_system, amm, defi_traders):
    # 1e18 * 9970 * 2e12 // (1000e18 * 10000 + 1e18 * 9970), computed by hand: 1_992_013_962
    chain, trader = defi_system.chain, defi_traders[0]
    assert chain.call(amm.functions.quoteSell(0, ONE)) == 1_992_013_962
    chain.transact(trader, amm.functions.swap(0, False, ONE, 1_992_013_962), gas=300_000)
    assert chain.call(amm.functions.reserves(0)) == [1_001 * ONE, 2_000_000_000_000 - 1_992_013_962]


def test_a_sell_too_small_to_earn_one_unit_reverts_only_on_the_slippage_limit(defi_system, amm, defi_traders, reverts):
    chain, trader = defi_system.chain, defi_traders[0]
    assert chain.call(amm.functions.quoteSell(0, 1)) == 0
    with reverts("SlippageExceeded", quote=0, limitQuote=1):
        chain.transact(trader, amm.functions.swap(0, False, 1, 1), gas=300_000)


def test_a_sell_of_zero_reverts_with_insufficient_amount(defi_system, amm, defi_traders, reverts):
    with reverts("InsufficientAmount"):
        defi_system.chain.transact(defi_traders[0], amm.functions.swap(0, False, 0, 0), gas=300_000)


def test_a_sell_the_trader_cannot_margin_reverts_with_insufficient_margin(defi_system, amm, account, reverts):
    chain = defi_system.chain
    poor = account("poor")
    defi_system.fund(poor, 10_000_000)  # 10 tokens of margin
    size = ONE // 10  # ~199 tokens short; 10% initial margin needs ~20 tokens
    proceeds = chain.call(amm.functions.quoteSell(0, size))
    liability = -(-size * 2_000 * ONE // 10**30)  # ceil(size * price / priceScale)
    required = -(-size * 2_000 * ONE * 1_000 // (10**30 * 10_000))
    with reverts(
        "InsufficientMargin", account=poor.address, equity=10_000_000 + proceeds - liability, required=required
    ):
        chain.transact(poor, amm.functions.swap(0, False, size, 0), gas=300_000)
