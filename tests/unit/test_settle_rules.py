"""The settle rules (``orders/rules.py``): the bounds the planner prices by are exactly the checks the
validator and the contract apply, with the contract's rounding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from defi_int.market.amm import Pool
from defi_int.market.ledger import notional
from defi_int.orders.rules import (
    amm_reference,
    amm_within_limit,
    average_price,
    beats_amm,
    best_execution_bound,
    within_band,
)
from defi_int.types import ONE

SCALE = 10**30


@given(
    trader_buys=st.booleans(),
    size=st.integers(1, 10**24),
    reference=st.integers(1, 10**15),
)
def test_the_best_execution_bound_is_the_worst_price_that_still_beats_the_amm(
    trader_buys: bool, size: int, reference: int
) -> None:
    bound = best_execution_bound(trader_buys, size, reference, SCALE)
    assert beats_amm(trader_buys, notional(size, bound, SCALE, is_buy=trader_buys), reference)
    worse = bound + 1 if trader_buys else bound - 1
    if worse >= 0:
        assert not beats_amm(trader_buys, notional(size, worse, SCALE, is_buy=trader_buys), reference)


@given(
    trader_buys=st.booleans(),
    size=st.integers(1, 10**24),
    quote=st.integers(1, 10**15),
    limit=st.integers(1, 10**24),
)
def test_the_amm_limit_is_the_average_price_rounded_against_the_trader(
    trader_buys: bool, size: int, quote: int, limit: int
) -> None:
    price = average_price(quote, size, SCALE, is_buy=trader_buys)
    within = price <= limit if trader_buys else price >= limit
    assert amm_within_limit(trader_buys, size, quote, limit, SCALE) == within


def test_the_band_is_inclusive_at_both_ends() -> None:
    mark = 2_000 * ONE
    width = mark * 100 // 10_000
    assert within_band(mark + width, mark, 100) and within_band(mark - width, mark, 100)
    assert not within_band(mark + width + 1, mark, 100) and not within_band(mark - width - 1, mark, 100)


def test_best_execution_is_not_compared_where_the_contract_does_not_compare() -> None:
    pool = Pool(1_000 * ONE, 2_000_000 * 10**6, 30)
    assert amm_reference(None, True, ONE) is None
    assert amm_reference(Pool(0, 0, 30), False, ONE) is None
    assert amm_reference(pool, True, 1_000 * ONE) is None  # a buy of the whole reserve cannot be quoted
    assert amm_reference(pool, True, ONE) == pool.quote_buy(ONE)
    assert amm_reference(pool, False, 5_000 * ONE) == pool.quote_sell(5_000 * ONE)
    assert beats_amm(True, 10**30, None)
