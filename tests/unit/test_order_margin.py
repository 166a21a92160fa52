"""``order_margin``: what intake checks an order against, on the ledger mirror's own rules."""

from __future__ import annotations

from defi_int.market.ledger import Env, Ledger, order_margin
from defi_int.types import ONE

PRICE_SCALE = 10**30  # 6-decimal collateral
PRICE = 2_000 * ONE
ENV = Env(1_000, {0: PRICE})


def ledger(cash: int, position: int = 0) -> Ledger:
    book = Ledger(PRICE_SCALE, 1_000, 500, "desk", "fees", markets=[0], caps={0: 100 * ONE})
    book.cash["trader"] = cash
    book.positions[("trader", 0)] = position
    return book


def test_an_unfunded_account_cannot_carry_a_buy():
    equity, required = order_margin(ledger(0), "trader", 0, True, ONE, 2_010 * ONE, 30, ENV)  # type: ignore[misc]
    assert equity == -6_000_000  # the fee on 2,000 USD at the oracle (marketable: filled there)
    assert required == 200_000_000  # 10% of 2,000 USD
    assert equity < required


def test_a_buy_is_carried_once_the_initial_margin_and_fee_are_deposited():
    state = order_margin(ledger(206_000_000), "trader", 0, True, ONE, 2_010 * ONE, 30, ENV)
    assert state == (200_000_000, 200_000_000)


def test_a_resting_buy_is_judged_at_its_limit_and_a_sell_at_the_better_of_limit_and_oracle():
    equity, _ = order_margin(ledger(0), "trader", 0, True, ONE, 1_900 * ONE, 0, ENV)  # type: ignore[misc]
    assert equity == 100_000_000  # bought 100 USD under the mark
    equity, _ = order_margin(ledger(0), "trader", 0, False, ONE, 2_100 * ONE, 0, ENV)  # type: ignore[misc]
    assert equity == 100_000_000  # sold 100 USD over the mark


def test_an_order_that_only_shrinks_a_position_is_always_carried():
    assert order_margin(ledger(0, position=2 * ONE), "trader", 0, False, ONE, PRICE, 30, ENV) is None


def test_an_account_in_a_market_without_a_fresh_price_is_not_judged():
    assert order_margin(ledger(0), "trader", 0, True, ONE, PRICE, 30, Env(1_000, {})) is None
