"""A buy of `size` base costs getAmountIn(size, quote, base, fee) and moves reserves and ledger by exactly that."""

import pytest

from defi_int.market import amm as amm_math
from defi_int.market.amm import Pool
from defi_int.types import ONE


@pytest.mark.parametrize("size", [1, 3 * ONE, ONE // 3, 250 * ONE])
def test_buy_charges_get_amount_in_and_books_it_between_trader_and_amm(
    defi_system, amm, defi_traders, snapshot, events, size
):
    chain, trader = defi_system.chain, defi_traders[0]
    before = snapshot(trader.address)
    base, quote = before["reserves"]
    assert (base, quote) == (1_000 * ONE, 2_000_000_000_000)
    expected = amm_math.get_amount_in(size, quote, base, 30)

    assert chain.call(amm.functions.quoteBuy(0, size)) == expected
    assert chain.call(amm.functions.swap(0, True, size, expected), sender=trader.address) == expected
    receipt = chain.transact(trader, amm.functions.swap(0, True, size, expected), gas=300_000)

    after = snapshot(trader.address)
    assert after["reserves"] == (base - size, quote + expected)
    assert after["trader.position"] == before["trader.position"] + size
    assert after["trader.cash"] == before["trader.cash"] - expected
    assert after["amm.position"] == before["amm.position"] - size
    assert after["amm.cash"] == before["amm.cash"] + expected
    assert after["fees.cash"] == before["fees.cash"]
    assert after["desk.cash"] == before["desk.cash"] and after["desk.position"] == before["desk.position"]
    assert events(amm, receipt, "Swap") == [
        {
            "account": trader.address,
            "market": 0,
            "isBuy": True,
            "size": size,
            "quote": expected,
            "baseReserve": base - size,
            "quoteReserve": quote + expected,
        }
    ]


def test_buy_of_one_base_unit_costs_the_uniswap_price_of_2008_026081_tokens(defi_system, amm, defi_traders):
    # 2e12 * 1e18 * 10000 / ((1000e18 - 1e18) * 9970) + 1, computed by hand: 2_008_026_081
    chain, trader = defi_system.chain, defi_traders[0]
    assert chain.call(amm.functions.quoteBuy(0, ONE)) == 2_008_026_081
    chain.transact(trader, amm.functions.swap(0, True, ONE, 2_008_026_081), gas=300_000)
    assert chain.call(amm.functions.reserves(0)) == [999 * ONE, 2_002_008_026_081]


def test_buying_the_whole_base_reserve_reverts_with_insufficient_liquidity(defi_system, amm, defi_traders, reverts):
    with reverts("InsufficientLiquidity"):
        defi_system.chain.transact(defi_traders[0], amm.functions.swap(0, True, 1_000 * ONE, 2**200), gas=300_000)


def test_a_buy_of_zero_reverts_with_insufficient_amount(defi_system, amm, defi_traders, reverts):
    with reverts("InsufficientAmount"):
        defi_system.chain.transact(defi_traders[0], amm.functions.swap(0, True, 0, 2**200), gas=300_000)


def test_successive_trades_follow_the_python_pool_mirror_to_the_unit(defi_system, amm, defi_traders, snapshot):
    chain = defi_system.chain
    base, quote, fee = chain.call(amm.functions.pool(0))
    mirror = Pool(base, quote, fee)
    trades = [(0, True, 5 * ONE), (1, False, 7 * ONE + 3), (2, True, ONE // 7), (0, False, 2 * ONE), (3, True, 11)]
    for who, is_buy, size in trades:
        trader = defi_traders[who]
        before = snapshot(trader.address)
        paid = mirror.swap(is_buy, size)
        # the limit is exactly the mirror's quote: one unit of rounding difference would revert
        chain.transact(trader, amm.functions.swap(0, is_buy, size, paid), gas=300_000)
        after = snapshot(trader.address)
        assert after["reserves"] == (mirror.base, mirror.quote)
        assert after["trader.cash"] - before["trader.cash"] == (-paid if is_buy else paid)
    net = sum((s if b else -s) for _, b, s in trades)
    assert chain.call(defi_system.vault.functions.position(amm.address, 0)) == -net
