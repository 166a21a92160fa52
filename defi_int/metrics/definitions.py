"""Every field of the execution report, defined once: the report, the CSV headers and the docs read it.

The execution-quality report (``execution``, in the form of SEC Rule 605 as amended in 2024), the
routing report (``routing``, Rule 606), the segments (``segments``), the audits (``audits``) and
the run directory's order, hedge and re-match files (``runfiles``) take their column names, in
order, from ``COLUMNS``; ``TERMS`` defines what those columns are made of (the mid of an AMM, its
quoted spread, an order's type and size bucket, a batch). ``definitions_html`` is the glossary of
the report's section and ``definitions_markdown`` is ``docs/execution.md`` (``make docs`` writes
it; a test fails when the file is stale).

A name with ``{h}`` is a family: one column per markout horizon of the run (``markout_1_bps``...).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One column (or term): its name, its unit, and what it is."""

    name: str
    unit: str
    text: str


#: Notional-size buckets (USD at the mid at receipt): (label, upper bound, exclusive).
BUCKETS: tuple[tuple[str, float], ...] = (
    ("<250", 250.0),
    ("250-1K", 1_000.0),
    ("1K-5K", 5_000.0),
    ("5K-10K", 10_000.0),
    ("10K-20K", 20_000.0),
    ("20K-50K", 50_000.0),
    ("50K-200K", 200_000.0),
    (">=200K", math.inf),
)

#: Realized-spread horizons: (column suffix, blocks, seconds); one of the two is 0.
HORIZONS: tuple[tuple[str, int, int], ...] = (("1b", 1, 0), ("5b", 5, 0), ("60s", 0, 60), ("300s", 0, 300))

ORDER_TYPES: tuple[str, ...] = ("marketable", "non_marketable")


def bucket_of(notional_usd: float) -> str:
    """The size bucket of an order of ``notional_usd``."""
    for label, upper in BUCKETS:
        if notional_usd < upper:
            return label
    return BUCKETS[-1][0]


def _after(blocks: int, seconds: int) -> str:
    if blocks:
        return f"{blocks} block{'s' if blocks > 1 else ''} after the fill"
    return f"{seconds // 60} minute{'s' if seconds > 60 else ''} after the fill"


TERMS: tuple[Field, ...] = (
    Field(
        "mid",
        "USD per base unit",
        "The AMM's mid: the pool's marginal price, quote reserve over base reserve, the price of an "
        "infinitesimal trade before the pool's fee. It is the price the AMM's curve is centred on, as the "
        "midpoint of the best bid and offer is on an order book. A market without a pool uses its oracle price.",
    ),
    Field(
        "mid at receipt",
        "USD per base unit",
        "The mid the desk read in its latest view of the market when the order arrived (the order's receipt).",
    ),
    Field(
        "quoted spread",
        "bps",
        "An AMM displays a price for every size, not one bid and offer: the quoted spread of an order is the "
        "spread the AMM's curve shows for the order's whole size at receipt, 2·D·(AMM average price for the "
        "size − mid)/mid, D = +1 for a buy and −1 for a sell. It holds the pool's fee and its price impact, as "
        "the NBBO's spread holds what a marketable order pays to cross it.",
    ),
    Field(
        "marketable",
        "",
        "An order is marketable at receipt when its limit reached the better of the desk's price and the AMM's "
        "average price for its whole size then; otherwise it is a non-marketable limit order (its statistics "
        "still run from receipt: the run does not record when a resting limit became executable).",
    ),
    Field(
        "notional",
        "USD",
        "An order's size times the mid at receipt; it places the order in a size bucket: "
        + ", ".join(label for label, _ in BUCKETS)
        + " (USD; each bucket includes its lower bound).",
    ),
    Field(
        "covered orders",
        "",
        "The orders the desk admitted (they have a receipt). Orders refused at intake have none and are left "
        "out of the execution-quality table; they are counted in the summary's rejections.",
    ),
    Field(
        "batch",
        "",
        "One settle transaction: the fills of one block (the simulator's step, the bot's loop iteration).",
    ),
    Field(
        "share-weighted",
        "",
        "Averages over fills weigh each fill leg by its size in base units, as Rule 605 weighs by shares.",
    ),
    Field(
        "prices",
        "",
        "Fill prices are the legs' prices before the desk's fee (fees are reported apart, in the routing "
        "table); an AMM leg's price is its average price, its pool fee included.",
    ),
)

_H = "{h}"  # a markout horizon, in steps

