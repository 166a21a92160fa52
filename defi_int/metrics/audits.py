"""Audits the desk cannot pass by accident: best execution, trading ahead, equal treatment, and the
counterfactual re-match. Each is a count of violations with the offending rows listed.

Data flow (what each reads of a ``RunResult``; the rules are ``definitions.AUDITS``):

- ``best_execution``: every internal leg (``fills``) against the AMM's quote for the same size at
  the same block (the leg's ``amm_quote``, what the contract's own check compares: a buyer's
  notional no higher than the AMM's cost, a seller's no lower than its proceeds);
- ``trading_ahead``: every hedge (``hedges``) against the client orders on its market and side
  that arrived before it (``orders``) and filled or were routed within
  ``audit.trading_ahead_blocks`` blocks after it (their first leg in that window, with what that
  leg still gained against the AMM's price for its size after the hedge);
- ``equal_treatment``: per batch (block), market, side and size bucket, the internal prices of the
  orders marketable at receipt (``execution.covered``); a group of two or more whose prices spread
  wider than ``audit.equal_treatment_bps`` of the mark is a violation, and the dispersion is
  reported over every group;
- ``counterfactual``: the re-matches the keeper recorded (``counterfactuals``, ``keeper.audit``),
  per variant and trader segment: the size and price the desk's priorities gave or took, and the
  orders they left worse off.

``run_audits`` returns every audit's figures (``summary.json``'s ``audits``), the rows of
``violations.csv`` and of ``counterfactual_gains.csv``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from defi_int.metrics.execution import Covered, covered, side
from defi_int.metrics.fills import price_improvement_bps
from defi_int.metrics.records import Counterfactual, RunResult
from defi_int.metrics.summary import stats
from defi_int.orders.booking import Leg
from defi_int.orders.rules import beats_amm

#: Rows of each audit kept in ``summary.json`` (all of them are in ``violations.csv``).
SUMMARY_ROWS = 50


@dataclass
class Audit:
    """One audit's outcome: what it checked, the violations, and its own figures."""

    name: str
    checked: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        out = {"checked": self.checked, "violations": len(self.rows), **self.figures}
        out["rows"] = [_json(row) for row in self.rows[:SUMMARY_ROWS]]
        return out


def _json(row: dict[str, Any]) -> dict[str, Any]:
    keep = {k: v for k, v in row.items() if k != "audit"}
    for key in ("size", "price", "reference_price"):
        if isinstance(keep.get(key), int):
            keep[key] = keep[key] / 10**18
    return keep


def _violation(audit: str, **values: Any) -> dict[str, Any]:
    return {"audit": audit, **values}


def _bps(part: int, whole: int) -> float | None:
    return part * 10_000 / whole if whole else None


def best_execution(result: RunResult) -> Audit:
    """Internal legs worse for the trader than the AMM's quote for the same size at the same block."""
    checked = [leg for leg in result.fills if leg.venue == "internal" and leg.amm_quote]
    audit = Audit("best_execution", len(checked))
    for leg in checked:
        if beats_amm(leg.is_buy, leg.quote, leg.amm_quote):
            continue
        worse = side(leg.is_buy) * (leg.price - leg.amm_quote_price)
        audit.rows.append(
            _violation(
                "best_execution",
                step=leg.step,
                block=leg.block,
                market=leg.market,
                side=_side(leg.is_buy),
                order_digest=leg.order_digest,
                size=leg.size,
                price=leg.price,
                reference_price=leg.amm_quote_price,
                bps=_bps(worse, leg.amm_quote_price),
                detail=f"internal notional {leg.quote} against the AMM's {leg.amm_quote} for the same size",
            )
        )
    audit.figures["unchecked_internal_legs"] = sum(1 for leg in result.fills if leg.venue == "internal") - len(checked)
    return audit


