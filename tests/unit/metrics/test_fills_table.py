"""fills.csv: exact amounts, trader-side price improvement, signed deviation, identical bytes."""

import csv
import io

import pytest

from defi_int.metrics.fills import FILL_COLUMNS, derive, fills_csv, write_fills_csv
from defi_int.metrics.output import bps, fixed, units

ONE = 10**18


def _rows(data: bytes):
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_the_columns_come_in_the_documented_order():
    assert FILL_COLUMNS[:21] == (
        "block", "time", "step", "order_digest", "trader", "trader_type", "market", "side", "venue", "size",
        "price", "limit_price", "oracle_price", "amm_mid", "amm_quote_price", "price_improvement_bps",
        "deviation_bps", "fee", "gas", "quote", "amm_quote",
    )  # fmt: skip


def test_two_writes_of_the_same_fills_give_identical_bytes(sample_result, tmp_path):
    first = write_fills_csv(sample_result.fills, tmp_path / "a.csv", 6).read_bytes()
    second = write_fills_csv(list(sample_result.fills), tmp_path / "b.csv", 6).read_bytes()
    assert first == second
    assert b"\r" not in first
    assert first.startswith(b"block,time,step,order_digest,")


def test_a_buy_at_2001_when_the_amm_asks_2003_improves_the_price_by_about_10_bps(fill):
    metrics = derive(fill(price=2001 * ONE, amm_quote_price=2003 * ONE))
    assert metrics.price_improvement_bps == pytest.approx(2 / 2003 * 1e4)
    assert 9.98 < metrics.price_improvement_bps < 9.99


def test_a_buy_above_the_amm_quote_is_a_negative_improvement(fill):
    assert derive(fill(price=2004 * ONE, amm_quote_price=2003 * ONE)).price_improvement_bps < 0


def test_a_sell_above_the_amm_quote_is_a_positive_improvement(fill):
    metrics = derive(fill(is_buy=False, price=2009 * ONE, amm_quote_price=2007 * ONE))
    assert metrics.price_improvement_bps == pytest.approx(2 / 2007 * 1e4)


def test_amm_legs_have_zero_improvement(fill):
    assert derive(fill(venue="amm", price=2005 * ONE, amm_quote_price=2003 * ONE)).price_improvement_bps == 0.0


def test_an_internal_leg_without_an_amm_quote_has_no_improvement(fill):
    assert derive(fill(amm_quote_price=0)).price_improvement_bps is None


def test_deviation_is_positive_above_the_oracle_and_negative_below(fill):
    assert derive(fill(price=2001 * ONE, oracle_price=2000 * ONE)).deviation_bps == pytest.approx(5.0)
    assert derive(fill(is_buy=False, price=1999 * ONE, oracle_price=2000 * ONE)).deviation_bps == pytest.approx(-5.0)


def test_rows_render_exact_amounts_and_four_place_bps(sample_result):
    buy, sell, amm = _rows(fills_csv(sample_result.fills, 6))
    assert buy["side"] == "buy"
    assert buy["size"] == "1"
    assert buy["price"] == "2001"
    assert buy["fee"] == "0.600300"
    assert buy["quote"] == "2001.000000"
    assert buy["price_improvement_bps"] == "9.9850"
    assert buy["deviation_bps"] == "5.0000"
    assert sell["side"] == "sell"
    assert sell["size"] == "0.5"
    assert sell["deviation_bps"] == "-4.9751"
    assert amm["venue"] == "amm"
    assert amm["price"] == "2006.5"
    assert amm["price_improvement_bps"] == "0.0000"
    assert amm["gas"] == "45000"


def test_fixed_point_strings_strip_trailing_zeros_and_keep_every_digit():
    assert fixed(2001 * ONE + ONE // 2) == "2001.5"
    assert fixed(2000 * ONE) == "2000"
    assert fixed(-1) == "-0.000000000000000001"
    assert fixed(0) == "0"


def test_token_strings_keep_exactly_the_collateral_decimals():
    assert units(12_500_000, 6) == "12.500000"
    assert units(-1, 6) == "-0.000001"
    assert units(7, 0) == "7"


def test_bps_never_print_a_negative_zero_and_leave_undefined_cells_empty():
    assert bps(-0.00001) == "0.0000"
    assert bps(None) == ""
