"""Risk: hedging past the soft limit, and toxicity from the markout history."""

from __future__ import annotations

from defi_int.keeper.risk import MarkoutBook, hedge_order
from defi_int.market.amm import Pool
from defi_int.types import ONE

MARK = 2_000 * ONE
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


def test_a_trader_who_is_right_after_the_horizon_becomes_toxic() -> None:
    book = MarkoutBook(horizon=2, threshold_bps=5.0, min_fills=3)
    trader = "0x" + "ab" * 20
    for step in range(3):
        book.record(step, trader, 0, True, ONE, MARK)  # the trader buys from the desk at 2000
    book.observe(1, {0: MARK * 101 // 100})
    assert book.markout(trader) == (0.0, 0)  # nothing is two steps old yet
    book.observe(2, {0: MARK * 101 // 100})
    book.observe(4, {0: MARK * 101 // 100})
    mean, fills = book.markout(trader)
    assert fills == 3 and round(mean, 6) == -100.0  # the desk sold 1% too cheap
    assert book.is_toxic(trader)


def test_a_trader_the_desk_profits_from_is_not_toxic() -> None:
    book = MarkoutBook(horizon=1, threshold_bps=5.0, min_fills=1)
    trader = "0x" + "cd" * 20
    book.record(0, trader, 0, False, ONE, MARK)  # the trader sells to the desk at 2000
    book.observe(1, {0: MARK * 101 // 100})
    assert book.markout(trader)[0] > 0
    assert not book.is_toxic(trader)


def test_too_few_fills_never_make_a_trader_toxic() -> None:
    book = MarkoutBook(horizon=1, threshold_bps=5.0, min_fills=5)
    trader = "0x" + "ef" * 20
    book.record(0, trader, 0, True, ONE, MARK)
    book.observe(1, {0: MARK * 2})
    assert not book.is_toxic(trader)