def trading_ahead(result: RunResult) -> Audit:
    """Hedges on the side of client orders the desk held, within N blocks before their fill."""
    window = result.audit.trading_ahead_blocks
    received = {order.digest: order.received_time for order in result.orders}
    legs: dict[tuple[int, bool], list[Leg]] = defaultdict(list)  # chain order, so by block
    for leg in result.fills:
        if leg.digest in received:
            legs[(leg.market, leg.is_buy)].append(leg)
    for found in legs.values():
        found.sort(key=lambda leg: leg.block)
    blocks = {key: [leg.block for leg in found] for key, found in legs.items()}
    audit = Audit("trading_ahead", len(result.hedges), figures={"window_blocks": window})
    hedged_orders: set[bytes] = set()
    for hedge in result.hedges:
        key = (hedge.market, hedge.is_buy)
        if key not in legs:
            continue
        start = bisect.bisect_right(blocks[key], hedge.block)
        stop = bisect.bisect_right(blocks[key], hedge.block + window)
        seen: set[bytes] = set()
        for leg in legs[key][start:stop]:
            if leg.digest in seen or received[leg.digest] > hedge.time:
                continue
            seen.add(leg.digest)
            hedged_orders.add(leg.digest)
            price = hedge.quote * 10 ** (36 - result.decimals) // hedge.size if hedge.size else 0
            audit.rows.append(
                _violation(
                    "trading_ahead",
                    step=hedge.step,
                    block=hedge.block,
                    market=hedge.market,
                    side=_side(hedge.is_buy),
                    order_digest=leg.order_digest,
                    size=hedge.size,
                    price=price,
                    reference_price=leg.price,
                    bps=price_improvement_bps(leg),
                    detail=f"the desk's hedge at block {hedge.block}, then the order's {leg.venue} leg "
                    f"{leg.block - hedge.block} block(s) later at block {leg.block}",
                )
            )
    audit.figures["orders"] = len(hedged_orders)
    audit.figures["hedges_ahead"] = len({row["block"] for row in audit.rows})
    return audit


def equal_treatment(result: RunResult, orders: Sequence[Covered]) -> Audit:
    """Marketable orders of one batch, market, side and size bucket priced apart."""
    tolerance = result.audit.equal_treatment_bps
    groups: dict[tuple[int, int, bool, str], list[tuple[Leg, Covered]]] = defaultdict(list)
    for c in orders:
        if c.order_type != "marketable":
            continue
        for leg in c.legs:
            if leg.venue == "internal" and leg.oracle_price:
                groups[(leg.block, leg.market, leg.is_buy, c.bucket)].append((leg, c))
    dispersions = []
    audit = Audit("equal_treatment", 0, figures={"tolerance_bps": tolerance})
    for (block, market, is_buy, bucket), members in sorted(groups.items()):
        if len({leg.digest for leg, _ in members}) < 2:
            continue
        audit.checked += 1
        prices = [leg.price for leg, _ in members]
        mark = members[0][0].oracle_price
        dispersion = (max(prices) - min(prices)) * 10_000 / mark
        dispersions.append(dispersion)
        if dispersion <= tolerance:
            continue
        best = min(prices) if is_buy else max(prices)
        worst_leg = max(members, key=lambda m: side(is_buy) * m[0].price)[0]
        audit.rows.append(
            _violation(
                "equal_treatment",
                step=worst_leg.step,
                block=block,
                market=market,
                side=_side(is_buy),
                order_digest=worst_leg.order_digest,
                size=worst_leg.size,
                price=worst_leg.price,
                reference_price=best,
                bps=dispersion,
                detail=f"{len(members)} marketable orders in bucket {bucket}: internal prices "
                f"{min(prices)}..{max(prices)}",
            )
        )
    audit.figures["dispersion_bps"] = stats(dispersions, ("mean", "p95", "max"))
    return audit


