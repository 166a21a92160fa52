"""Every field of a run's own files, defined once: ``fills.csv``, ``timeseries.csv``, ``summary.json``
and a study's per-run figures (``results.*`` of a sweep, a comparison or an experiment).

The execution-quality files have their registry in ``definitions`` (``COLUMNS``, ``TERMS``,
``AUDITS``); this module holds the rest, in the same ``Field`` form, so the documentation's report
reference (``python -m defi_int.reference``, ``make docs``) renders both. The writers keep their
column order (``fills.FILL_COLUMNS``, ``timeseries.TIMESERIES_COLUMNS``, ``summary.summarize``,
``research.runs.figures``); a test holds each registry here to them, name for name, so a column or
key added without its definition fails the suite.

Names: ``{h}`` is a family, one column or key per markout horizon of the run (``markout_bps_5``);
a ``summary.json`` entry names a key path with dots (``liquidations.by_venue``) and covers
everything under it.
"""

from __future__ import annotations

from defi_int.metrics.definitions import Field
from defi_int.metrics.pnl import PARTS

_PARTS = ", ".join(PARTS)

FILLS: tuple[Field, ...] = (
    Field("block", "", "The block the leg was settled in."),
    Field("time", "unix seconds", "That block's timestamp."),
    Field("step", "", "The simulator's step (the bot: its sample step)."),
    Field("order_digest", "", "The order's EIP-712 digest."),
    Field("trader", "", "The trader's address."),
    Field("trader_type", "", "The trader's population in the scenario (unknown: not one of the scenario's)."),
    Field("market", "", "The market id."),
    Field("side", "", "buy or sell, the trader's side."),
    Field("venue", "", "internal (against the desk's inventory) or amm (routed to the AMM)."),
    Field("size", "base units", "The leg's size."),
    Field("price", "USD per base unit", "The leg's price before the desk's fee (an AMM leg: its average price)."),
    Field("limit_price", "USD per base unit", "The order's limit."),
    Field("oracle_price", "USD per base unit", "The oracle price the leg was judged at (0: stale)."),
    Field("amm_mid", "USD per base unit", "The AMM's mid (quote over base reserve) just before the fill's legs."),
    Field(
        "amm_quote_price",
        "USD per base unit",
        "amm_quote as an average price, rounded like price (0: no quote).",
    ),
    Field(
        "price_improvement_bps",
        "bps",
        "What the trader gained against amm_quote_price, in bps of it: (amm_quote_price − price)/amm_quote_price "
        "for a buy, the opposite for a sell; 0 on AMM legs.",
    ),
    Field("deviation_bps", "bps", "(price − oracle_price)/oracle_price, signed."),
    Field("fee", "collateral tokens", "The desk's fee on the leg (feeBps of its notional, rounded up)."),
    Field("gas", "gas", "The leg's share of its settle transaction's gas."),
    Field("quote", "collateral tokens", "What the trader paid (buy) or received (sell) for the size, before the fee."),
    Field(
        "amm_quote",
        "collateral tokens",
        "What the AMM would have charged (buy) or paid (sell) for the size just before.",
    ),
)

TIMESERIES: tuple[Field, ...] = (
    Field("step", "", "The step (one row per market and step)."),
    Field("block", "", "The step's last block."),
    Field("time", "unix seconds", "That block's timestamp."),
    Field("market", "", "The market id."),
    Field("index_price", "USD per base unit", "The price path's value at the step (what informed traders foresee)."),
    Field("oracle_price", "USD per base unit", "The price the oracle holds (it may lag the path or be stale)."),
    Field("amm_mid", "USD per base unit", "The AMM's mid at the end of the step."),
    Field("amm_oracle_deviation_bps", "bps", "(amm_mid − oracle_price)/oracle_price, signed."),
    Field("inventory", "base units", "The desk's position in the market."),
    Field("desk_cash", "collateral tokens", "The desk's cash in the Vault (all markets)."),
    Field("fee_cash", "collateral tokens", "The fee account's cash in the Vault."),
    Field(
        "desk_equity",
        "collateral tokens",
        "The desk's cash plus every desk position at the step's oracle prices (the same on each market's row).",
    ),
    *(
        Field(f"pnl_{part}", "collateral tokens", f"The cumulative PnL from {part} (see summary.json pnl_breakdown).")
        for part in PARTS
    ),
    Field("pnl_total", "collateral tokens", "The cumulative PnL, the sum of the parts."),
)

