"""The funding index of a market: it grows by premium x dt / period, the premium being sampled at
every touch and clamped to capBps of the oracle price; zero while funding is off, the oracle stale
or the market without a pool. Here the premium is measured at the AMM's mid (the AMM mid less the
oracle price); ``test_funding_premium`` measures it at impact prices. The Python mirror
(``defi_int.market.funding.Funding``) computes the same index to the unit."""

import pytest

from defi_int.market.amm import Pool
from defi_int.market.funding import Funding
from defi_int.types import ONE

HOUR = 3_600
SCALE = 10**30


@pytest.fixture(autouse=True)
def premium_at_the_mid(defi_system):
    """These tests measure the premium at the AMM's mid (an impact notional of 0), so the index's
    arithmetic reads in round numbers; ``test_funding_premium`` measures it at impact prices."""
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.setFundingImpact(0, 0), gas=150_000)


def _state(s, market=0):
    period, cap, unit = s.chain.call(s.vault.functions.fundingParams(market))
    index, premium, updated_at = s.chain.call(s.vault.functions.fundingState(market))
    return Funding(period, cap, unit, index, premium, updated_at)


def _pool(s, market=0):
    return Pool(*s.chain.call(s.amm.functions.pool(market)))


def test_enabling_funding_fixes_the_unit_at_a_millionth_of_the_price_and_emits_its_parameters(defi_system, events):
    s = defi_system
    receipt = s.set_funding(0, HOUR, 500)
    assert s.chain.call(s.vault.functions.fundingParams(0)) == [HOUR, 500, 2_000 * ONE // 10**6]
    assert events(s.vault, receipt, "FundingParamsSet") == [
        {"market": 0, "period": HOUR, "capBps": 500, "unit": 2_000 * ONE // 10**6}
    ]


def test_the_unit_stays_when_funding_is_set_again_at_another_price(defi_system):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 3_000 * ONE)
    s.set_funding(0, 8 * HOUR, 100)
    assert s.chain.call(s.vault.functions.fundingParams(0)) == [8 * HOUR, 100, 2_000 * ONE // 10**6]


def test_with_the_amm_at_the_oracle_the_premium_is_zero_and_the_index_does_not_move(defi_system, later):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    later(HOUR)
    s.update_funding(0)
    assert s.chain.call(s.vault.functions.fundingState(0))[:2] == [0, 0]


def test_the_index_grows_by_the_sampled_premium_over_the_period(defi_system, later, events):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 1_990 * ONE + 7)  # the AMM mid (2,000) is ~0.5 % above the oracle
    receipt = s.update_funding(0)
    sampled = _state(s)
    premium = 2_000 * ONE - (1_990 * ONE + 7)
    assert sampled.premium == premium and sampled.index == 0
    assert events(s.vault, receipt, "FundingUpdated") == [{"market": 0, "index": 0, "premium": premium}]

    later(777)
    s.update_funding(0)

    assert _state(s).index == premium * 777 // HOUR
    mirror = Funding(HOUR, 500, sampled.unit, 0, premium, sampled.updated_at)
    mirror.accrue(sampled.updated_at + 777, 1_990 * ONE + 7, _pool(s), SCALE)
    assert _state(s) == mirror


def test_a_premium_beyond_the_cap_is_clamped_to_it_both_ways(defi_system):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 1_500 * ONE)  # the mid is 33 % above
    s.update_funding(0)
    assert _state(s).premium == 1_500 * ONE * 500 // 10_000
    s.set_price(0, 2_500 * ONE)  # 20 % below
    s.update_funding(0)
    assert _state(s).premium == -(2_500 * ONE * 500 // 10_000)


def test_a_falling_index_accrues_negative_funding_rounded_down(defi_system, later):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 2_010 * ONE + 3)
    s.update_funding(0)
    premium = _state(s).premium
    assert premium < 0
    later(1_001)
    s.update_funding(0)
    assert _state(s).index == premium * 1_001 // HOUR  # Python's floor, as the Vault's


def test_a_stale_oracle_samples_a_zero_premium(defi_system, later):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 1_990 * ONE)
    s.update_funding(0)
    _, updated_at = s.chain.call(s.oracle.functions.latest(0))
    when = later(updated_at + s.params.oracle_max_age + 1 - s.chain.timestamp())
    s.update_funding(0)
    state = _state(s)
    # accrued up to the touch at the premium sampled before, then sampled again as zero
    assert state.premium == 0 and state.updated_at == when
    assert state.index == 10 * ONE * (when - updated_at - 1) // HOUR


def test_turning_funding_off_accrues_up_to_now_then_freezes_the_index(defi_system, later):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 1_990 * ONE)
    s.update_funding(0)
    later(600)
    s.set_funding(0, 0, 500)
    frozen = _state(s)
    assert frozen.premium == 0 and frozen.index == 10 * ONE * 600 // HOUR
    later(HOUR)
    s.update_funding(0)
    assert _state(s).index == frozen.index


@pytest.mark.parametrize(("period", "cap"), [(1, 0), (3_599, 0), (30 * 86_400 + 1, 0), (HOUR, 10_001)])
def test_funding_parameters_out_of_range_revert(defi_system, reverts, period, cap):
    with reverts("InvalidFundingParams", period=period, capBps=cap):
        defi_system.chain.transact(
            defi_system.owner, defi_system.vault.functions.setFunding(0, period, cap), gas=200_000
        )


def test_enabling_funding_on_a_market_the_oracle_never_priced_reverts(defi_system, reverts):
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.listMarket(9, ONE), gas=150_000)
    with reverts("FundingUnitUnavailable", market=9, price=0):
        s.chain.transact(s.owner, s.vault.functions.setFunding(9, HOUR, 100), gas=200_000)


def test_anyone_may_bring_the_index_up_to_now(defi_system, stranger):
    s = defi_system
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 1_990 * ONE)
    s.chain.transact(stranger, s.vault.functions.updateFunding(0), gas=200_000)
    assert _state(s).premium == 10 * ONE
