"""Markouts of internal fills from the desk's side: negative when the price moves against the desk."""

import pytest

from defi_int.metrics.markouts import markout_bps, markout_curve, markouts_by_type, oracle_index, trader_markouts
from defi_int.metrics.records import TimePoint

ONE = 10**18


def _path(*oracles, market=0):
    return [TimePoint(step, step, step, market, p * ONE, p * ONE, p * ONE, 0, 0, 0) for step, p in enumerate(oracles)]


def test_a_desk_that_sold_before_the_price_rose_has_a_negative_markout(fill):
    desk_sold = fill(step=0, is_buy=True, price=2000 * ONE)
    assert markout_bps(desk_sold, oracle_index(_path(2000, 2010)), 1) == pytest.approx(-50.0)


def test_a_desk_that_bought_before_the_price_rose_has_a_positive_markout(fill):
    desk_bought = fill(step=0, is_buy=False, price=2000 * ONE)
    assert markout_bps(desk_bought, oracle_index(_path(2000, 2010)), 1) == pytest.approx(50.0)


def test_the_markout_uses_the_oracle_of_the_fills_own_market(fill):
    series = _path(2000, 2000) + _path(100, 110, market=1)
    assert markout_bps(fill(step=0, market=0, price=2000 * ONE), oracle_index(series), 1) == 0.0


def test_amm_legs_are_not_the_desks_trades_and_have_no_markout(fill):
    assert markout_bps(fill(step=0, venue="amm"), oracle_index(_path(2000, 2010)), 1) is None


def test_fills_whose_horizon_passes_the_last_step_are_left_out(sample_result):
    curve = markout_curve(sample_result.fills, sample_result.timeseries, sample_result.markout_horizons)
    assert curve[5] is None
    assert set(curve) == {1, 2, 5}


def test_the_mean_is_weighted_by_fill_size(sample_result):
    curve = markout_curve(sample_result.fills, sample_result.timeseries, (1,))
    informed = (2001 - 2010) / 2001 * 1e4  # size 1: desk sold at 2001, oracle 2010 a step later
    noise = (2020 - 2009) / 2009 * 1e4  # size 0.5: desk bought at 2009, oracle 2020 a step later
    assert curve[1] == pytest.approx((1.0 * informed + 0.5 * noise) / 1.5)


def test_markouts_split_by_trader_type(sample_result):
    by_type = markouts_by_type(sample_result.fills, sample_result.timeseries, (2, 1), sample_result.trader_types)
    assert list(by_type) == ["informed", "noise"]
    assert list(by_type["informed"]) == [1, 2]
    assert by_type["informed"][2] == pytest.approx((2001 - 2020) / 2001 * 1e4)
    assert by_type["noise"][1] > 0 > by_type["informed"][1]


def test_trader_markouts_give_each_traders_mean_and_fill_count(sample_result, fill):
    fills = [*sample_result.fills, fill(step=2, price=2012 * ONE, size=3 * ONE)]
    per_trader = trader_markouts(fills, sample_result.timeseries, 1)
    a, b = sorted(per_trader)
    mean_a, count_a = per_trader[a]
    assert count_a == 2
    assert mean_a == pytest.approx((1 * (2001 - 2010) / 2001 + 3 * (2012 - 2020) / 2012) / 4 * 1e4)
    assert per_trader[b][1] == 1
    assert trader_markouts(fills, sample_result.timeseries, 5) == {}
