"""Cells of execution.csv, routing.csv and segments.csv recomputed from fills.csv, orders.csv and
timeseries.csv with code of the test's own (csv and Decimal), never the report's."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

BUCKETS = [(250, "<250"), (1_000, "250-1K"), (5_000, "1K-5K"), (10_000, "5K-10K"), (20_000, "10K-20K"),
           (50_000, "20K-50K"), (200_000, "50K-200K")]  # fmt: skip


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def bucket(notional: Decimal) -> str:
    return next((label for upper, label in BUCKETS if notional < upper), ">=200K")


def groups(run: Path) -> dict[tuple[str, str, str], list[tuple[dict[str, str], list[dict[str, str]]]]]:
    """(market, order type, bucket) -> [(order row, its fill rows)], from the CSVs alone."""
    legs = defaultdict(list)
    for fill in rows(run / "fills.csv"):
        legs[fill["order_digest"]].append(fill)
    out = defaultdict(list)
    for order in rows(run / "orders.csv"):
        mid = order["amm_mid_at_receipt"] or order["oracle_at_receipt"]
        if not mid:
            continue
        kind = "marketable" if order["marketable"] == "1" else "non_marketable"
        key = (order["market"], kind, bucket(Decimal(order["size"]) * Decimal(mid)))
        out[key].append((order, legs[order["order_digest"]]))
    return out


def mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal:
    return sum(w * x for w, x in pairs) / sum(w for w, _ in pairs)


def recompute(members, samples) -> dict[str, Decimal]:
    """The recomputed statistics of one group (the definitions, read off docs/execution.md)."""
    size = sum(Decimal(o["size"]) for o, _ in members)
    filled = sum(Decimal(f["size"]) for _, fs in members for f in fs)
    cancelled = sum(Decimal(o["size"]) - sum(Decimal(f["size"]) for f in fs) for o, fs in members
                    if o["status"] == "cancelled")  # fmt: skip
    effective, quoted, improved, improvable, realized, waits = [], [], [], Decimal(0), [], []
    for order, fills in members:
        d = 1 if order["side"] == "buy" else -1
        mid = Decimal(order["amm_mid_at_receipt"] or order["oracle_at_receipt"])
        amm = Decimal(order["amm_price_at_receipt"]) if order["amm_price_at_receipt"] else None
        for f in fills:
            w, price = Decimal(f["size"]), Decimal(f["price"])
            effective.append((w, 2 * d * (price - mid) / mid * 10_000))
            if amm is not None:
                quoted.append((w, 2 * d * (amm - mid) / mid * 10_000))
                improvable += w
                if d * (amm - price) > 0:
                    improved.append((w, d * (amm - price) / amm * 10_000))
            later = next(s for s in samples if int(s["block"]) >= int(f["block"]) + 1 and s["market"] == f["market"])
            later_mid = Decimal(later["amm_mid"]) or Decimal(later["oracle_price"])
            realized.append((w, 2 * d * (price - later_mid) / mid * 10_000))
            waits.append((w, Decimal(int(f["time"]) - int(order["received_time"]))))
    return {
        "fill_rate": filled / size,
        "cancelled_share": cancelled / size,
        "effective_spread_bps": mean(effective),
        "quoted_spread_bps": mean(quoted),
        "eq_ratio": mean(effective) / mean(quoted),
        "price_improved_share": sum(w for w, _ in improved) / improvable,
        "realized_spread_1b_bps": mean(realized),
        "time_to_fill_avg_s": mean(waits),
    }


PLACES = {"bps": Decimal("0.0001"), "s": Decimal("0.001")}


def check(report_row: dict[str, str], expected: dict[str, Decimal]) -> None:
    for name, value in expected.items():
        places = PLACES.get(name.rsplit("_", 1)[-1], Decimal("0.000001"))
        assert abs(Decimal(report_row[name]) - value) <= places, (name, report_row[name], value)


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
