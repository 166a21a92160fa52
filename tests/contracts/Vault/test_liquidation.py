"""liquidate(account, market, size): anyone may close an account below maintenance margin. The desk
takes the position at the oracle price as far as its cap allows, the AMM the rest within the
slippage bound; the penalty (capped at what the account has left) is split between the liquidator
and the insurance fund; an account left with no position and negative cash is bad debt, which the
insurance fund pays, going negative if it must. Every case is also predicted by the Python mirror
(``Ledger.liquidate``), to the unit.

The liquidated account: 2,000 USD of margin, long 10 base bought at 2,000 (initial margin 10 %,
exactly met); maintenance margin is 5 %, the penalty 2.5 % of the closed notional, half of it to the
liquidator, and an AMM close may be 2 % from the oracle price (``SystemParams`` defaults).
"""

from __future__ import annotations

from typing import Any

import pytest
from web3.logs import DISCARD

from defi_int.chain.views import account_health, batch_view, liquidation_events, read_ledger
from defi_int.exceptions import ContractRevert
from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND, LedgerViolation, Liquidation
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


def _mirror(s: Any, accounts: list[str]):
    view = batch_view(s, [])
    view.ledger = read_ledger(s, accounts)
    return view


def _predict(s, liquidator: str, account: str, market: int, size: int) -> tuple[Any, Liquidation | str]:
    """The mirror's outcome of the liquidation, sent in the next block."""
    view = _mirror(s, [account, liquidator])
    try:
        return view, view.ledger.liquidate(liquidator, account, market, size, view.env)
    except LedgerViolation as exc:
        return view, exc.error


def _liquidate(s, liquidator, account: str, size: int, market: int = 0):
    view, predicted = _predict(s, liquidator.address, account, market, size)
    _, receipt = s.liquidate(liquidator, account, market, size)
    (args,) = liquidation_events(s, receipt)
    assert isinstance(predicted, Liquidation), predicted
    assert (args.size, args.to_desk, args.to_amm, args.amm_quote, args.mark, args.penalty) == (
        predicted.size,
        predicted.to_desk,
        predicted.to_amm,
        predicted.amm_quote,
        predicted.mark,
        predicted.penalty,
    )
    chain = read_ledger(s, [account, liquidator.address])
    for who in (account, liquidator.address, s.desk, str(s.amm.address), INSURANCE_FUND, FUNDING_POOL):
        assert chain.cash.get(who, 0) == view.ledger.cash.get(who, 0), who
        assert chain.position(who, market) == view.ledger.position(who, market), who
    assert chain.bad_debt == view.ledger.bad_debt
    assert s.chain.call(s.amm.functions.pool(market)) == list(
        (view.pools[market].base, view.pools[market].quote, view.pools[market].fee_bps)
    )
    return args


def test_an_account_at_or_above_maintenance_cannot_be_liquidated(defi_system, long_10, stranger, reverts):
    s = defi_system
    s.set_price(0, 1_900 * ONE)  # equity 1,000 = maintenance 950 ... above
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is False
    with reverts("NotLiquidatable", account=long_10.address, equity=1_000 * UNIT, required=950 * UNIT):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, SIZE), gas=600_000)
    assert _predict(s, stranger.address, long_10.address, 0, SIZE)[1] == "NotLiquidatable"


def test_below_maintenance_the_desk_takes_the_position_at_the_oracle_and_the_penalty_is_split(
    defi_system, long_10, stranger
):
    s = defi_system
    s.set_price(0, 1_880 * ONE)  # equity 800 < maintenance 940
    assert s.chain.call(s.vault.functions.isLiquidatable(long_10.address)) is True

    args = _liquidate(s, stranger, long_10.address, SIZE)

    assert (args.to_desk, args.to_amm, args.penalty) == (SIZE, 0, 470 * UNIT)  # 2.5 % of 18,800
    assert s.chain.call(s.vault.functions.cash(long_10.address)) == 800 * UNIT - 470 * UNIT
    assert s.chain.call(s.vault.functions.cash(stranger.address)) == 235 * UNIT
    assert s.chain.call(s.vault.functions.cash(INSURANCE_FUND)) == 235 * UNIT
    assert s.chain.call(s.vault.functions.inventory(0)) == 0


