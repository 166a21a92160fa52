"""Breakers: each trips on its own condition, clears when it passes, and blocks only what it must."""

from __future__ import annotations

import pytest
from botkit import NOW, desk_snapshot

from defi_int.bot.breakers import BreakerBoard, BreakerConfig, Trip, evaluate_breakers
from defi_int.exceptions import ConfigError
from defi_int.market.amm import Pool
from defi_int.types import ONE

CONFIG = BreakerConfig(max_oracle_age=600, max_amm_deviation_bps=200, max_drawdown_bps=1_000, drawdown_window=3_600)


def names(board: BreakerBoard) -> list[tuple[str, int | None]]:
    return [t.key for t in board.trips]


def test_a_healthy_desk_has_every_breaker_closed():
    board = evaluate_breakers(desk_snapshot(equity=1_000), [(NOW - 60, 1_000)], CONFIG)

    assert board.closed and board.blocks_internal(0, True, 0) is None and board.blocks_amm(0) is None


def test_a_stale_oracle_rests_the_market_whether_the_chain_or_the_keeper_judges_it_stale():
    stale = evaluate_breakers(desk_snapshot(fresh=False, updated_at=NOW - 4_000), [], CONFIG)
    old = evaluate_breakers(desk_snapshot(updated_at=NOW - 601), [], CONFIG)

    for board in (stale, old):
        assert names(board) == [("stale_oracle", 0)]
        assert board.blocks_settle(0) is not None and board.blocks_settle(1) is None
    assert "4000 s old" in stale.trips[0].detail and "over 600 s" in old.trips[0].detail


def test_an_amm_far_from_the_oracle_stops_routing_but_not_internal_fills():
    far = Pool(1_000 * ONE, 2_050_000 * 10**6, 30)  # mid 2050 vs oracle 2000: 250 bps
    board = evaluate_breakers(desk_snapshot(pool=far), [], CONFIG)

    assert names(board) == [("amm_deviation", 0)]
    assert board.blocks_amm(0).name == "amm_deviation" and board.blocks_internal(0, True, 0) is None
    assert evaluate_breakers(desk_snapshot(pool=Pool(1_000 * ONE, 2_039_000 * 10**6, 30)), [], CONFIG).closed


def test_a_drawdown_within_the_window_stops_internalizing_everywhere():
    history = [(NOW - 7_200, 2_000), (NOW - 1_800, 1_000), (NOW - 60, 950)]

    tripped = evaluate_breakers(desk_snapshot(equity=899), history, CONFIG)  # 10.1% below 1000
    within = evaluate_breakers(desk_snapshot(equity=901), history, CONFIG)  # the 2000 peak is out of the window

    assert names(tripped) == [("drawdown", None)] and within.closed
    assert tripped.blocks_internal(0, False, 0).name == "drawdown" and tripped.blocks_amm(0) is None


def test_the_inventory_hard_stop_blocks_only_the_side_that_grows_the_position():
    short = evaluate_breakers(desk_snapshot(inventory=-95 * ONE), [], CONFIG)  # 95% of a 100 cap

    assert names(short) == [("inventory", 0)]
    assert short.blocks_internal(0, trader_buys=True, inventory=-95 * ONE).name == "inventory"
    assert short.blocks_internal(0, trader_buys=False, inventory=-95 * ONE) is None
    assert evaluate_breakers(desk_snapshot(inventory=94 * ONE), [], CONFIG).closed


def test_the_kill_switch_blocks_everything_and_comes_first():
    board = evaluate_breakers(desk_snapshot(fresh=False), [], CONFIG, kill_switch="operator")

    assert names(board) == [("kill_switch", None), ("stale_oracle", 0)]
    assert board.blocks_settle(0).name == "kill_switch"
    assert board.blocks_amm(5).name == "kill_switch"
    assert Trip("kill_switch", None, "operator").reason() == "breaker kill_switch open: operator"


@pytest.mark.parametrize(
    "fields",
    [{"max_oracle_age": 0}, {"max_amm_deviation_bps": 0}, {"max_drawdown_bps": 10_001}, {"drawdown_window": 0}],
)
def test_a_breaker_config_out_of_range_is_refused_with_its_key(fields):
    with pytest.raises(ConfigError, match=f"BreakerConfig.{next(iter(fields))}: must be within"):
        BreakerConfig(**fields)
