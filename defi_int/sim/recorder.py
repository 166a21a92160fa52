"""Turns what the keeper and the runner saw into the records the metrics read (``defi_int.metrics.records``).

The keeper's ``BatchOutcome`` carries the snapshot the batch was planned on (AMM pools and oracle
marks just before the settle transaction) and the settle's ``OrderFilled`` events. The recorder
walks the events in batch order with a mirror of each pool, so every leg is compared with the AMM
*as it stood when that leg ran on-chain*: its mid, and its quote for the same size. AMM legs move
the mirror; the keeper already checked that the mirror's quotes equal the events'.

Desk events (marks, internal legs, hedges, fees) are recorded in chain order for the PnL
decomposition, with cash moved exactly as the Vault moved it (``notional``'s rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from defi_int.keeper.keeper import BatchOutcome
from defi_int.market.amm import Pool
from defi_int.market.ledger import ceil_div, fee_for, notional
from defi_int.metrics.records import DeskEvent, FillRecord, RunResult


def average_price(quote: int, size: int, price_scale: int, *, is_buy: bool) -> int:
    """``quote`` for ``size`` as a 1e18 price, rounded against the trader (how limits are checked)."""
    return ceil_div(quote * price_scale, size) if is_buy else quote * price_scale // size


@dataclass
class Recorder:
    """Accumulates fills, desk events and order counts into a ``RunResult``."""

    result: RunResult
    trader_types: dict[str, str]  # lower-case address -> population name
    counted_fills: set[bytes] = field(default_factory=set)

    def mark(self, step: int, market: int, price: int) -> None:
        self.result.desk_events.append(DeskEvent(step, "mark", market, 0, 0, price))

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
            base = hedge.size if hedge.is_buy else -hedge.size
            cash = -hedge.quote if hedge.is_buy else hedge.quote
            result.desk_events.append(DeskEvent(outcome.step, "hedge", hedge.market, base, cash, hedge.oracle_price))

    def _fills(self, outcome: BatchOutcome) -> None:
        result = self.result
        scale = result.price_scale
        view = outcome.view
        assert outcome.block is not None and outcome.time is not None
        pools = {m: Pool(p.base, p.quote, p.fee_bps) for m, p in view.pools.items()}
        result.settle_transactions += 1
        result.settle_gas += outcome.gas_used
        legs: list[dict[str, object]] = []
        for fill, event in zip(outcome.fills, outcome.events, strict=True):
            order = fill.order
            pool = pools[order.market]
            mark = view.prices[order.market]
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
                "amm_mid": pool.mid(scale),
            }
            internal_fee = 0
            if event.internal_size:
                size, price = event.internal_size, event.internal_price
                quote = notional(size, price, scale, is_buy=order.is_buy)
                amm_quote = pool.quote_buy(size) if order.is_buy else pool.quote_sell(size)
                internal_fee = fee_for(quote, fill.fee_bps)
                legs.append(
                    {
                        **common,
                        "venue": "internal",
                        "size": size,
                        "quote": quote,
                        "price": price,
                        "amm_quote": amm_quote,
                        "amm_quote_price": average_price(amm_quote, size, scale, is_buy=order.is_buy),
                        "fee": internal_fee,
                    }
                )
                base = -size if order.is_buy else size
                cash = quote if order.is_buy else -quote
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
                        "fee": event.fee - internal_fee,
                    }
                )
                pool.swap(order.is_buy, size)
            if event.fee:
                result.desk_events.append(DeskEvent(outcome.step, "fee", order.market, 0, event.fee, 0))
        share, extra = divmod(outcome.gas_used, len(legs))
        for index, leg in enumerate(legs):
            result.fills.append(
                FillRecord(
                    step=outcome.step,
                    block=outcome.block,
                    time=outcome.time,
                    gas=share + (1 if index < extra else 0),
                    **leg,  # type: ignore[arg-type]
                )
            )