COLUMNS: dict[str, tuple[Field, ...]] = {
    "orders.csv": (
        Field("order_digest", "", "The order's EIP-712 digest."),
        Field("trader", "", "The trader's address."),
        Field("trader_type", "", "The trader's population in the scenario (unknown: not one of the scenario's)."),
        Field("market", "", "The market id."),
        Field("side", "", "buy or sell, the trader's side."),
        Field("size", "base units", "The order's size."),
        Field("limit_price", "USD per base unit", "The order's limit."),
        Field("expiry", "unix seconds", "The order's expiry."),
        Field("allow_amm", "", "1 when the order may be routed to the AMM."),
        Field("max_fee_bps", "bps", "The highest fee the trader accepts."),
        Field("received_step", "", "The step the order arrived in (the bot: 0)."),
        Field("received_time", "unix seconds", "When the order arrived."),
        Field("oracle_at_receipt", "USD per base unit", "The oracle price at receipt (empty: stale or none)."),
        Field("amm_mid_at_receipt", "USD per base unit", "The AMM's mid at receipt (empty: no pool)."),
        Field("desk_price_at_receipt", "USD per base unit", "The desk's price for the whole size at receipt."),
        Field("amm_price_at_receipt", "USD per base unit", "The AMM's average price for the whole size at receipt."),
        Field("marketable", "", "1 when the order was marketable at receipt (see the terms)."),
        Field("status", "", "How the order ended: filled, expired, cancelled, rejected, or open at the end."),
        Field("action", "", "The latest batch's action on it (internalize, partial, widen, route, rest, decline)."),
        Field("reason", "", "The reason that bound in the latest batch, or why it was rejected."),
        Field("filled", "base units", "What the order got, on both venues."),
        Field("internal", "base units", "Of filled: from the desk's inventory."),
        Field("first_fill_time", "unix seconds", "The block time of its first fill."),
        Field("last_fill_time", "unix seconds", "The block time of its last fill."),
        Field("p_toxic", "", "The toxicity model's score at receipt (empty: no model scored it)."),
        Field("expected_markout_bps", "bps", "The model's predicted markout (empty: no model)."),
    ),
    "hedges.csv": (
        Field("step", "", "The step of the hedge."),
        Field("block", "", "The hedge's block."),
        Field("time", "unix seconds", "That block's time."),
        Field("market", "", "The market id."),
        Field("side", "", "buy or sell, the desk's side on the AMM."),
        Field("size", "base units", "What the desk traded."),
        Field("quote", "collateral tokens", "What it paid (buy) or received (sell)."),
        Field("oracle_price", "USD per base unit", "The oracle mark the hedge was decided at."),
        Field("gas", "", "The hedge transaction's gas."),
    ),
    "counterfactuals.csv": (
        Field("step", "", "The batch's step."),
        Field("block", "", "The block of the view the batch was planned on."),
        Field("market", "", "The market id."),
        Field("order_digest", "", "The order whose legs the re-match changed."),
        Field("trader", "", "The trader's address."),
        Field("side", "", "The trader's side."),
        Field(
            "variant",
            "",
            "permuted: the batch served in reverse arrival order; no_skew: priced without the inventory skew.",
        ),
        Field("mark", "USD per base unit", "The batch's oracle mark."),
        Field("internal", "base units", "The internal size the batch planned."),
        Field("internal_price", "USD per base unit", "Its price (0: no internal leg)."),
        Field("amm", "base units", "The AMM size the batch planned."),
        Field("amm_quote", "collateral tokens", "Its quote (0: no AMM leg)."),
        Field("cf_internal", "base units", "The internal size the re-match planned."),
        Field("cf_internal_price", "USD per base unit", "Its price."),
        Field("cf_amm", "base units", "The AMM size the re-match planned."),
        Field("cf_amm_quote", "collateral tokens", "Its quote."),
    ),
    "execution.csv": (
        Field("market", "", "The market id."),
        Field("order_type", "", "marketable or non_marketable (at receipt, see the terms)."),
        Field("size_bucket", "USD", "The notional bucket (see the terms)."),
        Field("orders", "", "Covered orders in the group."),
        Field("notional_usd", "USD", "Their notional at receipt."),
        Field("size", "base units", "Their total size."),
        Field("filled", "base units", "What they got, on both venues."),
        Field("fill_rate", "", "filled / size."),
        Field("cancelled_share", "", "Size left unfilled by orders that ended cancelled, over size."),
        Field("expired_share", "", "Size left unfilled by orders that ended expired, over size."),
        Field("rejected_share", "", "Size left unfilled by orders that ended rejected, over size."),
        Field(
            "open_share",
            "",
            "Size still resting when the run ended, over size; the five shares (fill rate included) sum to 1.",
        ),
        Field(
            "effective_spread_bps",
            "bps of the mid at receipt",
            "Share-weighted average of 2·D·(fill price − mid at receipt)/mid at receipt over the group's fills.",
        ),
        Field(
            "effective_spread_oracle_bps",
            "bps of the oracle at receipt",
            "The same against the oracle price at receipt (the index the desk prices around), over the fills of "
            "orders that had a fresh oracle: the desk's own spread, whatever the AMM's mid did.",
        ),
        Field(
            "quoted_spread_bps",
            "bps of the mid at receipt",
            "Share-weighted average (same weights) of each filled order's quoted spread (see the terms).",
        ),
        Field(
            "eq_ratio",
            "",
            "E/Q: effective_spread_bps / quoted_spread_bps over the fills of orders that have a quoted spread "
            "(below 1: better than the AMM's displayed price for the size; 0: at the mid).",
        ),
        Field(
            "price_improved_share",
            "",
            "Filled size priced better for the trader than the AMM's average price for the order's size at "
            "receipt, over filled size with such a price.",
        ),
        Field(
            "price_improvement_bps",
            "bps of the AMM's price",
            "Share-weighted average improvement, D·(AMM price at receipt − fill price)/AMM price, over the "
            "price-improved fills only (Rule 605's average amount per share of price improvement).",
        ),
        *(
            Field(
                f"realized_spread_{suffix}_bps",
                "bps of the mid at receipt",
                f"Share-weighted average of 2·D·(fill price − mid {_after(blocks, seconds)})/mid at receipt: "
                "what the desk keeps once the market moved (the effective spread less twice the price impact). "
                "The later mid is the market's first recorded sample at or after that point; fills with none "
                "(past the run's end) are left out.",
            )
            for suffix, blocks, seconds in HORIZONS
        ),
        Field(
            "time_to_fill_avg_s",
            "seconds",
            "Share-weighted average of each fill's block time less the order's time of receipt.",
        ),
        Field("time_to_fill_p90_s", "seconds", "The share-weighted 90th percentile of the same."),
    ),
    "routing.csv": (
        Field("period_start", "UTC", "The period's start; periods are keeper.routing_period_seconds long."),
        Field("period_end", "UTC", "Its end (exclusive). Orders belong to the period they arrived in."),
        Field("orders", "", "Orders received in the period."),
        Field("size", "base units", "Their total size."),
        Field("internalized_orders_share", "", "Orders with a fill from the desk's inventory, over orders."),
        Field("amm_orders_share", "", "Orders with a leg sent to the AMM, over orders (an order may have both)."),
        Field("expired_orders_share", "", "Orders that rested and then expired, over orders."),
        Field("internalized_volume_share", "", "Size filled from the desk's inventory, over size."),
        Field("amm_volume_share", "", "Size sent to the AMM, over size."),
        Field("expired_volume_share", "", "Size that rested and expired unfilled, over size."),
        Field("hedges", "", "The desk's own AMM trades in the period (by their block time)."),
        Field("hedge_size", "base units", "Their total size."),
        Field("hedge_notional_usd", "USD", "Their quotes."),
        Field(
            "hedge_cost_usd",
            "USD",
            "What they cost against the oracle mark: paid above it (buys), received below it (sells).",
        ),
        Field("fees_received_internal_usd", "USD", "The desk's fee on the internal legs of the period's orders."),
        Field("fees_received_amm_usd", "USD", "The desk's fee on their AMM legs (charged on top of the AMM's)."),
        Field(
            "amm_fees_paid_by_traders_usd",
            "USD",
            "The pool's fee inside their AMM legs' prices: quote × the market's amm_fee_bps (approximate: the "
            "pool takes its fee from the amount in).",
        ),
        Field("amm_fees_paid_by_desk_usd", "USD", "The pool's fee inside the desk's hedges, the same way."),
    ),
    "segments.csv": (
        Field("segment_kind", "", "trader_type, size_bucket (the order's, at receipt), venue, or toxicity_decile."),
        Field("segment", "", "The segment (toxicity deciles: d1 lowest score .. d10 highest, among scored orders)."),
        Field("orders", "", "Orders with a fill leg in the segment."),
        Field("legs", "", "Fill legs in the segment."),
        Field("size", "base units", "Their size."),
        Field("notional_usd", "USD", "Their quotes."),
        Field("fees_usd", "USD", "The desk's fees on them."),
        Field(
            "spread_capture_usd",
            "USD",
            "The desk's gain on the internal legs against the oracle at the fill, D·(price − oracle)·size.",
        ),
        Field(
            f"markout_{_H}_bps",
            "bps",
            "The desk's size-weighted markout of the internal legs h steps later (negative: the trader was "
            "right), as in the summary's markouts.",
        ),
        Field(
            f"pnl_{_H}_usd",
            "USD",
            "The desk's PnL on the segment marked h steps later: its fees plus D·(price − oracle h steps "
            "later)·size on the internal legs that reach that far.",
        ),
    ),
    "counterfactual_gains.csv": (
        Field("variant", "", "permuted or no_skew (see counterfactuals.csv)."),
        Field("trader_type", "", "The trader segment (all: every order)."),
        Field("orders", "", "Orders whose legs the re-match changed."),
        Field(
            "size_gained",
            "base units",
            "Σ (filled as planned − filled by the re-match): size the desk's priorities gave the segment.",
        ),
        Field("internal_gained", "base units", "The same for the internal legs alone."),
        Field(
            "price_gained_usd",
            "USD",
            "Σ D·(re-match's average price − planned average price)·(the size both filled): what the desk's "
            "priorities saved the segment in price.",
        ),
        Field("worse_off", "", "Orders that lost size or price to the desk's priorities."),
    ),
    "violations.csv": (
        Field(
            "audit",
            "",
            "best_execution, trading_ahead, equal_treatment or counterfactual (see the audits' definitions).",
        ),
        Field("step", "", "The step of the offending fill, hedge or batch."),
        Field("block", "", "Its block."),
        Field("market", "", "The market id."),
        Field("side", "", "The trader's side (trading ahead: also the hedge's)."),
        Field("order_digest", "", "The order concerned."),
        Field("size", "base units", "The leg's size (trading ahead: the hedge's; counterfactual: size lost)."),
        Field("price", "USD per base unit", "The price the order got (trading ahead: the hedge's)."),
        Field(
            "reference_price",
            "USD per base unit",
            "What it is held to: the AMM's price for the size (best execution), the order's fill (trading "
            "ahead), the best price in the group (equal treatment), the re-match's price (counterfactual).",
        ),
        Field(
            "bps",
            "bps",
            "How far off, in bps of the reference; trading ahead: the client's leg against the AMM's price for "
            "its size at its own block, after the hedge (positive: it still beat the AMM).",
        ),
        Field("detail", "", "One sentence."),
    ),
}

