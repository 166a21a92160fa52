"""The keeper's venue on a deployed system: ``ChainVenue`` implements ``defi_int.keeper.venue.Venue``.

Each call is a thin translation between the keeper's plain types and the chain:

- ``snapshot(orders)``: the latest block (number, time, gas limit) and ``views.read_batch`` for
  the orders, in one batched ``eth_call``: the ``BatchView`` the batch will land on (at the next
  block's time), every market's state, and the fills one settle may carry under the block gas
  limit (``deploy.settle_capacity``, the inverse of the gas ``System.settle`` gives a batch);
- ``simulate(fills)``: ``System.simulate_settle``, an ``eth_call`` of ``settle``;
- ``settle(fills)``: ``System.settle``, one transaction, decoded into ``OrderFilled`` events;
- ``hedge(order)``: ``System.hedge``.

``settlement(tx_hash)`` reads a settle transaction's receipt back from the chain, so a batch
settled earlier (by this process or one that died) can be reconciled from what the chain holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from defi_int.chain.deploy import System, settle_capacity
from defi_int.chain.views import domain, fill_events, read_batch
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.risk import HedgeOrder
from defi_int.keeper.venue import HedgeReceipt, SettleReceipt, Snapshot
from defi_int.orders.eip712 import Domain
from defi_int.orders.model import Order


class ChainVenue:
    """The venue of a deployed ``System``; see the module docstring."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._domain = domain(system)

    @property
    def domain(self) -> Domain:
        return self._domain

    def snapshot(self, orders: Mapping[bytes, Order]) -> Snapshot:
        number, timestamp, gas_limit = self._latest_block()
        view, markets = read_batch(self.system, orders.values(), now=timestamp + 1, digests=orders.keys())
        return Snapshot(view, markets, number, gas_limit, settle_capacity(gas_limit))

    def simulate(self, fills: Sequence[PlannedFill]) -> None:
        self.system.simulate_settle([p.fill for p in fills])

    def settle(self, fills: Sequence[PlannedFill]) -> SettleReceipt:
        receipt = self.system.settle([p.fill for p in fills])
        return self._settle_receipt(receipt, self.system.chain.timestamp())

    def hedge(self, order: HedgeOrder) -> HedgeReceipt:
        quote, receipt = self.system.hedge(order.market, order.is_buy, order.size, order.limit_quote)
        return HedgeReceipt(quote, int(receipt["gasUsed"]), int(receipt["blockNumber"]))

    def settlement(self, tx_hash: str) -> SettleReceipt:
        """A settle transaction's receipt and events, read back from the chain."""
        chain = self.system.chain
        with chain._talking():
            receipt = chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            block = chain.w3.eth.get_block(receipt["blockNumber"])
        return self._settle_receipt(receipt, int(block["timestamp"]))

    def _settle_receipt(self, receipt: Any, time: int) -> SettleReceipt:
        return SettleReceipt(
            tx_hash=receipt["transactionHash"].to_0x_hex(),
            block=int(receipt["blockNumber"]),
            time=time,
            gas_used=int(receipt["gasUsed"]),
            events=fill_events(self.system, receipt),
        )

    def _latest_block(self) -> tuple[int, int, int]:
        """(number, timestamp, gas limit) of the latest block, in one request."""
        chain = self.system.chain
        with chain._talking():
            block = chain.w3.eth.get_block("latest")
        return int(block["number"]), int(block["timestamp"]), int(block["gasLimit"])