SUMMARY: tuple[Field, ...] = (
    Field("scenario", "", "The scenario's name."),
    Field("seed", "", "The seed the run used."),
    Field("backend", "", "The chain: revm, pyevm, anvil or rpc."),
    Field("contracts", "", "Each deployed contract's address, by name."),
    Field("orders_total", "orders", "Orders the traders signed and sent."),
    Field("orders_filled", "orders", "Orders filled, whole or in part."),
    Field("orders_rejected", "orders", "Orders refused (at intake or by the off-chain replay of settle)."),
    Field("orders_expired", "orders", "Orders that expired before they filled."),
    Field("orders_open", "orders", "Orders still resting at the end of the run."),
    Field("rejections", "orders", "Rejected orders by reason code (the errors reference lists the codes)."),
    Field("arbitrage_reverts", "transactions", "The arbitrageurs' reverted trades by custom error."),
    Field("fill_legs", "legs", "Rows of fills.csv: one per internal or AMM leg."),
    Field("settled_fills", "fills", "Fills as the contract counts them: one per order and batch."),
    Field("internal_volume", "base units", "The size the desk filled from its inventory."),
    Field("amm_volume", "base units", "The size routed to the AMM."),
    Field("internalization_rate", "", "internal_volume / (internal_volume + amm_volume)."),
    Field("inventory_final", "base units", "The desk's position at the end, by market id."),
    Field("pnl_total", "collateral tokens", "The desk's PnL over the run, the sum of its parts."),
    Field(
        "pnl_breakdown",
        "collateral tokens",
        f"The PnL by part ({_PARTS}): spread capture (each internal fill against the oracle at that "
        "moment), inventory mark-to-market (oracle moves on the held position), fees, hedging (the desk's own "
        "AMM trades), funding (what the desk's book settled) and liquidations (positions taken from liquidated "
        "accounts at the oracle).",
    ),
    Field("pnl_breakdown_units", "collateral units", "The same parts and the total as exact integers."),
    Field("pnl_residual_units", "collateral units", "The total less the sum of the parts: 0 to the unit."),
    Field("internal_notional", "collateral tokens", "The desk's volume: Σ of the internal legs' quotes."),
    Field("pnl_bps_of_volume", "bps", "The total and each part in bps of internal_notional (the parts add up)."),
    Field("pnl_share", "", "Each part as a signed share of the gross PnL Σ|part| (absolute values add up to 1)."),
    Field(
        "sharpe_per_step",
        "",
        "Mean over sd of the total PnL's change per step, marked at the oracle, not annualized.",
    ),
    Field("max_drawdown", "collateral tokens", "The largest fall of the cumulative PnL from its running peak."),
    Field("max_drawdown_bps_of_volume", "bps", "max_drawdown in bps of internal_notional."),
    Field("price_deviation_bps", "bps", "mean, p50, p95 and max of |deviation_bps| over the legs."),
    Field("price_improvement_bps", "bps", "mean and p50 of price_improvement_bps over the internal legs."),
    Field(
        "markouts_bps",
        "bps",
        "The desk's markout of its internal fills at each horizon (keeper.markout_horizons, in steps); "
        "negative: the trader was right.",
    ),
    Field("markouts_bps_by_type", "bps", "The same, by trader population."),
    Field("amm_oracle_deviation_bps", "bps", "mean, p95 and max of |amm_oracle_deviation_bps| over the steps."),
    Field("gas_per_fill", "gas", "settle_gas / settled_fills."),
    Field("settle_transactions", "transactions", "Settle transactions sent."),
    Field("settle_gas", "gas", "Their gas, in all."),
    Field("hedge_transactions", "transactions", "The desk's hedges on the AMM."),
    Field("hedge_gas", "gas", "Their gas, in all."),
    Field("liquidations.count", "liquidations", "Closes the keeper's liquidator sent."),
    Field("liquidations.accounts", "accounts", "Distinct accounts liquidated."),
    Field(
        "liquidations.by_venue",
        "liquidations",
        "Closes the desk took part of (desk) and the AMM took part of (amm); a split close counts for both.",
    ),
    Field("liquidations.size_by_venue", "base units", "The size each venue took."),
    Field("liquidations.penalties", "collateral tokens", "The penalties the accounts paid."),
    Field("liquidations.bad_debt", "collateral tokens", "Bad debt the insurance fund covered."),
    Field("liquidations.bad_debt_uncovered", "collateral tokens", "Bad debt beyond what the fund held."),
    Field("liquidations.insurance_fund", "collateral tokens", "The insurance fund at the end."),
    Field("liquidations.gas", "gas", "The liquidations' gas, in all."),
    Field("wall_seconds", "seconds", "The run's wall time."),
    Field("orders_per_second", "orders per second", "orders_total / wall_seconds."),
    Field("phase_seconds", "seconds", "Where the wall time went: setup, each part of a step, finish."),
    Field("invariants", "", "Each ledger invariant read from the chain at the end: true when it holds."),
    Field("invariants_ok", "", "Every invariant holds and pnl_residual_units is 0."),
    Field(
        "report_params",
        "",
        "What the execution report needs besides the tables: decimals, markout horizons, the AMM's fee per "
        "market, the audits' parameters (defi-int report execution reads it back).",
    ),
    Field("execution", "", "The execution-quality table's totals: all orders, marketable, non-marketable."),
    Field("routing", "", "The routing report's figures for the whole run."),
    Field("segments", "", "The desk's markouts and PnL by trader type, size bucket and venue."),
    Field("audits", "", "Each audit's count of violations, what it checked and the offending rows."),
)

