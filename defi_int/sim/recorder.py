"""Turns what the keeper and the runner saw into the records the metrics read (``defi_int.metrics.records``).

The keeper's ``BatchOutcome`` carries the typed plan as settled (one ``PlannedFill`` per fill,
with the legs the planner expected: the oracle mark, the AMM's mid and its quote for the same size
*as the AMM stood when that leg ran on-chain*) and the settle's fills (``FillEvent``), which the
keeper already reconciled with the plan. The recorder writes the booked legs from the events and
the market around them from the plan: nothing is replayed here.

Every order the keeper received gets an ``OrderLog``: what the desk saw at its receipt, each
batch's trace (its latest action and reason), its fills (sizes and times) and how it ended. The
desk's hedges and each batch's counterfactual re-match (``keeper.audit``) are kept as they came:
the execution report and the audits read them (``metrics.audits``).

Desk events (marks, internal legs, hedges, fees, the desk's funding from the Vault's
``FundingSettled``, liquidations it took) are recorded in chain order for the PnL decomposition,
with cash moved exactly as the Vault moved it (``notional``'s rounding).

Memory stays bounded by the orders in flight, not the run's length: the result's record lists are
``metrics.spool.SpooledList``s (full chunks pickled to a temporary directory), and an ``OrderLog``
changes until its order is final, so the logs wait in ``window`` (arrival order, from the oldest
order still open) and go to ``result.orders`` once every order before them is final too: the
list keeps arrival order, and only the orders since the oldest open one are in memory. ``close``
(at the run's end) moves the rest, the orders still open included. ``logs`` and
``counted_fills`` hold the window's orders only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from defi_int.keeper.book import BookEntry
from defi_int.keeper.keeper import BatchOutcome
from defi_int.keeper.quote import order_log
from defi_int.keeper.toxicity.labels import Label
from defi_int.keeper.venue import FundingCharge, LiquidationReceipt
from defi_int.market.ledger import notional
from defi_int.metrics import spool
from defi_int.metrics.records import (
    RECORD_LISTS,
    DeskEvent,
    Hedge,
    LiquidationRecord,
    OrderLog,
    RunResult,
    ScoredLabel,
)
from defi_int.orders.booking import book
from defi_int.orders.model import Order
from defi_int.reasons import Reason


@dataclass
class Recorder:
    """Accumulates fills, desk events and order counts into a ``RunResult``."""

    result: RunResult
    counted_fills: set[bytes] = field(default_factory=set)  # the window's orders with a settled leg
    logs: dict[bytes, OrderLog] = field(default_factory=dict)  # the window's orders by digest
    window: deque[OrderLog] = field(default_factory=deque)  # arrival order, from the oldest open order

    def __post_init__(self) -> None:
        """Spools the result's record lists (``spool.CHUNK`` records a chunk; 0: kept in memory)."""
        if not spool.CHUNK:
            return
        disk = spool.Spool()
        for name in RECORD_LISTS:
            if not getattr(self.result, name):
                setattr(self.result, name, disk.new_list(name))

    def close(self) -> None:
        """The run ended: every order still in the window goes to ``result.orders``, open or not."""
        self.result.orders.extend(self.window)
        self.window.clear()
        self.logs.clear()
        self.counted_fills.clear()

    def _retire(self) -> None:
        """Moves the window's final orders, up to the oldest open one, to ``result.orders``."""
        window, orders = self.window, self.result.orders
        while window and window[0].status != "open":
            log = window.popleft()
            orders.append(log)
            if self.logs.get(log.digest) is log:
                del self.logs[log.digest]
                self.counted_fills.discard(log.digest)

    def mark(self, step: int, market: int, price: int) -> None:
        self.result.desk_events.append(DeskEvent(step, "mark", market, 0, 0, price))

    def capital(self, step: int, amount: int) -> None:
        """A depositor moved ``amount`` into (+) or out of (-) the desk's cash: not PnL."""
        self.result.desk_events.append(DeskEvent(step, "capital", 0, 0, amount, 0))

    def received(self, step: int, now: int, order: Order, digest: bytes, entry: BookEntry | None) -> OrderLog:
        """An order handed to the keeper's intake at ``now``; ``entry`` is its book entry when admitted."""
        log = order_log(order, digest, step=step, time=now, seen=None if entry is None else entry.receipt)
        if entry is not None and entry.prediction is not None:
            log.p_toxic, log.expected_markout_bps = entry.prediction.p_toxic, entry.prediction.expected_markout_bps
            log.features = None if entry.features is None else entry.features.as_floats()
        self.logs[digest] = log
        self.window.append(log)
        return log

    def rejected(self, reason: str, digest: bytes | None = None) -> None:
        """An order refused (at intake, by validation or by the chain), with the reason."""
        self.result.orders_rejected += 1
        self.result.rejections[reason] = self.result.rejections.get(reason, 0) + 1
        log = None if digest is None else self.logs.get(digest)
        if log is not None:
            log.status = "cancelled" if reason == Reason.CANCELLED else "rejected"
            log.reason = reason
            log.action = "decline"

    def labelled(self, labels: Iterable[Label]) -> None:
        """Labels that matured this step, with the predictions made at their orders' receipt."""
        for label in labels:
            pending, prediction = label.pending, label.pending.prediction
            if prediction is None:
                continue
            self.result.labels.append(
                ScoredLabel(
                    pending.digest, pending.trader, pending.step, label.marked_at, pending.size, prediction.p_toxic,
                    prediction.expected_markout_bps, label.markout_bps, pending.counterfactual,
                )
            )  # fmt: skip

    def arbitrage_reverted(self, error_name: str) -> None:
        """An arbitrageur's swap the AMM reverted (not an order: counted apart)."""
        reverts = self.result.arbitrage_reverts
        reverts[error_name] = reverts.get(error_name, 0) + 1

    def batch(self, outcome: BatchOutcome) -> None:
        """Records one keeper step: its rejections, expiries, fills and hedges."""
        result = self.result
        for trace in outcome.traces.values():
            log = self.logs.get(trace.digest)
            if log is not None:
                log.action, log.reason = trace.action.value, None if trace.reason is None else trace.reason.code
        for _, rejection in outcome.rejected:
            self.rejected(rejection.reason, rejection.digest)
        result.orders_expired += len(outcome.expired)
        for digest in outcome.lapsed:
            log = self.logs.get(digest)
            if log is not None and log.status == "open":
                log.status = "expired"
        if outcome.events:
            self._fills(outcome)
        result.counterfactuals += outcome.counterfactuals
        for hedge in outcome.hedges:
            result.hedge_transactions += 1
            result.hedge_gas += hedge.gas
            result.hedges.append(
                Hedge(outcome.step, hedge.block, hedge.time, hedge.market, hedge.is_buy, hedge.size, hedge.quote,
                      hedge.oracle_price, hedge.gas)
            )  # fmt: skip
            if hedge.funding:
                result.desk_events.append(DeskEvent(outcome.step, "funding", hedge.market, 0, -hedge.funding, 0))
            base = hedge.size if hedge.is_buy else -hedge.size
            cash = -hedge.quote if hedge.is_buy else hedge.quote
            result.desk_events.append(DeskEvent(outcome.step, "hedge", hedge.market, base, cash, hedge.oracle_price))
        self._retire()

    def liquidation(self, step: int, desk: str, receipt: LiquidationReceipt) -> None:
        """Records one liquidation; the part the desk took is a desk event at the oracle price,
        its cash moved as the Vault moves it (``notional``, rounded against the liquidated account)."""
        event = receipt.event
        self.result.liquidations.append(
            LiquidationRecord(
                step=step,
                block=receipt.block,
                account=event.account,
                trader_type=self.result.trader_type(event.account),
                market=event.market,
                size=event.size,
                to_desk=event.to_desk,
                to_amm=event.to_amm,
                amm_quote=event.amm_quote,
                mark=event.mark,
                penalty=event.penalty,
                bad_debt=event.bad_debt,
                uncovered=event.uncovered,
            )
        )
        self.result.liquidation_gas += receipt.gas_used
        self.funding(step, desk, receipt.funding)
        if event.to_desk:
            long = event.size > 0
            quote = notional(event.to_desk, event.mark, self.result.price_scale, is_buy=not long)
            base, cash = (event.to_desk, -quote) if long else (-event.to_desk, quote)
            self.result.desk_events.append(DeskEvent(step, "liquidation", event.market, base, cash, event.mark))

    def funding(self, step: int, desk: str, charges: Sequence[FundingCharge]) -> None:
        """The desk's own funding settlements among ``charges`` (the Vault's ``FundingSettled``)."""
        for charge in charges:
            if charge.account == desk and charge.amount:
                self.result.desk_events.append(DeskEvent(step, "funding", charge.market, 0, -charge.amount, 0))

    def _fills(self, outcome: BatchOutcome) -> None:
        """Books the settle's legs (``orders.booking``: the chain's events, the plan's market) and the
        desk's side of them: its internal legs and the fees, in chain order."""
        result = self.result
        receipt = outcome.receipt
        assert receipt is not None
        result.settle_transactions += 1
        result.settle_gas += receipt.gas_used
        # The Vault settles the desk's funding as it books each market run, before its legs.
        self.funding(outcome.step, outcome.snapshot.view.desk, receipt.funding)
        pairs = list(zip(outcome.fills, receipt.events, strict=True))
        legs = book(
            ((event, planned.order, planned.leg_context) for planned, event in pairs),
            price_scale=result.price_scale,
            gas_used=receipt.gas_used,
            block=receipt.block,
            time=receipt.time,
            step=outcome.step,
        )
        result.fills.extend(legs)
        for leg in legs:
            log = self.logs.get(leg.digest)
            if log is None:
                continue
            log.filled += leg.size
            log.internal += leg.size if leg.venue == "internal" else 0
            log.first_fill_time = leg.time if log.first_fill_time is None else log.first_fill_time
            log.last_fill_time = leg.time
            if log.filled >= log.size:
                log.status = "filled"
        internal = {leg.digest: leg for leg in legs if leg.venue == "internal"}
        for planned, event in pairs:
            if event.digest not in self.counted_fills:
                self.counted_fills.add(event.digest)
                result.orders_filled += 1
            taken = internal.get(event.digest)
            if taken is not None:
                base = -taken.size if taken.is_buy else taken.size
                cash = taken.quote if taken.is_buy else -taken.quote
                result.desk_events.append(
                    DeskEvent(outcome.step, "internal", taken.market, base, cash, taken.oracle_price)
                )
            if event.fee:
                result.desk_events.append(DeskEvent(outcome.step, "fee", planned.order.market, 0, event.fee, 0))
