"""The funding premium is measured at the AMM's impact prices (issue 17): the pool's average price
for selling and for buying the market's impact notional (20,000 USD here, about 1 % of the pool's
depth), against the oracle, zero while the oracle sits between them. A trade smaller than that
cannot move it; a pool held further away still pays its distance beyond them, clamped to the cap.

The issue's attack, replayed: a trader short 50 base (the desk long the other side) pushes the pool
up about 1 % with a 5-base buy, waits three quiet hours, trades back. Measured at the mid it netted
about +277 USD after the AMM's fees and the desk paid it; at impact prices it loses money, at the
trade-back and one funding period later. Every premium the Vault samples equals the mirror's
(``defi_int.market.funding.impact_premium``), to the unit.
"""

from __future__ import annotations

import pytest

from defi_int.market.amm import Pool
from defi_int.market.funding import impact_premium
from defi_int.types import ONE

HOUR = 3_600
PERIOD = 8 * HOUR
UNIT = 10**6
SCALE = 10**30


@pytest.fixture(autouse=True)
def funding_on(defi_system):
    """The shipped scenarios' funding: an 8-hour period, a 1 % cap."""
    defi_system.set_funding(0, PERIOD, 100)


def _pool(s) -> Pool:
    return Pool(*s.chain.call(s.amm.functions.pool(0)))


def _premium(s) -> int:
    return s.chain.call(s.vault.functions.fundingState(0))[1]


def _impact(s) -> int:
    return s.chain.call(s.vault.functions.fundingImpact(0))


def _mirror_premium(s) -> int:
    """The premium the mirror samples from the chain's pool and oracle now (before the cap)."""
    price = s.chain.call(s.oracle.functions.latest(0))[0]
    return impact_premium(price, _pool(s), _impact(s), SCALE)


def test_the_impact_notional_is_the_markets_and_the_owner_sets_it(defi_system, events, reverts, stranger):
    s = defi_system
    assert _impact(s) == 20_000 * UNIT
    receipt = s.chain.transact(s.owner, s.vault.functions.setFundingImpact(0, 5_000 * UNIT), gas=150_000)
    assert events(s.vault, receipt, "FundingImpactSet") == [{"market": 0, "notional": 5_000 * UNIT}]
    with reverts("NotOwner", caller=stranger.address):
        s.chain.transact(stranger, s.vault.functions.setFundingImpact(0, 1), gas=150_000)
    with reverts("AmountOutOfRange", amount=2**95):
        s.chain.transact(s.owner, s.vault.functions.setFundingImpact(0, 2**95), gas=150_000)


