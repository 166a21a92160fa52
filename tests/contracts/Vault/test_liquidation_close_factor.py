"""The close factor (issue 17): a liquidation closes at most what brings the account back to
maintenance plus a buffer at the oracle price after the penalty; all of it when the account's equity
is below ``fullLiquidationBps`` of its maintenance margin (Aave's close factor changes at a health
factor of 0.95) or when less would leave less than the minimum; and a size below the minimum
notional is refused unless it is the whole position. Every close is predicted by the mirror.

The account: 2,000 USD of margin, long 10 base bought at 2,000 from the desk; maintenance 5 %,
penalty 2.5 %; by default the buffer is 1 %, the full liquidation threshold half of maintenance and
the minimum 10 USD (``SystemParams``).
"""

from __future__ import annotations

import pytest

from defi_int.types import ONE

UNIT = 10**6
SIZE = 10 * ONE
SCALE = 10**30


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


@pytest.fixture
def long_10(defi_system, holder, defi_orders):
    s = defi_system
    trader = holder("levered", 2_000 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_000 * UNIT), gas=150_000)
    defi_orders.settle([defi_orders.fill(trader, size=SIZE, internal_price=2_000 * ONE)])
    return trader


def _set_close_factor(s, buffer_bps: int, full_bps: int, minimum: int) -> None:
    s.chain.transact(s.owner, s.vault.functions.setCloseFactor(buffer_bps, full_bps, minimum), gas=100_000)


def test_the_issue_example_closes_three_base_for_seventy_usd_not_ten_for_two_hundred_thirty_five(
    defi_system, long_10, stranger, close_and_match
):
    """At 1,880 the account holds 800 USD of equity against 940 of maintenance: with no buffer, the
    close that restores maintenance after the 2.5 % penalty is 140 / (1,880 x 2.5 %) = 2.98 base,
    and the liquidator's half of its penalty is about 70 USD (before: 10 base, 235 USD)."""
    s = defi_system
    _set_close_factor(s, 0, 5_000, 10 * UNIT)
    s.set_price(0, 1_880 * ONE)

    event = close_and_match(stranger, long_10.address, SIZE)

    closed = _ceil((140 * UNIT + 3) * SCALE * 10_000, 1_880 * ONE * 250)  # 3 units for the roundings
    assert event.size == closed and 2.97 * ONE < closed < 2.99 * ONE
    share = s.chain.call(s.vault.functions.cash(stranger.address))
    assert share == event.penalty // 2 and 69 * UNIT < share < 71 * UNIT
    equity = s.chain.call(s.vault.functions.equity(long_10.address))
    maintenance = s.chain.call(s.vault.functions.marginRequired(long_10.address, 500))
    assert 0 <= equity - maintenance <= 5
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is False


def test_after_the_close_the_account_holds_maintenance_plus_the_buffer(defi_system, long_10, stranger, close_and_match):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    close_and_match(stranger, long_10.address, SIZE)
    equity = s.chain.call(s.vault.functions.equity(long_10.address))
    target = s.chain.call(s.vault.functions.marginRequired(long_10.address, 600))
    assert 0 <= equity - target <= 5


def test_just_above_the_full_liquidation_threshold_the_close_factor_applies(
    defi_system, long_10, stranger, close_and_match
):
    s = defi_system
    _set_close_factor(s, 100, 9_500, 10 * UNIT)
    s.set_price(0, 1_890 * ONE)  # equity 900, above 95 % of maintenance 945 (897.75)
    assert close_and_match(stranger, long_10.address, SIZE).size < SIZE


def test_just_below_the_threshold_the_whole_position_closes(defi_system, long_10, stranger, close_and_match):
    s = defi_system
    _set_close_factor(s, 100, 9_500, 10 * UNIT)
    s.set_price(0, 1_889 * ONE)  # equity 890 < 95 % of maintenance 944.5 (897.275)
    assert close_and_match(stranger, long_10.address, SIZE).size == SIZE


def test_a_remainder_below_the_minimum_closes_the_whole_position(defi_system, long_10, stranger, close_and_match):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    # The close factor asks ~4.98 base here; a minimum of 10,000 USD (~5.3 base) makes the 5.02 base
    # it would leave dust.
    _set_close_factor(s, 100, 5_000, 10_000 * UNIT)
    assert close_and_match(stranger, long_10.address, SIZE).size == SIZE


def test_the_close_factor_never_closes_less_than_the_minimum(defi_system, long_10, stranger, close_and_match):
    s = defi_system
    _set_close_factor(s, 0, 0, 7_520 * UNIT)  # 4 base at 1,880, where the account needs 2.98
    s.set_price(0, 1_880 * ONE)
    with pytest.raises(Exception, match="LiquidationTooSmall"):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, ONE), gas=600_000)
    assert close_and_match(stranger, long_10.address, SIZE).size == 4 * ONE


def test_a_one_wei_liquidation_is_refused(defi_system, long_10, stranger, reverts, predict_refusal):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    least = _ceil(10 * UNIT * SCALE, 1_880 * ONE)
    assert predict_refusal(stranger, long_10.address, 1) == "LiquidationTooSmall"
    with reverts("LiquidationTooSmall", size=1, minimum=least):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, 1), gas=600_000)
    with reverts("LiquidationTooSmall", size=least - 1, minimum=least):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, least - 1), gas=600_000)


def test_a_whole_position_below_the_minimum_may_be_closed(defi_system, holder, defi_orders, stranger, close_and_match):
    s = defi_system
    tiny = holder("tiny", 1 * UNIT)
    s.chain.transact(tiny, s.vault.functions.deposit(1 * UNIT), gas=150_000)
    defi_orders.settle([defi_orders.fill(tiny, size=ONE // 200, internal_price=2_000 * ONE)])  # 10 USD long
    s.set_price(0, 1_800 * ONE)
    assert close_and_match(stranger, tiny.address, ONE // 200).size == ONE // 200


def test_a_penalty_not_below_maintenance_plus_the_buffer_closes_everything(
    defi_system, long_10, stranger, close_and_match
):
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.setLiquidationParams(600, 5_000, 200), gas=100_000)
    s.set_price(0, 1_880 * ONE)
    assert close_and_match(stranger, long_10.address, SIZE).size == SIZE
