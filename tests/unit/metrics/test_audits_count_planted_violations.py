"""Each audit counts a violation planted in an otherwise clean run, and lists the offending row."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flow import NOISE, ONE, T0, USD, digest, leg, order, receipt, usd

from defi_int.metrics.audits import run_audits
from defi_int.metrics.records import AuditSettings, Counterfactual, Hedge


def audits(result):
    found, violations, gains = run_audits(result)
    return found, violations, gains


def test_the_hand_made_run_is_clean_but_for_one_trade_ahead_and_one_worse_off_order(flow_result):
    found, violations, _ = audits(flow_result)
    assert {name: len(a.rows) for name, a in found.items()} == {
        "best_execution": 0,
        "trading_ahead": 1,
        "equal_treatment": 0,
        "counterfactual": 1,
    }
    assert found["best_execution"].checked == 4
    assert found["equal_treatment"].checked == 1  # orders 2 and 5: sells of one batch and bucket
    assert found["equal_treatment"].figures["dispersion_bps"]["max"] == 0.0
    assert [v["audit"] for v in violations] == ["trading_ahead", "counterfactual"]


def test_an_internal_fill_worse_than_the_amm_is_a_best_execution_violation(flow_result):
    worse = leg(1, NOISE, True, 1, 2004, 2003, 111)  # the AMM would have charged 2003 for the size
    flow_result.fills.append(worse)
    (row,) = audits(flow_result)[0]["best_execution"].rows
    assert row["order_digest"] == "0x" + digest(1).hex() and row["price"] == usd(2004)
    assert row["reference_price"] == usd(2003) and 4.99 < row["bps"] < 5.0


def test_a_sell_filled_below_the_amm_is_counted_and_one_at_the_amm_is_not(flow_result):
    flow_result.fills += [leg(5, NOISE, False, 1, 1997, 1998, 111), leg(5, NOISE, False, 1, 1998, 1998, 111)]
    (row,) = audits(flow_result)[0]["best_execution"].rows
    assert row["price"] == usd(1997) and row["side"] == "sell"


def test_a_hedge_ahead_of_a_client_on_the_same_side_is_counted_within_the_window_only(flow_result):
    (row,) = audits(flow_result)[0]["trading_ahead"].rows
    assert (row["block"], row["order_digest"], row["side"]) == (125, "0x" + digest(4).hex(), "buy")
    assert "6 block(s) later" in row["detail"]
    narrow = replace(flow_result, audit=AuditSettings(trading_ahead_blocks=5))
    assert audits(narrow)[0]["trading_ahead"].rows == []
    other_side = replace(flow_result, hedges=[replace(flow_result.hedges[0], is_buy=False)])
    assert audits(other_side)[0]["trading_ahead"].rows == []
    before = replace(flow_result, hedges=[replace(flow_result.hedges[0], time=T0 + 20)])  # order 4 came at T0+24
    assert audits(before)[0]["trading_ahead"].rows == []


def test_two_hedges_ahead_of_two_orders_are_four_rows(flow_result):
    flow_result.hedges.append(Hedge(2, 127, T0 + 30, 0, True, ONE, 2006 * USD, usd(2003)))
    flow_result.orders.append(order(8, NOISE, True, 1, 2, status="filled", filled=ONE, internal=ONE,
                                    **receipt(2004, 2010, 2005)))  # fmt: skip
    flow_result.fills.append(leg(8, NOISE, True, 1, 2005, 2010, 131))
    found = audits(flow_result)[0]["trading_ahead"]
    assert len(found.rows) == 4 and found.figures["orders"] == 2 and found.figures["hedges_ahead"] == 2


def test_marketable_orders_of_one_batch_priced_apart_are_unequal_treatment(flow_result):
    flow_result.fills[3] = leg(5, NOISE, False, 1, 1998.5, 1998, 111)  # order 5 sold at 1998.5, order 2 at 1999
    found = audits(flow_result)[0]["equal_treatment"]
    (row,) = found.rows
    assert row["order_digest"] == "0x" + digest(5).hex()  # the seller who got less
    assert row["reference_price"] == usd(1999) and row["bps"] == pytest.approx(2.5)  # 0.5 over the mark of 2000
    assert found.figures["dispersion_bps"]["max"] == pytest.approx(2.5)


def test_a_spread_within_the_tolerance_is_reported_but_not_counted(flow_result):
    flow_result.fills[3] = leg(5, NOISE, False, 1, 1998.9, 1998, 111)  # 0.5 bps apart, tolerance 1 bps
    found = audits(flow_result)[0]["equal_treatment"]
    assert found.rows == [] and abs(found.figures["dispersion_bps"]["max"] - 0.5) < 1e-9


def test_orders_in_other_buckets_or_not_marketable_are_not_compared(flow_result):
    flow_result.orders[4].marketable = False  # order 5 was not marketable at receipt
    flow_result.fills[3] = leg(5, NOISE, False, 1, 1990, 1998, 111)
    assert audits(flow_result)[0]["equal_treatment"].checked == 0


def test_an_order_the_desk_s_priorities_left_with_less_is_a_counterfactual_violation(flow_result):
    found, _, gains = audits(flow_result)
    (row,) = found["counterfactual"].rows
    assert row["order_digest"] == "0x" + digest(2).hex() and row["reference_price"] > row["price"]
    by = {(g["variant"], g["trader_type"]): g for g in gains}
    assert by[("permuted", "informed")]["size_gained"] == 0
    assert by[("permuted", "informed")]["internal_gained"] == ONE // 2
    assert abs(by[("permuted", "informed")]["price_gained_usd"] - 2.5) < 1e-9  # 1000.5 + 1003 for 1, not 2001
    assert abs(by[("no_skew", "noise")]["price_gained_usd"] + 1.0) < 1e-9  # sold 1 of its 2 at 1999, not 2000
    flow_result.counterfactuals.append(
        Counterfactual(2, 125, 0, digest(4), "0x" + "aa" * 20, True, "permuted", usd(2003), ONE, usd(2005), 0, 0,
                       2 * ONE, usd(2005), 0, 0)
    )  # fmt: skip
    found, _, gains = audits(flow_result)
    assert len(found["counterfactual"].rows) == 2
    assert found["counterfactual"].rows[1]["size"] == ONE
    assert {g["trader_type"]: g["size_gained"] for g in gains if g["variant"] == "permuted"} == {
        "informed": -ONE, "all": -ONE,
    }  # fmt: skip