@pytest.mark.parametrize("bps", [-400, -200, -100, -20, 0, 20, 100, 200, 400])
def test_the_vault_samples_the_mirrors_impact_premium(defi_system, bps):
    s = defi_system
    s.set_price(0, 2_000 * ONE * (10_000 + bps) // 10_000 + 7)
    s.update_funding(0)
    bound = s.chain.call(s.oracle.functions.latest(0))[0] * 100 // 10_000
    assert _premium(s) == max(min(_mirror_premium(s), bound), -bound)
    if abs(bps) <= 100:  # inside the fee and the impact of 20,000 USD: nothing to pay
        assert _premium(s) == 0
    else:
        assert (_premium(s) < 0) == (bps > 0)  # the oracle above the pool: shorts pay


def test_a_five_base_push_of_about_one_percent_moves_nothing(defi_system, defi_traders):
    s = defi_system
    cost = s.chain.call(s.amm.functions.quoteBuy(0, 5 * ONE))
    s.chain.transact(defi_traders[0], s.amm.functions.swap(0, True, 5 * ONE, cost), gas=300_000)
    pool = _pool(s)
    assert pool.quote * SCALE // pool.base > 2_019 * ONE  # the mid is about 1 % up
    assert _premium(s) == 0


def _attack(s, trader, defi_orders, later) -> tuple[int, int, int]:
    """The issue's attack by ``trader``; returns its equity before the push, after the trade-back,
    and one funding period after that (the oracle never moves)."""
    defi_orders.settle([defi_orders.fill(trader, size=50 * ONE, is_buy=False, internal_price=2_000 * ONE)])
    before = s.chain.call(s.vault.functions.equity(trader.address))
    cost = s.chain.call(s.amm.functions.quoteBuy(0, 5 * ONE))
    s.chain.transact(trader, s.amm.functions.swap(0, True, 5 * ONE, cost), gas=300_000)
    later(3 * HOUR)  # three quiet hours: nobody trades the pool back; the oracle posts the same price
    s.set_price(0, 2_000 * ONE)
    s.chain.transact(trader, s.amm.functions.swap(0, False, 5 * ONE, 0), gas=300_000)
    after = s.chain.call(s.vault.functions.equity(trader.address))
    later(PERIOD)
    s.set_price(0, 2_000 * ONE)
    s.update_funding(0)
    later_on = s.chain.call(s.vault.functions.equity(trader.address))
    return before, after, later_on


def test_the_issues_attack_loses_money_at_impact_prices(defi_system, holder, defi_orders, later):
    s = defi_system
    trader = holder("pusher", 100_000 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(100_000 * UNIT), gas=150_000)
    desk_before = s.chain.call(s.vault.functions.equity(s.desk))

    before, after, later_on = _attack(s, trader, defi_orders, later)

    assert after - before < 0  # the AMM's fees, and no funding
    assert later_on - before < 0
    assert later_on == after
    assert s.chain.call(s.vault.functions.equity(s.desk)) >= desk_before  # the desk paid nothing


def test_the_same_attack_at_the_mid_paid_the_pusher(defi_system, holder, defi_orders, later):
    """The attack the issue reports, with the premium measured at the mid (an impact notional of 0):
    the pusher nets about +277 USD after the AMM's fees. This is what impact prices take away."""
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.setFundingImpact(0, 0), gas=150_000)
    trader = holder("pusher", 100_000 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(100_000 * UNIT), gas=150_000)

    before, after, later_on = _attack(s, trader, defi_orders, later)

    assert 250 * UNIT < after - before < 300 * UNIT
    assert later_on - before > 250 * UNIT


@pytest.mark.parametrize("above", [True, False], ids=["pool-above-shorts-receive", "pool-below-longs-receive"])
def test_a_pool_held_away_from_the_oracle_for_a_period_still_pays_the_side_that_should_be_paid(
    defi_system, defi_traders, defi_orders, later, above
):
    """The oracle 3 % away from the pool for a whole period: funding is a real force, the side the
    pool is rich against pays the cap (1 % of the price) over the period."""
    s = defi_system
    long_trader, short_trader = defi_traders[:2]
    defi_orders.settle([defi_orders.fill(long_trader, size=10 * ONE)])
    defi_orders.settle([defi_orders.fill(short_trader, size=10 * ONE, is_buy=False)])
    price = 2_000 * ONE * (9_700 if above else 10_300) // 10_000
    s.set_price(0, price)
    s.update_funding(0)
    assert _premium(s) == (price // 100 if above else -(price // 100))
    pays = {t: s.chain.call(s.vault.functions.pendingFunding(t.address, 0)) for t in (long_trader, short_trader)}
    later(PERIOD)
    s.update_funding(0)
    for trader, sign in ((long_trader, 1 if above else -1), (short_trader, -1 if above else 1)):
        owed = s.chain.call(s.vault.functions.pendingFunding(trader.address, 0)) - pays[trader]
        assert sign * owed > 0
        assert abs(abs(owed) - 10 * price // 100 // 10**12) <= 2  # 10 base x 1 % of the price, in USD units


def test_a_push_beyond_the_band_that_lasts_one_block_weighs_one_block(defi_system, defi_traders, later):
    s = defi_system
    pusher = defi_traders[0]
    index = s.chain.call(s.vault.functions.fundingState(0))[0]
    cost = s.chain.call(s.amm.functions.quoteBuy(0, 40 * ONE))
    s.chain.transact(pusher, s.amm.functions.swap(0, True, 40 * ONE, cost), gas=300_000)
    premium = _premium(s)
    assert premium > 0
    when = later(12)
    s.chain.transact(pusher, s.amm.functions.swap(0, False, 40 * ONE, 0), gas=300_000)
    state = s.chain.call(s.vault.functions.fundingState(0))
    assert state[0] - index == premium * 12 // PERIOD
    assert state[1] == 0 and state[2] == when
