"""Hedging past the soft limit, with a slippage bound."""

from __future__ import annotations

from defi_int.keeper.hedging import hedge_order
from defi_int.market.amm import Pool
from defi_int.types import ONE

POOL = Pool(1_000 * ONE, 2_000_000 * 10**6, 30)


def test_the_desk_does_not_hedge_within_its_soft_limit() -> None:
    assert hedge_order(0, 20 * ONE, 20 * ONE, 5 * ONE, POOL, 100) is None
    assert hedge_order(0, 50 * ONE, None, 5 * ONE, POOL, 100) is None


def test_a_long_desk_sells_back_to_its_target_with_a_slippage_floor() -> None:
    hedge = hedge_order(0, 25 * ONE, 20 * ONE, 5 * ONE, POOL, 100)
    assert hedge is not None
    assert (hedge.is_buy, hedge.size) == (False, 20 * ONE)
    assert hedge.expected_quote == POOL.quote_sell(20 * ONE)
    assert hedge.limit_quote < hedge.expected_quote


def test_a_short_desk_buys_back_with_a_slippage_cap() -> None:
    hedge = hedge_order(0, -25 * ONE, 20 * ONE, 0, POOL, 100)
    assert hedge is not None
    assert (hedge.is_buy, hedge.size) == (True, 25 * ONE)
    assert hedge.limit_quote > hedge.expected_quote == POOL.quote_buy(25 * ONE)