#: The summary.json keys every study run's row carries as they are (``research.runs.figures``).
STUDY_SUMMARY_KEYS: tuple[str, ...] = (
    "orders_total",
    "orders_filled",
    "orders_rejected",
    "orders_expired",
    "internal_volume",
    "amm_volume",
    "internalization_rate",
    "pnl_total",
)
STUDY: tuple[Field, ...] = (
    *(Field(name, "", f"As in summary.json ({name}).") for name in STUDY_SUMMARY_KEYS),
    *(Field(f"pnl_{part}", "collateral tokens", f"summary.json pnl_breakdown.{part}.") for part in PARTS),
    Field(
        "pnl_at_close",
        "collateral tokens",
        "The desk's cash change plus its final inventory at the price path's value at the end of the run "
        "(Avellaneda–Stoikov's X_T + q_T·S_T).",
    ),
    Field("pnl_at_close_units", "collateral units", "The same, exact."),
    Field("pnl_bps_of_volume", "bps", "summary.json pnl_bps_of_volume.total."),
    Field("sharpe_per_step", "", "As in summary.json."),
    Field("max_drawdown", "collateral tokens", "As in summary.json."),
    Field("max_drawdown_bps_of_volume", "bps", "As in summary.json."),
    Field("desk_cash_change_units", "collateral units", "The desk's cash at the end less at the start."),
    Field("inventory_final", "base units", "The desk's final position, summed over markets."),
    Field("inventory_final_units", "1e18 base units", "The same, exact."),
    Field("inventory_abs_mean", "base units", "The mean of |inventory| over the steps (inventory risk)."),
    Field("inventory_sd", "base units", "The sd of the inventory over the steps (inventory risk)."),
    Field("price_deviation_bps_mean", "bps", "summary.json price_deviation_bps.mean."),
    Field("price_improvement_bps_mean", "bps", "summary.json price_improvement_bps.mean."),
    Field("markout_bps_{h}", "bps", "summary.json markouts_bps at horizon {h}."),
    Field("amm_oracle_deviation_bps_mean", "bps", "summary.json amm_oracle_deviation_bps.mean."),
    Field("gas_per_fill", "gas", "As in summary.json."),
    Field("settle_transactions", "transactions", "As in summary.json."),
    Field("hedge_transactions", "transactions", "As in summary.json."),
    Field("wall_seconds", "seconds", "As in summary.json."),
    Field("invariants_ok", "", "As in summary.json."),
    Field(
        "flow_digest",
        "",
        "A hash of every order the agents sent: two policies compared on one seed must have the same.",
    ),
)

#: Each registry by the file it describes, in the order the reference shows them.
RUN_FIELDS: dict[str, tuple[Field, ...]] = {
    "fills.csv": FILLS,
    "timeseries.csv": TIMESERIES,
    "summary.json": SUMMARY,
    "results.csv": STUDY,
}