def _change(c: Counterfactual, decimals: int) -> tuple[int, int, float]:
    """Size gained, internal size gained, and USD saved on the common size by the planned legs."""
    scale = 10 ** (36 - decimals)
    planned, other = c.internal + c.amm, c.cf_internal + c.cf_amm
    common = min(planned, other)
    price_gain = 0.0
    if common:
        # average prices (1e18) from the legs' costs in collateral units
        cost = c.internal * c.internal_price / scale + c.amm_quote
        cf_cost = c.cf_internal * c.cf_internal_price / scale + c.cf_amm_quote
        price_gain = side(c.is_buy) * (cf_cost / other - cost / planned) * common / 10**decimals
    return planned - other, c.internal - c.cf_internal, price_gain


def counterfactual(result: RunResult) -> tuple[Audit, list[dict[str, Any]]]:
    """The re-matches per variant and trader segment, and the orders the desk's priorities hurt."""
    gains: dict[tuple[str, str], list[int | float]] = defaultdict(lambda: [0, 0, 0, 0.0, 0])
    audit = Audit("counterfactual", len(result.counterfactuals))  # checked: the orders a re-match changed
    variants = []
    for c in result.counterfactuals:
        size, internal, price = _change(c, result.decimals)
        worse = size < 0 or price < -0.5 / 10**result.decimals  # less size, or half a unit or more in price
        if c.variant not in variants:
            variants.append(c.variant)
        for segment in (result.trader_type(c.trader), "all"):
            g = gains[(c.variant, segment)]
            g[0] += 1
            g[1] += size
            g[2] += internal
            g[3] += price
            g[4] += worse
        if worse:
            planned, other = c.internal + c.amm, c.cf_internal + c.cf_amm
            audit.rows.append(
                _violation(
                    "counterfactual",
                    step=c.step,
                    block=c.block,
                    market=c.market,
                    side=_side(c.is_buy),
                    order_digest="0x" + c.digest.hex(),
                    size=max(0, other - planned),
                    price=_average(c.internal, c.internal_price, c.amm, c.amm_quote, result.decimals),
                    reference_price=_average(
                        c.cf_internal, c.cf_internal_price, c.cf_amm, c.cf_amm_quote, result.decimals
                    ),
                    bps=None,
                    detail=f"{c.variant}: planned {planned} ({c.internal} internal), re-matched {other} "
                    f"({c.cf_internal} internal); price gained {price:.6f} USD",
                )
            )
    order = sorted(gains, key=lambda key: (_rank(key[0]), key[1] == "all", key[1]))
    rows = [
        {"variant": variant, "trader_type": segment, "orders": g[0], "size_gained": g[1], "internal_gained": g[2],
         "price_gained_usd": g[3], "worse_off": g[4]}
        for variant, segment in order
        for g in (gains[(variant, segment)],)
    ]  # fmt: skip
    audit.figures["by_segment"] = {
        f"{row['variant']}:{row['trader_type']}": {k: row[k] for k in list(row)[2:]} for row in rows
    }
    for entry in audit.figures["by_segment"].values():
        entry["size_gained"] /= 10**18
        entry["internal_gained"] /= 10**18
    return audit, rows


def _rank(variant: str) -> int:
    return {"permuted": 0, "no_skew": 1}.get(variant, 2)


def _average(internal: int, price: int, amm: int, amm_quote: int, decimals: int) -> int:
    """The average price (1e18) of legs of ``internal`` at ``price`` and ``amm`` for ``amm_quote``."""
    size = internal + amm
    if not size:
        return 0
    cost = internal * price + amm_quote * int(10 ** (36 - decimals))
    return cost // size


def _side(is_buy: bool) -> str:
    return "buy" if is_buy else "sell"


def run_audits(
    result: RunResult, orders: Sequence[Covered] | None = None
) -> tuple[dict[str, Audit], list[dict[str, Any]], list[dict[str, Any]]]:
    """Every audit by name, the rows of ``violations.csv``, and those of ``counterfactual_gains.csv``."""
    orders = covered(result) if orders is None else orders
    cf, gains = counterfactual(result)
    audits = {a.name: a for a in (best_execution(result), trading_ahead(result), equal_treatment(result, orders), cf)}
    violations = [row for audit in audits.values() for row in audit.rows]
    return audits, violations, gains
