"""Rule 605 cells recomputed from a run directory's CSVs (fills.csv, orders.csv, timeseries.csv) with
code of the tests' own (csv and Decimal, the definitions read off docs/execution.md), never the
report's: the unit tests use it on a hand-made run, the integration tests on a shipped scenario."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

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
    against_oracle = []
    for order, fills in members:
        d = 1 if order["side"] == "buy" else -1
        mid = Decimal(order["amm_mid_at_receipt"] or order["oracle_at_receipt"])
        amm = Decimal(order["amm_price_at_receipt"]) if order["amm_price_at_receipt"] else None
        for f in fills:
            w, price = Decimal(f["size"]), Decimal(f["price"])
            effective.append((w, 2 * d * (price - mid) / mid * 10_000))
            if order["oracle_at_receipt"]:
                oracle = Decimal(order["oracle_at_receipt"])
                against_oracle.append((w, 2 * d * (price - oracle) / oracle * 10_000))
            if amm is not None:
                quoted.append((w, 2 * d * (amm - mid) / mid * 10_000))
                improvable += w
                if d * (amm - price) > 0:
                    improved.append((w, d * (amm - price) / amm * 10_000))
            later = [s for s in samples if int(s["block"]) >= int(f["block"]) + 1 and s["market"] == f["market"]]
            if later:  # none past the run's end
                later_mid = Decimal(later[0]["amm_mid"]) or Decimal(later[0]["oracle_price"])
                realized.append((w, 2 * d * (price - later_mid) / mid * 10_000))
            waits.append((w, Decimal(int(f["time"]) - int(order["received_time"]))))
    return {
        "fill_rate": filled / size,
        "cancelled_share": cancelled / size,
        "effective_spread_bps": mean(effective),
        "effective_spread_oracle_bps": mean(against_oracle),
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
