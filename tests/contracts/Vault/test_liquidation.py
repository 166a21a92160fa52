"""liquidate(account, market, size): anyone may close an account below maintenance margin, as far as
the close factor allows (``test_liquidation_close_factor``) and the desk and the AMM can take
(``test_liquidation_venues``); the penalty (capped at what the account has left) is split between
the liquidator and the insurance fund; an account left with no position and negative cash is bad
debt, which the insurance fund pays, going negative if it must. Every case is also predicted by the
Python mirror (``Ledger.liquidate``), to the unit.

The liquidated account: 2,000 USD of margin, long 10 base bought at 2,000 from the desk (initial
margin 10 %, exactly met); maintenance margin is 5 %, the penalty 2.5 % of the closed notional, half
of it to the liquidator, an AMM close may be 2 % from the oracle price, and the close factor
restores maintenance plus 1 % and closes everything below half of maintenance (``SystemParams``
defaults).
"""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from defi_int.chain.views import account_health, liquidation_events
from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND
from defi_int.types import ONE

UNIT = 10**6
SIZE = 10 * ONE


@pytest.fixture
def long_10(defi_system, holder, defi_orders):
    """An account long 10 base at 2,000 with exactly the initial margin, the desk on the other side."""
    s = defi_system
    trader = holder("levered", 2_000 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_000 * UNIT), gas=150_000)
    defi_orders.settle([defi_orders.fill(trader, size=SIZE, internal_price=2_000 * ONE)])
    return trader


def test_an_account_at_or_above_maintenance_cannot_be_liquidated(
    defi_system, long_10, stranger, reverts, predict_refusal
):
    s = defi_system
    s.set_price(0, 1_900 * ONE)  # equity 1,000 = maintenance 950 ... above
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is False
    assert predict_refusal(stranger, long_10.address, SIZE) == "NotLiquidatable"
    with reverts("NotLiquidatable", account=long_10.address, equity=1_000 * UNIT, required=950 * UNIT):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, SIZE), gas=600_000)


def test_below_maintenance_the_desk_takes_what_the_close_factor_allows_and_the_penalty_is_split(
    defi_system, long_10, stranger, close_and_match
):
    s = defi_system
    s.set_price(0, 1_880 * ONE)  # equity 800 < maintenance 940
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is True

    args = close_and_match(stranger, long_10.address, SIZE)

    # back to 6 % of the notional after a 2.5 % penalty: (0.06 x 18,800 - 800) / (1,880 x 3.5 %) base,
    # three units of collateral more for the roundings
    closed = -(-((1_128 - 800) * UNIT + 3) * 10**30 * 10_000 // (1_880 * ONE * 350))
    penalty = -(-closed * 1_880 * 250 // (10**30 * 10_000 // 10**18))
    assert (args.size, args.to_desk, args.to_amm, args.penalty) == (closed, closed, 0, penalty)
    assert s.chain.call(s.vault.functions.cash(stranger.address)) == penalty // 2
    assert s.chain.call(s.vault.functions.cash(INSURANCE_FUND)) == penalty - penalty // 2
    assert s.chain.call(s.vault.functions.inventory(0)) == -(SIZE - closed)
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is False


def test_the_penalty_is_capped_at_the_equity_left_after_the_close(defi_system, long_10, stranger, close_and_match):
    s = defi_system
    s.set_price(0, 1_810 * ONE)  # equity 100, far below maintenance: the whole position, penalty 452.5 > 100
    args = close_and_match(stranger, long_10.address, SIZE)
    assert (args.size, args.penalty) == (SIZE, 100 * UNIT)
    assert s.chain.call(s.vault.functions.cash(long_10.address)) == 0


def test_an_account_left_underwater_is_bad_debt_the_insurance_fund_pays(defi_system, long_10, stranger, events):
    s = defi_system
    s.deposit_for(INSURANCE_FUND, 300 * UNIT)
    s.set_price(0, 1_750 * ONE)  # equity -500
    _, receipt = s.liquidate(stranger, long_10.address, 0, SIZE)
    assert events(s.vault, receipt, "BadDebtRealized") == [
        {"account": long_10.address, "amount": 500 * UNIT, "uncovered": 200 * UNIT}
    ]
    assert s.chain.call(s.vault.functions.cash(long_10.address)) == 0
    assert s.chain.call(s.vault.functions.cash(INSURANCE_FUND)) == -200 * UNIT
    assert s.chain.call(s.vault.functions.badDebt()) == 500 * UNIT
    assert s.chain.call(s.vault.functions.cash(stranger.address)) == 0  # no penalty from an empty account


def test_the_mirror_predicts_bad_debt_to_the_unit(defi_system, long_10, stranger, close_and_match):
    s = defi_system
    s.set_price(0, 1_750 * ONE - 12_345)
    assert close_and_match(stranger, long_10.address, SIZE).bad_debt > 0


def test_a_liquidation_smaller_than_the_close_factor_allows_closes_what_was_asked(
    defi_system, long_10, stranger, close_and_match
):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    close_and_match(stranger, long_10.address, 2 * ONE)
    assert s.chain.call(s.vault.functions.position(long_10.address, 0)) == 8 * ONE
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is True
    close_and_match(stranger, long_10.address, SIZE)  # the rest of what the close factor allows
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is False
    s.set_price(0, 2_100 * ONE)
    with pytest.raises(Exception, match="NotLiquidatable"):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, ONE), gas=600_000)


