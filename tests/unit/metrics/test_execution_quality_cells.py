"""Cells of execution.csv, routing.csv and segments.csv recomputed from fills.csv, orders.csv and
timeseries.csv with code of the test's own (csv and Decimal), never the report's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_recompute import check, groups, recompute, rows


def test_a_group_of_the_hand_made_run_matches_the_definitions_worked_by_hand(flow_report):
    report = {(r["market"], r["order_type"], r["size_bucket"]): r for r in rows(flow_report / "execution.csv")}
    row = report[("0", "marketable", "1K-5K")]
    assert row["orders"] == "4" and row["fill_rate"] == "0.800000" and row["cancelled_share"] == "0.200000"
    assert row["effective_spread_bps"] == "15.0000"  # legs of 10, 10, 30 and 10 bps
    assert row["quoted_spread_bps"] == "32.5000"  # 30 bps for 1, 40 for 2, 20 for 1
    assert row["eq_ratio"] == "0.461538"
    assert row["realized_spread_1b_bps"] == "20.0000"  # the AMM's mid at 2001 one block later
    assert set(report) == {("0", "marketable", "1K-5K"), ("0", "marketable", "5K-10K"), ("0", "non_marketable", "<250")}


def test_every_group_of_the_hand_made_run_matches_a_recomputation_from_its_csvs(flow_report):
    samples = rows(flow_report / "timeseries.csv")
    report = {(r["market"], r["order_type"], r["size_bucket"]): r for r in rows(flow_report / "execution.csv")}
    for key, members in groups(flow_report).items():
        if any(fs for _, fs in members):
            check(report[key], recompute(members, samples))


def test_the_routing_row_matches_the_fills_and_orders(flow_report):
    (period, whole) = rows(flow_report / "routing.csv")
    assert whole["period_start"] == "all" and period["orders"] == whole["orders"] == "7"
    orders = rows(flow_report / "orders.csv")
    fills = rows(flow_report / "fills.csv")
    size = sum(Decimal(o["size"]) for o in orders)
    internal = sum(Decimal(f["size"]) for f in fills if f["venue"] == "internal")
    assert abs(Decimal(whole["internalized_volume_share"]) - internal / size) < Decimal("0.000001")
    fees = sum(Decimal(f["fee"]) for f in fills if f["venue"] == "amm")
    assert Decimal(whole["fees_received_amm_usd"]) == fees.quantize(Decimal("0.01"))
    amm_quote = sum(Decimal(f["quote"]) for f in fills if f["venue"] == "amm")
    assert Decimal(whole["amm_fees_paid_by_traders_usd"]) == (amm_quote * 30 / 10_000).quantize(Decimal("0.01"))
    assert whole["expired_orders_share"] == f"{Decimal(2) / 7:.6f}"
    assert whole["hedges"] == "1" and whole["hedge_cost_usd"] == "3.00"  # bought 1 at 2006 against 2003


def test_the_segments_match_the_fills(flow_report):
    segments = {(r["segment_kind"], r["segment"]): r for r in rows(flow_report / "segments.csv")}
    fills = rows(flow_report / "fills.csv")
    samples = {(s["market"], int(s["step"])): Decimal(s["oracle_price"]) for s in rows(flow_report / "timeseries.csv")}
    for kind in ("informed", "noise"):
        mine = [f for f in fills if f["trader_type"] == kind]
        internal = [f for f in mine if f["venue"] == "internal"]
        side = {f["order_digest"]: 1 if f["side"] == "buy" else -1 for f in mine}
        capture = sum(side[f["order_digest"]] * (Decimal(f["price"]) - Decimal(f["oracle_price"])) * Decimal(f["size"])
                      for f in internal)  # fmt: skip
        later = [(f, samples.get((f["market"], int(f["step"]) + 2))) for f in internal]
        pnl = sum(Decimal(f["fee"]) for f in mine) + sum(
            side[f["order_digest"]] * (Decimal(f["price"]) - mark) * Decimal(f["size"]) for f, mark in later if mark
        )
        row = segments[("trader_type", kind)]
        assert Decimal(row["spread_capture_usd"]) == capture.quantize(Decimal("0.01"))
        assert Decimal(row["pnl_2_usd"]) == pnl.quantize(Decimal("0.01"))
    assert ("toxicity_decile", "d1") not in segments  # no model scored the orders


@pytest.mark.parametrize("kind", ["trader_type", "size_bucket", "venue"])
def test_each_kind_of_segment_splits_every_leg_once(flow_report, kind):
    segments = [r for r in rows(flow_report / "segments.csv") if r["segment_kind"] == kind]
    assert sum(int(r["legs"]) for r in segments) == len(rows(flow_report / "fills.csv"))