AUDITS: tuple[Field, ...] = (
    Field(
        "best_execution",
        "violations",
        "Internal legs priced worse for the trader than the AMM's quote for the same size at the same block "
        "(the leg's amm_quote: its notional above the AMM's cost for a buy, below its proceeds for a sell).",
    ),
    Field(
        "trading_ahead",
        "violations",
        "Pairs of a hedge and a client order on the same market and side, the order received before the "
        "hedge and filled or routed within keeper.trading_ahead_blocks blocks after it: the desk took the "
        "AMM's liquidity ahead of a client it held.",
    ),
    Field(
        "equal_treatment",
        "violations",
        "Groups of two or more marketable orders of one batch, market, side and size bucket whose internal "
        "prices spread wider than keeper.equal_treatment_bps of the mark; the dispersion is (highest − "
        "lowest price)/mark over every such group.",
    ),
    Field(
        "counterfactual",
        "violations",
        "Each batch planned again served in reverse arrival order (permuted) and priced without the inventory "
        "skew (no_skew), with keeper.counterfactual_audit on: the orders the desk's priorities left worse off "
        "(less size, or a worse price on the size both filled), and each trader segment's gain or loss.",
    ),
)


def columns(name: str, horizons: Sequence[int] = ()) -> list[str]:
    """The header of ``name``, ``{h}`` families expanded over ``horizons``."""
    out: list[str] = []
    for f in COLUMNS[name]:
        out += [f.name.replace(_H, str(h)) for h in horizons] if _H in f.name else [f.name]
    return out


