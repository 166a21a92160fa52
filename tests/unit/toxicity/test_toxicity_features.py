"""The features of an order at receipt, computed by hand on a built history."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from defi_int.keeper.toxicity.features import IDLE_CAP_S, FlowWatch, OrderFeatures
from defi_int.keeper.toxicity.traders import NO_HISTORY, TraderStats
from defi_int.orders.model import Order
from defi_int.types import ONE

TRADER = "0x" + "ab" * 20
OTHER = "0x" + "cd" * 20
T0 = 1_700_000_000
STEP_BPS = math.log(1.001) * 10_000  # each step the oracle rises 0.1 %


def price(step: int) -> int:
    return int(2_000 * 1.001**step * ONE)


def watched(steps: int, *, amm_ratio: float = 1.002) -> FlowWatch:
    """A market whose oracle rose 0.1 % a step for ``steps`` steps, the AMM 0.2 % above it."""
    watch = FlowWatch()
    for step in range(steps):
        now = T0 + 12 * step
        watch.observe_market(step, now, 0, price(step), now - 30, int(price(step) * amm_ratio), 1_000 * ONE)
    return watch


def order(is_buy: bool, *, trader: str = TRADER, size: float = 2.0, limit_bps: int = 100, expiry: int = 60) -> Order:
    mark = price(24)  # the oracle at receipt
    limit = mark * (10_000 + limit_bps) // 10_000 if is_buy else mark * (10_000 - limit_bps) // 10_000
    return Order(trader, 0, is_buy, int(size * ONE), limit, T0 + 12 * 24 + expiry, 1, 7, True)


def features(
    watch: FlowWatch, o: Order, *, inventory: int = 10 * ONE, fills: TraderStats = NO_HISTORY
) -> OrderFeatures:
    return watch.features(o, T0 + 12 * 24, inventory, 30 * ONE, fills, fills)


def test_the_market_features_of_a_buy_are_the_oracle_path_pool_and_age() -> None:
    f = features(watched(25), order(True))
    assert f.return_1_bps == pytest.approx(STEP_BPS, rel=1e-9)
    assert f.return_5_bps == pytest.approx(5 * STEP_BPS, rel=1e-9)
    assert f.return_20_bps == pytest.approx(20 * STEP_BPS, rel=1e-9)
    assert f.volatility_bps == pytest.approx(STEP_BPS, rel=1e-9)  # RMS of the last 20 one-step returns
    assert f.amm_deviation_bps == pytest.approx(20.0, rel=1e-6)
    assert f.oracle_age_s == 30.0


def test_the_order_features_are_its_size_reach_flags_and_time_left() -> None:
    f = features(watched(25), order(True, size=2.0, limit_bps=100, expiry=60))
    assert f.size == 2.0
    assert f.size_share == pytest.approx(2.0 / 1_000)
    assert f.aggressiveness_bps == pytest.approx(100.0, abs=1e-9)
    assert (f.allow_amm, f.max_fee_bps, f.expiry_s) == (1, 7, 60.0)


def test_a_sell_sees_the_directional_features_negated_and_the_rest_alike() -> None:
    watch = watched(25)
    buy, sell = features(watch, order(True)), features(watch, order(False))
    directional = {
        "return_1_bps",
        "return_5_bps",
        "return_20_bps",
        "amm_deviation_bps",
        "flow_imbalance",
        "flow_net",
        "inventory_share",
    }
    for name in OrderFeatures.NAMES:
        if name in directional:
            assert getattr(sell, name) == -getattr(buy, name), name
        else:
            assert getattr(sell, name) == pytest.approx(getattr(buy, name), abs=1e-9), name
    assert buy.inventory_share == pytest.approx(1 / 3)  # a long desk selling to a buyer goes toward zero
    assert sell.aggressiveness_bps == pytest.approx(100.0, abs=1e-9)  # a sell 1 % below the oracle reaches as far


def test_returns_wait_for_enough_history() -> None:
    f = features(watched(4), order(True))
    assert f.return_1_bps == pytest.approx(STEP_BPS, rel=1e-9)
    assert (f.return_5_bps, f.return_20_bps) == (0.0, 0.0)
    assert features(watched(1), order(True)).volatility_bps == 0.0


def test_a_second_read_of_the_same_step_replaces_the_first() -> None:
    watch = watched(25)
    watch.observe_market(24, T0 + 12 * 24, 0, price(23), T0, price(23), 1_000 * ONE)  # the oracle went back
    f = features(watch, order(True))
    assert f.return_1_bps == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="step 3 observed after step 24"):
        watch.observe_market(3, T0, 0, price(3), T0, price(3), ONE)


def test_the_flow_features_count_the_orders_of_the_last_five_steps() -> None:
    watch = watched(20)
    now = T0 + 12 * 19
    watch.note_order(order(False, trader=OTHER, size=4.0), now)  # at step 19: it leaves the window at step 24
    for step in range(20, 25):
        watch.observe_market(step, T0 + 12 * step, 0, price(step), T0 + 12 * step, price(step), 1_000 * ONE)
        if step == 20:
            watch.note_order(order(True, trader=OTHER, size=2.0), T0 + 12 * step)
            watch.note_order(order(False, trader=OTHER, size=1.0), T0 + 12 * step)
    f = features(watch, order(True))
    assert f.flow_imbalance == pytest.approx(1 / 3)  # (2 − 1) / 3: the sell of 4 at step 19 is out
    assert (f.flow_net, f.flow_orders) == (pytest.approx(1.0), 2)
    sell = features(watch, order(False))
    assert (sell.flow_imbalance, sell.flow_net, sell.flow_orders) == (pytest.approx(-1 / 3), pytest.approx(-1.0), 2)


def test_the_quote_spread_is_the_desks_quote_against_the_oracle_on_the_desks_side() -> None:
    watch, mark = watched(25), price(24)
    buy = watch.features(order(True), T0 + 12 * 24, 0, ONE, NO_HISTORY, NO_HISTORY, mark * 10_005 // 10_000)
    sell = watch.features(order(False), T0 + 12 * 24, 0, ONE, NO_HISTORY, NO_HISTORY, mark * 9_997 // 10_000)
    assert buy.quote_spread_bps == pytest.approx(5.0, abs=1e-9)  # the desk sells 5 bps above the oracle
    assert sell.quote_spread_bps == pytest.approx(3.0, abs=1e-9)  # and buys 3 bps below it
    assert features(watch, order(True)).quote_spread_bps == 0.0  # no quote


def test_the_trader_features_are_its_history_and_the_time_since_its_last_order() -> None:
    watch = watched(25)
    assert features(watch, order(True)).trader_idle_s == IDLE_CAP_S  # never seen
    watch.note_order(order(True), T0 + 12 * 24 - 100)
    stats = TraderStats()
    stats.add(-20.0, 2 * ONE)
    stats.add(10.0, ONE)
    f = features(watch, order(True), fills=stats)
    assert f.trader_idle_s == 100.0
    assert (f.trader_fills, f.trader_marked) == (2, 2)
    assert f.trader_fill_markout_bps == pytest.approx((-40.0 + 10.0) / 3)
    assert -20.0 < f.trader_recent_bps < 10.0 and f.trader_recent_bps != f.trader_fill_markout_bps
    assert features(watch, order(True, trader=TRADER.upper().replace("0X", "0x"))).trader_idle_s == 100.0


def test_a_trader_idle_for_days_is_forgotten_and_reads_as_never_seen() -> None:
    watch = watched(25)
    watch.note_order(order(True), T0)
    watch.note_order(order(True, trader=OTHER), T0 + 2 * 86_400)
    later = T0 + 3 * 86_400
    watch.observe_market(25, later, 0, price(25), later, price(25), 1_000 * ONE)
    assert list(watch._last_order) == [OTHER.lower()]
    f = watch.features(order(True), later, 0, ONE, NO_HISTORY, NO_HISTORY)
    assert f.trader_idle_s == IDLE_CAP_S


def test_an_unobserved_market_has_zero_market_features() -> None:
    f = FlowWatch().features(order(True), T0, 0, 0, NO_HISTORY, NO_HISTORY)
    assert (f.return_1_bps, f.amm_deviation_bps, f.oracle_age_s, f.aggressiveness_bps, f.inventory_share) == (0,) * 5


def test_the_feature_row_has_a_stable_order_and_round_trips() -> None:
    assert OrderFeatures.NAMES == (
        "trader_fills",
        "trader_fill_markout_bps",
        "trader_marked",
        "trader_mean_bps",
        "trader_recent_bps",
        "trader_idle_s",
        "size",
        "size_share",
        "aggressiveness_bps",
        "allow_amm",
        "max_fee_bps",
        "expiry_s",
        "return_1_bps",
        "return_5_bps",
        "return_20_bps",
        "volatility_bps",
        "amm_deviation_bps",
        "oracle_age_s",
        "flow_imbalance",
        "flow_net",
        "flow_orders",
        "inventory_share",
        "quote_spread_bps",
    )
    f = features(watched(25), order(True))
    row = f.as_array()
    assert row.dtype == np.float64 and list(row) == [float(getattr(f, n)) for n in OrderFeatures.NAMES]
    assert OrderFeatures.from_array(row) == f
    assert list(f.as_dict()) == list(OrderFeatures.NAMES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.size = 3.0  # type: ignore[misc]
