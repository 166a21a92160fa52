"""The Python Pool mirror quotes and trades like PerpAmm, and refuses what AmmMath refuses."""

import pytest

from defi_int.market.amm import AmmMathError, Pool, get_amount_in, get_amount_out

ONE = 10**18


def test_a_pool_quotes_a_buy_with_get_amount_in_and_a_sell_with_get_amount_out():
    pool = Pool(1_000 * ONE, 2_000_000_000_000, 30)
    assert pool.quote_buy(ONE) == get_amount_in(ONE, 2_000_000_000_000, 1_000 * ONE, 30) == 2_008_026_081
    assert pool.quote_sell(ONE) == get_amount_out(ONE, 1_000 * ONE, 2_000_000_000_000, 30) == 1_992_013_962


def test_a_buy_takes_base_out_and_puts_the_quote_in():
    pool = Pool(1_000 * ONE, 2_000_000_000_000, 30)
    assert pool.swap(True, ONE) == 2_008_026_081
    assert (pool.base, pool.quote) == (999 * ONE, 2_002_008_026_081)


def test_a_sell_puts_base_in_and_takes_the_quote_out():
    pool = Pool(1_000 * ONE, 2_000_000_000_000, 30)
    assert pool.swap(False, ONE) == 1_992_013_962
    assert (pool.base, pool.quote) == (1_001 * ONE, 2_000_000_000_000 - 1_992_013_962)


def test_a_failed_swap_leaves_the_pool_unchanged():
    pool = Pool(10, 10, 30)
    with pytest.raises(AmmMathError, match=r"^InsufficientLiquidity$"):
        pool.swap(True, 10)
    assert (pool.base, pool.quote) == (10, 10)


def test_mid_is_quote_over_base_in_1e18_rounded_down():
    assert Pool(3 * ONE, 1_000_000, 30).mid(10**30) == 333_333_333_333_333_333


@pytest.mark.parametrize("fee", [10_000, 20_000])
def test_the_mirror_refuses_a_fee_of_100_percent_or_more_like_amm_math(fee):
    with pytest.raises(AmmMathError):
        get_amount_out(10, 100, 100, fee)
    with pytest.raises(AmmMathError):
        get_amount_in(10, 100, 100, fee)