def _rows_md(fields: Sequence[Field]) -> list[str]:
    lines = ["| field | unit | definition |", "| --- | --- | --- |"]
    lines += [f"| `{f.name}` | {f.unit} | {f.text} |" for f in fields]
    return lines


def definitions_markdown() -> str:
    """``docs/execution.md``: the terms, the audits and every column, from this registry."""
    lines = [
        "# Execution quality, routing, segments and audits: definitions",
        "",
        "Generated from `defi_int/metrics/definitions.py` by `make docs`; the report's glossary is the same"
        " text, and the CSV headers are these names in this order.",
        "",
        "## Terms",
        "",
        *_rows_md(TERMS),
        "",
        "## Audits",
        "",
        *_rows_md(AUDITS),
    ]
    for name, fields in COLUMNS.items():
        lines += ["", f"## `{name}`", "", *_rows_md(fields)]
    return "\n".join(lines) + "\n"


def _rows_html(fields: Sequence[Field]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(f.name)}</th><td>{html.escape(f.unit)}</td><td>{html.escape(f.text)}</td></tr>"
        for f in fields
    )
    return f"<table><tr><th>field</th><th>unit</th><th>definition</th></tr>{body}</table>"


def definitions_html() -> str:
    """The report's glossary: terms, audits and every column, folded."""
    parts = ["<details><summary>Definitions</summary>", "<h4>Terms</h4>", _rows_html(TERMS)]
    parts += ["<h4>Audits</h4>", _rows_html(AUDITS)]
    for name, fields in COLUMNS.items():
        parts += [f"<h4>{html.escape(name)}</h4>", _rows_html(fields)]
    parts.append("</details>")
    return "\n".join(parts)