def test_what_the_desk_cap_does_not_allow_is_closed_on_the_amm(defi_system, holder, stranger):
    s = defi_system
    trader = holder("amm-long", 2_500 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_500 * UNIT), gas=150_000)
    quote = s.chain.call(s.amm.functions.quoteBuy(0, SIZE))
    s.chain.transact(trader, s.amm.functions.swap(0, True, SIZE, quote), gas=300_000)
    s.chain.transact(s.owner, s.vault.functions.setInventoryCap(0, 4 * ONE), gas=80_000)
    s.set_price(0, 1_850 * ONE)

    args = _liquidate(s, stranger, trader.address, SIZE)

    assert (args.to_desk, args.to_amm) == (4 * ONE, 6 * ONE)
    assert s.chain.call(s.vault.functions.inventory(0)) == 4 * ONE
    assert s.chain.call(s.vault.functions.position(trader.address, 0)) == 0


def test_an_amm_close_beyond_the_slippage_bound_reverts(defi_system, holder, defi_traders, stranger, reverts):
    s = defi_system
    trader = holder("short", 2_500 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_500 * UNIT), gas=150_000)
    s.chain.transact(trader, s.amm.functions.swap(0, False, SIZE, 0), gas=300_000)  # short 10 on the AMM
    pump = s.chain.call(s.amm.functions.quoteBuy(0, 100 * ONE))
    s.chain.transact(defi_traders[0], s.amm.functions.swap(0, True, 100 * ONE, pump), gas=300_000)
    s.chain.transact(s.owner, s.vault.functions.setInventoryCap(0, 0), gas=80_000)
    s.set_price(0, 2_150 * ONE)
    assert s.chain.call(s.vault.functions.isLiquidatable(trader.address)) is True
    assert _predict(s, stranger.address, trader.address, 0, SIZE)[1] == "SlippageExceeded"
    limit = -(-(SIZE * 2_150 * ONE * 10_200) // (10**30 * 10_000))

    with pytest.raises(ContractRevert) as caught:
        s.chain.transact(stranger, s.vault.functions.liquidate(trader.address, 0, SIZE), gas=600_000)
    assert caught.value.error_name == "SlippageExceeded"
    assert caught.value.args_by_name["limitQuote"] == limit < caught.value.args_by_name["quote"]


def test_the_penalty_is_capped_at_the_equity_left_after_the_close(defi_system, long_10, stranger):
    s = defi_system
    s.set_price(0, 1_810 * ONE)  # equity 100 after the close, below the 452.5 USD penalty
    args = _liquidate(s, stranger, long_10.address, SIZE)
    assert args.penalty == 100 * UNIT
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


def test_the_mirror_predicts_bad_debt_to_the_unit(defi_system, long_10, stranger):
    s = defi_system
    s.set_price(0, 1_750 * ONE - 12_345)
    _liquidate(s, stranger, long_10.address, SIZE)
    assert s.chain.call(s.vault.functions.badDebt()) > 0


def test_a_partial_liquidation_leaves_the_rest_and_stops_once_above_maintenance(
    defi_system, long_10, stranger, reverts
):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    _liquidate(s, stranger, long_10.address, 3 * ONE)
    assert s.chain.call(s.vault.functions.position(long_10.address, 0)) == 7 * ONE
    if s.chain.call(s.vault.functions.isLiquidatable(long_10.address)):
        _liquidate(s, stranger, long_10.address, 3 * ONE)
    assert s.chain.call(s.vault.functions.position(long_10.address, 0)) in (4 * ONE, 7 * ONE)
    s.set_price(0, 2_100 * ONE)
    with pytest.raises(Exception, match="NotLiquidatable"):
        s.chain.transact(stranger, s.vault.functions.liquidate(long_10.address, 0, ONE), gas=600_000)


def test_a_size_beyond_the_position_closes_the_whole_position(defi_system, long_10, stranger):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    args = _liquidate(s, stranger, long_10.address, 2**200)
    assert args.size == SIZE


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


def test_a_stale_oracle_blocks_a_liquidation(defi_system, long_10, stranger, later, reverts):
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


def test_the_mirror_predicts_a_liquidation_with_funding_to_the_unit(defi_system, long_10, stranger, later):
    s = defi_system
    s.set_funding(0, 3_600, 500)
    s.set_price(0, 1_880 * ONE + 3)
    s.update_funding(0)
    later(3_000)
    s.chain.mine()
    _liquidate(s, stranger, long_10.address, SIZE - 12_345)


def test_the_liquidator_can_withdraw_its_share_and_the_owner_the_insurance_fund(defi_system, long_10, stranger, token):
    s = defi_system
    s.set_price(0, 1_880 * ONE)
    s.liquidate(stranger, long_10.address, 0, SIZE)
    s.chain.transact(stranger, s.vault.functions.withdraw(235 * UNIT), gas=300_000)
    s.chain.transact(s.owner, s.vault.functions.withdrawInsurance(s.owner.address, 235 * UNIT), gas=300_000)
    assert s.chain.call(token.functions.balanceOf(stranger.address)) == 235 * UNIT
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
