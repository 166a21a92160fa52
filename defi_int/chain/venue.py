"""The keeper's venue on a deployed system: ``ChainVenue`` implements ``defi_int.keeper.venue.Venue``.

Each call is a thin translation between the keeper's plain types and the chain:

- ``snapshot(orders, accounts)``: the latest block (number, time, gas limit) and
  ``views.read_batch`` for the orders and the accounts, in one batched ``eth_call``: the
  ``BatchView`` the batch will land on (at the next block's time), every market's state, and the
  fills one settle may carry under the block gas limit (``deploy.settle_capacity``, the inverse of
  the gas ``System.settle`` gives a batch);
- ``simulate(fills)``: ``System.simulate_settle``, an ``eth_call`` of ``settleCompact``;
- ``settle(fills)``: ``System.settle``, one ``settleCompact`` transaction, decoded into one
  ``FillEvent`` per fill (``FillsSettled``) and the other books' funding (``FundingSettled``);
- ``hedge(order)``: ``System.hedge``;
- ``liquidate(order)``: ``System.liquidate`` from the keeper's account (the ``liquidator``).

``settlement(tx_hash)`` reads a settle transaction's receipt back from the chain, so a batch
settled earlier (by this process or one that died) can be reconciled from what the chain holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from defi_int.chain.deploy import System, settle_capacity
from defi_int.chain.node import Receipt
from defi_int.chain.views import domain, fill_events, funding_events, liquidation_events, read_batch
from defi_int.exceptions import ChainError
from defi_int.keeper.liquidator import LiquidationOrder
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.risk import HedgeOrder
from defi_int.keeper.venue import HedgeReceipt, LiquidationReceipt, SettleReceipt, Snapshot
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

    @property
    def liquidator(self) -> str:
        return str(self.system.keeper.address)

    def snapshot(self, orders: Mapping[bytes, Order], accounts: Iterable[str] = ()) -> Snapshot:
        number, gas_limit = self._latest_block()
        now = self.system.chain.next_timestamp()
        view, markets = read_batch(self.system, orders.values(), now=now, digests=orders.keys(), accounts=accounts)
        return Snapshot(view, markets, number, gas_limit, settle_capacity(gas_limit))

    def simulate(self, fills: Sequence[PlannedFill]) -> None:
        self.system.simulate_settle([p.fill for p in fills])

    def settle(self, fills: Sequence[PlannedFill]) -> SettleReceipt:
        receipt = self.system.settle([p.fill for p in fills])
        block = self.system.chain.node.block(receipt.block_number)
        return self._settle_receipt(receipt, block.timestamp if block else self.system.chain.timestamp())

    def hedge(self, order: HedgeOrder) -> HedgeReceipt:
        quote, receipt = self.system.hedge(order.market, order.is_buy, order.size, order.limit_quote)
        return HedgeReceipt(quote, receipt.gas_used, receipt.block_number, funding_events(self.system, receipt))

    def liquidate(self, order: LiquidationOrder) -> LiquidationReceipt:
        _, receipt = self.system.liquidate(self.system.keeper, order.account, order.market, order.size)
        (event,) = liquidation_events(self.system, receipt)
        return LiquidationReceipt(event, receipt.gas_used, receipt.block_number, funding_events(self.system, receipt))

    def settlement(self, tx_hash: str) -> SettleReceipt:
        """A settle transaction's receipt and events, read back from the chain."""
        node = self.system.chain.node
        receipt = node.find_receipt(bytes.fromhex(tx_hash.removeprefix("0x")))
        if receipt is None:
            raise ChainError(f"settle transaction {tx_hash} is not mined on {node.name}")
        block = node.block(receipt.block_number)
        if block is None:
            raise ChainError(f"{node.name} has no block {receipt.block_number} for {tx_hash}")
        return self._settle_receipt(receipt, block.timestamp)

    def _settle_receipt(self, receipt: Receipt, time: int) -> SettleReceipt:
        return SettleReceipt(
            tx_hash="0x" + receipt.transaction_hash.hex(),
            block=receipt.block_number,
            time=time,
            gas_used=receipt.gas_used,
            events=fill_events(self.system, receipt),
            funding=funding_events(self.system, receipt),
        )

    def _latest_block(self) -> tuple[int, int]:
        """(number, gas limit) of the latest block, in one request."""
        node = self.system.chain.node
        block = node.block("latest")
        if block is None:
            raise ChainError(f"{node.name} has no latest block")
        return block.number, block.gas_limit
