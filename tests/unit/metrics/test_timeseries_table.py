"""timeseries.csv: one row per market and step, with the desk's equity and the running PnL parts."""

import csv
import io

from defi_int.metrics.timeseries import TIMESERIES_COLUMNS, desk_equity, timeseries_csv


def _rows(result):
    return list(csv.DictReader(io.StringIO(timeseries_csv(result).decode())))


def test_the_columns_come_in_the_documented_order():
    assert TIMESERIES_COLUMNS == (
        "step", "block", "time", "market", "index_price", "oracle_price", "amm_mid", "amm_oracle_deviation_bps",
        "inventory", "desk_cash", "fee_cash", "desk_equity", "nav_per_share", "pnl_spread", "pnl_inventory", "pnl_fees",
        "pnl_hedging", "pnl_funding", "pnl_liquidations", "pnl_total",
    )  # fmt: skip


def test_there_is_one_row_per_time_point(sample_result):
    rows = _rows(sample_result)
    assert [row["step"] for row in rows] == ["0", "1", "2", "3", "4", "5"]


def test_desk_equity_values_the_positions_at_that_steps_oracle(sample_result):
    rows = _rows(sample_result)
    assert rows[1]["desk_equity"] == "100001.000000"  # 102001 cash, short 1 at 2000
    assert rows[2]["desk_equity"] == "99991.500000"  # 100996.5 cash, short 0.5 at 2010
    assert rows[2]["inventory"] == "-0.5"


def test_desk_equity_sums_the_positions_of_every_market_at_a_step(sample_result):
    from dataclasses import replace

    second = [replace(p, market=1, inventory=2 * 10**18, oracle_price=100 * 10**18) for p in sample_result.timeseries]
    equity = desk_equity([*sample_result.timeseries, *second], sample_result.price_scale)
    assert equity[1] == 100_001 * 10**6 + 200 * 10**6


def test_the_running_pnl_parts_add_up_to_the_running_total(sample_result):
    row = _rows(sample_result)[2]
    assert (row["pnl_spread"], row["pnl_inventory"], row["pnl_fees"], row["pnl_hedging"]) == (
        "1.500000", "-10.000000", "1.202625", "0.000000",
    )  # fmt: skip
    assert row["pnl_total"] == "-7.297375"


def test_the_amm_oracle_deviation_is_signed(sample_result):
    rows = _rows(sample_result)
    assert rows[2]["amm_oracle_deviation_bps"] == "-9.9502"  # AMM 2008 vs oracle 2010
    assert rows[3]["amm_oracle_deviation_bps"] == "4.9505"  # AMM 2021 vs oracle 2020
