"""``defi-int keeper report``: a keeper's journal as the report ``defi-int run`` writes.

The journal is read into a ``metrics.records.RunResult`` and handed to ``metrics.report``, so the
files, columns and summary keys are the simulator's:

- fills: every booked leg (``Journal.fill_records``), its ``step`` the loop's sample step at or
  after its block (the time series point that follows it, as a simulated fill's step is followed by
  that step's point); trader types are ``unknown`` (the journal knows accounts, not populations);
- time series: one point per market per sample (oracle, AMM mid, the desk's inventory and cash;
  the index price is the oracle's, a live market has no path);
- desk events, in chain order up to the last sample: the marks of every sample, the internal legs
  (the desk on the other side), their fees, the hedges, the desk's funding (its words of the
  Vault's ``FundingSettled``) and the positions it took in liquidations (anyone's: cash moved as
  the Vault moves it); the PnL walk starts at the first sample and ends at the last, so its
  residual is 0 when nothing else moved the desk's books (an owner's deposit or withdrawal would);
- liquidations: every ``Liquidated`` booked, with the keeper's liquidation gas and the insurance
  fund at the last sample;
- counts from the orders' statuses and rejection reasons, settle and hedge transactions and gas,
  and the invariants the loop last recorded (at its last start or graceful stop);
- for the execution-quality section and its audits (``metrics.transparency``): every order with
  what the desk saw at its receipt and its latest trace (``OrderLog``: resting and partially filled
  orders are ``open``), the hedges, and the batches' counterfactual re-matches (each placed at the
  sample step of its block), the pools' fees from the deployment; the audits' parameters are the
  declared defaults (``keeper.trading_ahead_blocks`` ...).

Bad input (no journal, not a journal, nothing sampled yet) is one ``ConfigError`` line.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from defi_int.bot.journal import Journal, LegRecord, LiquidationBooked, OrderRecord
from defi_int.exceptions import ConfigError
from defi_int.keeper.quote import order_log
from defi_int.market.ledger import notional
from defi_int.metrics.records import (
    BookState,
    DeskEvent,
    Hedge,
    LiquidationRecord,
    OrderLog,
    OrderStatus,
    RunResult,
    TimePoint,
)
from defi_int.metrics.report import check_report_dir, write_report
from defi_int.params import KeeperParams


def report_command(db: str | Path, out: str | Path) -> dict[str, Path]:
    """Writes the report of journal ``db`` into ``out``; returns file name -> path."""
    check_report_dir(Path(out))
    result, deployment = _read(db)
    caps = {int(m["id"]): _fixed(m["inventory_cap"]) for m in deployment.get("markets", [])}
    return write_report(result, out, scenario={"keeper journal": str(db), "deployment": deployment}, caps=caps)


def read_journal(db: str | Path) -> RunResult:
    """The journal at ``db`` as a ``RunResult`` (``defi-int report execution --db``)."""
    return _read(db)[0]


def _read(db: str | Path) -> tuple[RunResult, dict[str, Any]]:
    path = Path(db)
    if not path.is_file():
        raise ConfigError(f"--db {db}: no such journal file")
    with Journal(path) as journal:
        return journal_result(journal)


def journal_result(journal: Journal) -> tuple[RunResult, dict[str, Any]]:
    """The journal as a ``RunResult`` (see the module docstring) and the deployment it belongs to."""
    raw = journal.meta("deployment")
    if raw is None:
        raise ConfigError(f"{journal.path}: no deployment recorded; is it a keeper's journal?")
    deployment = json.loads(raw)
    samples = journal.samples()
    if not samples:
        raise ConfigError(f"{journal.path}: the keeper has not sampled the markets yet; nothing to report")
    protocol = deployment["protocol"]
    decimals = int(protocol["decimals"])
    result = RunResult(
        scenario="keeper",
        seed=0,
        backend=str(deployment.get("rpc_url") or f"chain {deployment['chain_id']}"),
        contracts=dict(deployment["contracts"]),
        price_scale=10 ** (36 - decimals),
        decimals=decimals,
        block_time=1,
        markout_horizons=KeeperParams().markout_horizons,
    )
    steps = sorted({s.step for s in samples})
    step_blocks = [max(s.block_number for s in samples if s.step == step) for step in steps]
    last_block = step_blocks[-1]

    def step_of(block: int) -> int:
        index = bisect.bisect_left(step_blocks, block)
        return steps[index] if index < len(steps) else steps[-1] + 1

    result.fills = [replace(f, step=step_of(f.block)) for f in journal.fill_records()]
    result.timeseries = [
        TimePoint(s.step, s.block_number, s.time, s.market, s.oracle_price, s.oracle_price, s.amm_mid, s.inventory,
                  s.desk_cash, s.fee_cash)
        for s in samples
    ]  # fmt: skip
    result.start, result.end = _book(samples, steps[0]), _book(samples, steps[-1])
    desk = str(deployment["contracts"]["Vault"])
    result.desk_events = _desk_events(journal, samples, step_of, last_block, steps[0], desk, result.price_scale)
    counts = journal.status_counts()
    result.orders_total = sum(counts.values())
    result.orders_filled = len({f.order_digest for f in result.fills})
    result.orders_rejected = counts["rejected"]
    result.orders_expired = counts["expired"]
    result.orders_open = counts["resting"] + counts["partially_filled"]
    result.rejections = journal.rejection_counts()
    result.settle_transactions, result.settle_gas = journal.settle_totals()
    result.liquidations = [_liquidation(x, step_of(x.block_number)) for x in journal.liquidations()]
    _, result.liquidation_gas = journal.liquidation_totals()
    result.insurance_fund = next(s.insurance_cash for s in reversed(samples))
    hedges = journal.hedges()
    result.hedge_transactions = len(hedges)
    result.hedge_gas = sum(h.gas for h in hedges)
    result.hedges = [
        Hedge(step_of(h.block_number), h.block_number, h.block_time, h.market, h.is_buy, h.size, h.quote,
              h.oracle_price, h.gas)
        for h in hedges
    ]  # fmt: skip
    legs: dict[bytes, list[LegRecord]] = {}
    for booked in journal.all_legs():
        legs.setdefault(booked.leg.digest, []).append(booked)
    result.orders = [_order_log(record, legs.get(record.digest, [])) for record in journal.all_orders()]
    result.counterfactuals = [replace(c, step=step_of(c.block)) for c in journal.counterfactuals()]
    markets = deployment.get("markets", [])
    result.amm_fee_bps = {int(m["id"]): int(m["amm_fee_bps"]) for m in markets if "amm_fee_bps" in m}
    result.wall_seconds = float(max(s.time for s in samples) - min(s.time for s in samples))
    invariants = journal.meta("invariants")
    result.invariants = json.loads(invariants) if invariants else {}
    return result, deployment


_STATUS: dict[str, OrderStatus] = {"resting": "open", "partially_filled": "open"}


def _order_log(record: OrderRecord, legs: list[LegRecord]) -> OrderLog:
    """A journaled order as the execution report reads it (see the module docstring)."""
    order, seen, trace = record.order, record.receipt, record.trace or {}
    time = seen.time if seen is not None else int(record.received_at)
    log = order_log(order, record.digest, step=0, time=time, seen=seen)
    log.status = _STATUS.get(record.status, cast(OrderStatus, record.status))
    log.action = trace.get("action")
    log.reason = record.reason.code.code if record.status == "rejected" and record.reason else trace.get("reason")
    log.filled = record.filled
    log.internal = sum(r.leg.size for r in legs if r.leg.venue == "internal")
    times = [r.block_time for r in legs]
    log.first_fill_time, log.last_fill_time = (min(times), max(times)) if times else (None, None)
    return log


def _book(samples: list[Any], step: int) -> BookState:
    rows = [s for s in samples if s.step == step]
    return BookState(
        cash=rows[0].desk_cash,
        fee_cash=rows[0].fee_cash,
        positions={s.market: s.inventory for s in rows},
        marks={s.market: s.oracle_price for s in rows},
    )


def _desk_events(
    journal: Journal, samples: list[Any], step_of: Any, last_block: int, first: int, desk: str, price_scale: int
) -> list[DeskEvent]:
    """Marks, internal legs, fees, hedges, the desk's funding and liquidations in chain order, from the
    first sample to the last."""
    first_block = min(s.block_number for s in samples if s.step == first)
    timed: list[tuple[int, int, int, DeskEvent]] = []
    for s in samples:
        if s.step != first:
            timed.append((s.block_number, 1, 0, DeskEvent(s.step, "mark", s.market, 0, 0, s.oracle_price)))
    for leg in journal.fill_records():
        if not first_block < leg.block <= last_block:
            continue
        step = step_of(leg.block)
        if leg.venue == "internal":
            base = -leg.size if leg.is_buy else leg.size
            cash = leg.quote if leg.is_buy else -leg.quote
            timed.append((leg.block, 0, 0, DeskEvent(step, "internal", leg.market, base, cash, leg.oracle_price)))
        if leg.fee:
            timed.append((leg.block, 0, 1, DeskEvent(step, "fee", leg.market, 0, leg.fee, 0)))
    for hedge in journal.hedges():
        if not first_block < hedge.block_number <= last_block:
            continue
        base = hedge.size if hedge.is_buy else -hedge.size
        cash = -hedge.quote if hedge.is_buy else hedge.quote
        event = DeskEvent(step_of(hedge.block_number), "hedge", hedge.market, base, cash, hedge.oracle_price)
        timed.append((hedge.block_number, 0, 2, event))
    for charge in journal.funding(desk):
        if first_block < charge.block_number <= last_block and charge.amount:
            event = DeskEvent(step_of(charge.block_number), "funding", charge.market, 0, -charge.amount, 0)
            timed.append((charge.block_number, 0, 3, event))
    for taken in journal.liquidations():
        if first_block < taken.block_number <= last_block and taken.to_desk:
            long = taken.size > 0  # the desk takes the account's side, paying as the Vault rounds it
            quote = notional(taken.to_desk, taken.mark, price_scale, is_buy=not long)
            base, cash = (taken.to_desk, -quote) if long else (-taken.to_desk, quote)
            event = DeskEvent(step_of(taken.block_number), "liquidation", taken.market, base, cash, taken.mark)
            timed.append((taken.block_number, 0, 4, event))
    timed.sort(key=lambda item: item[:3])
    return [event for *_, event in timed]


def _liquidation(x: LiquidationBooked, step: int) -> LiquidationRecord:
    return LiquidationRecord(
        step, x.block_number, x.account, "unknown", x.market, x.size, x.to_desk, x.to_amm, x.amm_quote, x.mark,
        x.penalty, x.bad_debt, x.uncovered,
    )  # fmt: skip


def _fixed(text: str) -> int:
    from defi_int.types import to_fixed

    return to_fixed(text)
