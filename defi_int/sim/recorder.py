"""Turns what the keeper and the runner saw into the records the metrics read (``defi_int.metrics.records``).

The keeper's ``BatchOutcome`` carries the typed plan as settled (one ``PlannedFill`` per fill,
with the legs the planner expected: the oracle mark, the AMM's mid and its quote for the same size
*as the AMM stood when that leg ran on-chain*) and the settle's fills (``FillEvent``), which the
keeper already reconciled with the plan. The recorder writes the booked legs from the events and
the market around them from the plan: nothing is replayed here.

Desk events (marks, internal legs, hedges, fees, the desk's funding from the Vault's
``FundingSettled``, liquidations it took) are recorded in chain order for the PnL decomposition,
with cash moved exactly as the Vault moved it (``notional``'s rounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from defi_int.keeper.keeper import BatchOutcome
from defi_int.keeper.venue import FundingCharge, LiquidationReceipt
from defi_int.market.ledger import notional
from defi_int.metrics.records import DeskEvent, FillRecord, LiquidationRecord, RunResult
from defi_int.orders.rules import average_price


@dataclass
class Recorder:
    """Accumulates fills, desk events and order counts into a ``RunResult``."""

    result: RunResult
    trader_types: dict[str, str]  # lower-case address -> population name
    counted_fills: set[bytes] = field(default_factory=set)

    def mark(self, step: int, market: int, price: int) -> None:
        self.result.desk_events.append(DeskEvent(step, "mark", market, 0, 0, price))

    def capital(self, step: int, amount: int) -> None:
        """A depositor moved ``amount`` into (+) or out of (-) the desk's cash: not PnL."""
        self.result.desk_events.append(DeskEvent(step, "capital", 0, 0, amount, 0))

    def rejected(self, reason: str) -> None:
        self.result.orders_rejected += 1
        self.result.rejections[reason] = self.result.rejections.get(reason, 0) + 1

    def batch(self, outcome: BatchOutcome) -> None:
        """Records one keeper step: its rejections, expiries, fills and hedges."""
        result = self.result
        for _, rejection in outcome.rejected:
            self.rejected(rejection.reason)
        result.orders_expired += len(outcome.expired)
        if outcome.events:
            self._fills(outcome)
        for hedge in outcome.hedges:
            result.hedge_transactions += 1
            result.hedge_gas += hedge.gas
            if hedge.funding:
                result.desk_events.append(DeskEvent(outcome.step, "funding", hedge.market, 0, -hedge.funding, 0))
            base = hedge.size if hedge.is_buy else -hedge.size
            cash = -hedge.quote if hedge.is_buy else hedge.quote
            result.desk_events.append(DeskEvent(outcome.step, "hedge", hedge.market, base, cash, hedge.oracle_price))

    def liquidation(self, step: int, desk: str, receipt: LiquidationReceipt) -> None:
        """Records one liquidation; the part the desk took is a desk event at the oracle price,
        its cash moved as the Vault moves it (``notional``, rounded against the liquidated account)."""
        event = receipt.event
        self.result.liquidations.append(
            LiquidationRecord(
                step=step,
                block=receipt.block,
                account=event.account,
                trader_type=self.trader_types.get(event.account.lower(), "unknown"),
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
        result = self.result
        scale = result.price_scale
        receipt = outcome.receipt
        assert receipt is not None
        result.settle_transactions += 1
        result.settle_gas += receipt.gas_used
        # The Vault settles the desk's funding as it books each market run, before its legs.
        self.funding(outcome.step, outcome.snapshot.view.desk, receipt.funding)
        legs: list[dict[str, object]] = []
        for planned, event in zip(outcome.fills, receipt.events, strict=True):
            order, expected = planned.order, planned.expected
            mark = expected.mark or 0
            digest = event.digest
            if digest not in self.counted_fills:
                self.counted_fills.add(digest)
                result.orders_filled += 1
            common = {
                "order_digest": "0x" + digest.hex(),
                "trader": order.trader,
                "trader_type": self.trader_types.get(order.trader.lower(), "unknown"),
                "market": order.market,
                "is_buy": order.is_buy,
                "limit_price": order.limit_price,
                "oracle_price": mark,
                "amm_mid": expected.amm_mid,
            }
            if event.internal_size:
                size, price = event.internal_size, event.internal_price
                reference = expected.amm.reference or 0
                legs.append(
                    {
                        **common,
                        "venue": "internal",
                        "size": size,
                        "quote": expected.internal_quote,
                        "price": price,
                        "amm_quote": reference,
                        "amm_quote_price": average_price(reference, size, scale, is_buy=order.is_buy),
                        "fee": expected.internal_fee,
                    }
                )
                base = -size if order.is_buy else size
                cash = expected.internal_quote if order.is_buy else -expected.internal_quote
                result.desk_events.append(DeskEvent(outcome.step, "internal", order.market, base, cash, mark))
            if event.amm_size:
                size, quote = event.amm_size, event.amm_quote
                price = average_price(quote, size, scale, is_buy=order.is_buy)
                legs.append(
                    {
                        **common,
                        "venue": "amm",
                        "size": size,
                        "quote": quote,
                        "price": price,
                        "amm_quote": quote,
                        "amm_quote_price": price,
                        "fee": event.fee - expected.internal_fee,
                    }
                )
            if event.fee:
                result.desk_events.append(DeskEvent(outcome.step, "fee", order.market, 0, event.fee, 0))
        share, extra = divmod(receipt.gas_used, len(legs))
        for index, leg in enumerate(legs):
            result.fills.append(
                FillRecord(
                    step=outcome.step,
                    block=receipt.block,
                    time=receipt.time,
                    gas=share + (1 if index < extra else 0),
                    **leg,  # type: ignore[arg-type]
                )
            )