def test_a_size_beyond_the_position_closes_what_the_close_factor_allows(
    defi_system, long_10, stranger, close_and_match
):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    assert 0 < close_and_match(stranger, long_10.address, 2**200).size < SIZE


def test_a_size_beyond_the_position_of_an_account_without_equity_closes_all_of_it(
    defi_system, long_10, stranger, close_and_match
):
    s = defi_system
    s.set_price(0, 1_800 * ONE)  # equity 0
    assert close_and_match(stranger, long_10.address, 2**200).size == SIZE


@pytest.mark.parametrize("who", ["desk", "amm", "insurance", "pool"])
def test_house_accounts_cannot_be_liquidated(defi_system, stranger, reverts, who):
    s = defi_system
    account = {"desk": s.desk, "amm": str(s.amm.address), "insurance": INSURANCE_FUND, "pool": FUNDING_POOL}[who]
    with reverts("CannotLiquidate", account=account):
        s.chain.transact(stranger, s.vault.functions.liquidate(account, 0, ONE), gas=600_000)


def test_liquidating_zero_or_a_market_without_a_position_reverts(defi_system, long_10, stranger, market_b, reverts):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    with reverts("ZeroAmount"):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, 0), gas=600_000)
    with reverts("NoPosition", account=long_10.address, market=market_b):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, market_b, ONE), gas=600_000)


def test_a_stale_oracle_blocks_a_liquidation(defi_system, long_10, stranger, later):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    _, updated_at = s.chain.call(s.oracle.functions.latest(0))
    later(updated_at + s.params.oracle_max_age + 1 - s.chain.timestamp())
    with pytest.raises(Exception, match="StalePrice"):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, SIZE), gas=600_000)


def test_a_liquidation_settles_the_accounts_funding_first(defi_system, long_10, stranger, later):
    s = defi_system
    s.set_funding(0, 3_600, 500)
    s.set_price(0, 1_880 * ONE)  # the AMM (2,000) is far above: longs pay
    s.update_funding(0)
    later(3_000)
    _, receipt = s.liquidate(stranger, long_10.address, 0, SIZE)
    settled = s.vault.events.FundingSettled().process_receipt(receipt, errors=DISCARD)
    accounts = {int.from_bytes(w, "big") & (2**160 - 1) for log in settled for w in log.args.charges}
    assert int(long_10.address, 16) in accounts


def test_the_mirror_predicts_a_liquidation_with_funding_to_the_unit(
    defi_system, long_10, stranger, later, close_and_match
):
    s = defi_system
    s.set_funding(0, 3_600, 500)
    s.set_price(0, 1_880 * ONE + 3)
    s.update_funding(0)
    later(3_000)
    s.chain.mine()
    close_and_match(stranger, long_10.address, SIZE - 12_345)


def test_the_liquidator_can_withdraw_its_share_and_the_owner_the_insurance_fund(defi_system, long_10, stranger, token):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    s.liquidate(stranger, long_10.address, 0, SIZE)
    share = s.chain.call(s.vault.functions.cash(stranger.address))
    fund = s.chain.call(s.vault.functions.cash(INSURANCE_FUND))
    assert share > 0 and fund > 0
    s.chain.transact(stranger, s.vault.functions.withdraw(share), gas=300_000)
    s.chain.transact(s.owner, s.vault.functions.withdrawInsurance(s.owner.address, fund), gas=300_000)
    assert s.chain.call(token.functions.balanceOf(stranger.address)) == share
    assert s.chain.call(s.vault.functions.cash(INSURANCE_FUND)) == 0


def test_account_health_finds_the_liquidatable_account_as_the_vault_does(defi_system, long_10, defi_traders):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    health = account_health(s, [long_10.address, defi_traders[0].address])
    assert health[long_10.address].liquidatable is True
    assert health[defi_traders[0].address].liquidatable is False
    assert health[long_10.address].equity == s.chain.call(s.vault.functions.equity(long_10.address))
    assert health[long_10.address].maintenance == s.chain.call(s.vault.functions.marginRequired(long_10.address, 500))


def test_liquidation_events_carry_the_close_and_the_bad_debt(defi_system, long_10, stranger):
    s = defi_system
    s.set_price(0, 1_750 * ONE)
    _, receipt = s.liquidate(stranger, long_10.address, 0, SIZE)
    (event,) = liquidation_events(s, receipt)
    assert (event.account, event.liquidator, event.size, event.to_desk, event.penalty) == (
        long_10.address,
        stranger.address,
        SIZE,
        SIZE,
        0,
    )
    assert (event.bad_debt, event.uncovered) == (500 * UNIT, 500 * UNIT)
