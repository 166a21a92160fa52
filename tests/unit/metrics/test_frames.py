"""to_frames: decimal units as floats, the chain's integers exact beside them, one row per record."""

from dataclasses import replace
from decimal import Decimal

import pandas as pd
import pyarrow as pa

from defi_int.metrics.frames import EXACT, rows_frame, to_frames

ONE = 10**18


def test_fills_come_in_decimal_units_with_the_exact_integers_beside_them(sample_result):
    fills = to_frames(sample_result).fills
    assert len(fills) == 3 and list(fills["venue"]) == ["internal", "internal", "amm"]
    assert fills["price"].dtype == "float64" and fills["price"].tolist() == [2001.0, 2009.0, 2006.5]
    assert fills["size"].tolist() == [1.0, 0.5, 0.5]
    assert fills["fee"].tolist() == [0.6003, 0.30135, 0.300975]  # collateral tokens (6 decimals)
    assert fills["price_units"].dtype == pd.ArrowDtype(EXACT)
    assert [int(v) for v in fills["price_units"]] == [2001 * ONE, 2009 * ONE, 2006_500_000_000_000_000_000]
    assert [int(v) for v in fills["fee_units"]] == [600_300, 301_350, 300_975]
    assert fills["side"].tolist() == ["buy", "sell", "sell"]
    assert fills["deviation_bps"].iloc[0] == 5.0  # (2001 - 2000) / 2000 in bps


def test_a_price_at_the_top_of_uint128_stays_exact_where_int64_and_floats_cannot(sample_result):
    top = 2**128 - 1
    sample_result.fills = [replace(sample_result.fills[0], price=top, limit_price=top)]
    fills = to_frames(sample_result).fills
    assert int(fills["price_units"].iloc[0]) == top
    assert int(fills["price_units"].sum()) == top
    assert int(fills["price_units"].iloc[0]) != int(fills["price"].iloc[0] * ONE)  # the float alone loses digits
    table = pa.Table.from_pandas(fills[["price_units"]])
    assert table.schema.field("price_units").type == EXACT


def test_the_time_series_carries_equity_and_cumulative_pnl_per_step(sample_result):
    series = to_frames(sample_result).timeseries
    assert series["step"].tolist() == [0, 1, 2, 3, 4, 5]
    assert series["inventory"].tolist() == [0.0, -1.0, -0.5, 0.0, 0.0, 0.0]
    assert [int(v) for v in series["pnl_total_units"]] == [
        0,
        1_600_300,
        -7_297_375,
        -12_797_375,
        -12_797_375,
        -12_797_375,
    ]
    assert series["pnl_total"].iloc[-1] == -12.797375


def test_the_summary_is_one_row_whose_nested_keys_are_joined_with_dots(sample_result):
    summary = to_frames(sample_result).summary
    assert len(summary) == 1
    assert summary["pnl_breakdown.fees"].iloc[0] == 1.202625
    assert summary["markouts_bps.5"].isna().iloc[0]  # unmeasurable: missing, not NaN-as-text
    assert summary["invariants_ok"].iloc[0]
    assert pd.concat([summary, summary]).shape[0] == 2


def test_an_empty_run_gives_empty_frames_with_their_columns(empty_result):
    frames = to_frames(empty_result)
    assert frames.fills.empty and "price_units" in frames.fills.columns
    assert frames.liquidations.empty and "penalty_units" in frames.liquidations.columns


def test_study_rows_keep_numbers_and_make_big_integers_exact():
    frame = rows_frame(
        [
            {"cell": 0, "pnl_total": 1.5, "pnl_at_close_units": 10**24, "ok": True, "error": None},
            {"cell": 1, "pnl_total": None, "pnl_at_close_units": -(10**24), "ok": None, "error": "x"},
        ]
    )
    assert frame["cell"].dtype == "int64" and frame["pnl_total"].dtype == "float64"
    assert frame["pnl_at_close_units"].dtype == pd.ArrowDtype(EXACT)
    assert frame["pnl_at_close_units"].tolist() == [Decimal(10**24), Decimal(-(10**24))]
    assert frame["ok"].dtype == "boolean" and frame["error"].dtype == "string"
