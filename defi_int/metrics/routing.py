"""Routing in the form of SEC Rule 606: where the orders of each period went, ``routing.csv``.

Data flow: ``RunResult.orders`` with their legs (``RunResult.fills`` by digest) are grouped by the
period they arrived in (``keeper.routing_period_seconds`` long, aligned to the epoch, so periods
are calendar spans: hours by default); each period's row says which share of its orders and of
their size the desk filled from its inventory, sent to the AMM, or let rest until expiry; the
desk's own hedges of the period (by their block time) and what they cost against the oracle; and
the fees per venue: the desk's fee on each venue's legs, and the pool's fee the traders' AMM legs
and the desk's hedges paid inside their prices (``RunResult.amm_fee_bps``). A last row, ``all``,
covers the whole run. Every column is defined in ``definitions.COLUMNS["routing.csv"]``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from defi_int.metrics.execution import usd
from defi_int.metrics.records import Hedge, OrderLog, RunResult
from defi_int.orders.booking import Leg
from defi_int.types import BPS


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _row(
    orders: Sequence[OrderLog], legs: dict[bytes, list[Leg]], hedges: Sequence[Hedge], result: RunResult
) -> dict[str, Any]:
    tokens = 10**result.decimals
    size = sum(o.size for o in orders)
    internal = amm = expired = 0
    with_internal = with_amm = expired_orders = 0
    fees = {"internal": 0, "amm": 0}
    pool_fees = 0.0
    for order in orders:
        own = legs.get(order.digest, [])
        got_internal = sum(leg.size for leg in own if leg.venue == "internal")
        got_amm = sum(leg.size for leg in own if leg.venue == "amm")
        internal += got_internal
        amm += got_amm
        with_internal += got_internal > 0
        with_amm += got_amm > 0
        if order.status == "expired":
            expired_orders += 1
            expired += order.size - got_internal - got_amm
        for leg in own:
            fees[leg.venue] += leg.fee
            if leg.venue == "amm":
                pool_fees += leg.quote * result.amm_fee_bps.get(leg.market, 0) / BPS
    hedge_cost = math.fsum((h.quote / tokens - usd(h.size, h.oracle_price)) * (1 if h.is_buy else -1) for h in hedges)
    count = len(orders)
    return {
        "orders": count,
        "size": size,
        "internalized_orders_share": _share(with_internal, count),
        "amm_orders_share": _share(with_amm, count),
        "expired_orders_share": _share(expired_orders, count),
        "internalized_volume_share": _share(internal, size),
        "amm_volume_share": _share(amm, size),
        "expired_volume_share": _share(expired, size),
        "hedges": len(hedges),
        "hedge_size": sum(h.size for h in hedges),
        "hedge_notional_usd": math.fsum(h.quote / tokens for h in hedges),
        "hedge_cost_usd": hedge_cost,
        "fees_received_internal_usd": fees["internal"] / tokens,
        "fees_received_amm_usd": fees["amm"] / tokens,
        "amm_fees_paid_by_traders_usd": pool_fees / tokens,
        "amm_fees_paid_by_desk_usd": math.fsum(
            h.quote * result.amm_fee_bps.get(h.market, 0) / BPS / tokens for h in hedges
        ),
    }


def routing_rows(result: RunResult) -> list[dict[str, Any]]:
    """One row per period that saw an order or a hedge, in time order, then ``all``."""
    period = result.audit.routing_period_seconds
    legs: dict[bytes, list[Leg]] = defaultdict(list)
    for leg in result.fills:
        legs[leg.digest].append(leg)
    orders: dict[int, list[OrderLog]] = defaultdict(list)
    hedges: dict[int, list[Hedge]] = defaultdict(list)
    for order in result.orders:
        orders[order.received_time // period].append(order)
    for hedge in result.hedges:
        hedges[hedge.time // period].append(hedge)
    rows = []
    for index in sorted(set(orders) | set(hedges)):
        row = _row(orders.get(index, []), legs, hedges.get(index, []), result)
        rows.append({"period_start": _iso(index * period), "period_end": _iso((index + 1) * period), **row})
    if rows:
        rows.append({"period_start": "all", "period_end": "", **_row(result.orders, legs, result.hedges, result)})
    return rows


def routing_summary(result: RunResult) -> dict[str, Any]:
    """The whole run's routing row (``summary.json``), sizes in whole base units."""
    rows = routing_rows(result)
    if not rows:
        return {}
    whole = {k: v for k, v in rows[-1].items() if k not in ("period_start", "period_end")}
    whole["size"] /= 10**18
    whole["hedge_size"] /= 10**18
    whole["periods"] = len(rows) - 1
    return whole
