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

A keeper bot sends its transactions itself (its own nonces, fees and replacements): it asks the
venue for the call (``settle_call``, ``hedge_call``: sender, contract, calldata and gas, whatever
the settle entry point; ``liquidate_call`` likewise) and hands the receipt back (``settle_receipt``,
``liquidation_receipt``). On a node whose clock is
not the caller's (``clock`` given), a batch is judged at the later of the wall clock and one second
after the latest block, and simulated on the node's pending block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from defi_int.chain import codec
from defi_int.chain.deploy import HEDGE_GAS, LIQUIDATE_GAS, System, settle_calldata, settle_capacity, settle_gas
from defi_int.chain.node import Block, BlockId, Call, Receipt
from defi_int.chain.views import domain, fill_events, funding_events, liquidation_events, read_batch
from defi_int.exceptions import ChainError
from defi_int.keeper.hedging import HedgeOrder
from defi_int.keeper.liquidator import LiquidationOrder
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.venue import HedgeReceipt, LiquidationReceipt, SettleReceipt, Snapshot
from defi_int.orders.eip712 import Domain
from defi_int.orders.model import Order


class ChainVenue:
    """The venue of a deployed ``System``; see the module docstring."""

    def __init__(self, system: System, *, clock: Callable[[], float] | None = None) -> None:
        self.system = system
        self._domain = domain(system)
        self._clock = clock
        #: The block snapshots read: ``pending`` for a keeper with transactions of its own in flight
        #: (a batch is planned where the ones before it will have landed).
        self.read_at: BlockId = "latest"

    @property
    def domain(self) -> Domain:
        return self._domain

    @property
    def liquidator(self) -> str:
        return str(self.system.keeper_account.address)

    def snapshot(self, orders: Mapping[bytes, Order], accounts: Iterable[str] = (), *, house: bool = True) -> Snapshot:
        block = self._latest_block()
        if self._clock is None:
            now = self.system.chain.next_timestamp()
        else:
            now = max(block.timestamp + 1, int(self._clock()))
        view, markets = read_batch(
            self.system,
            orders.values(),
            now=now,
            digests=orders.keys(),
            accounts=accounts,
            block=self.read_at,
            house=house,
        )
        return Snapshot(view, markets, block.number, block.gas_limit, settle_capacity(block.gas_limit))

    def simulate(self, fills: Sequence[PlannedFill]) -> None:
        if self._clock is None:
            self.system.simulate_settle([p.fill for p in fills])
            return
        call = self.settle_call(fills)
        self.system.chain.eth_call(call.data, to=call.to, sender=call.sender, block="pending")

    def settle_call(self, fills: Sequence[PlannedFill]) -> Call:
        """The keeper's settle transaction for ``fills``: sender, contract, calldata and gas limit."""
        system = self.system
        data = settle_calldata([p.fill for p in fills])
        return Call(system.keeper_account.address, str(system.settlement.address), data, settle_gas(len(fills)))

    def hedge_call(self, order: HedgeOrder) -> Call:
        """The keeper's hedge transaction for ``order``."""
        system = self.system
        data = codec.function("Settlement", "hedge").encode(order.market, order.is_buy, order.size, order.limit_quote)
        return Call(system.keeper_account.address, str(system.settlement.address), data, HEDGE_GAS)

    def liquidate_call(self, order: LiquidationOrder) -> Call:
        """The keeper's liquidation transaction for ``order`` (``Vault.liquidate`` from the liquidator)."""
        system = self.system
        data = codec.function("Vault", "liquidate").encode(order.account, order.market, order.size)
        return Call(system.keeper_account.address, str(system.vault.address), data, LIQUIDATE_GAS)

    def liquidation_receipt(self, receipt: Receipt) -> LiquidationReceipt:
        """A mined liquidation's receipt as the keeper reads it (its ``Liquidated`` and the funding settled)."""
        found = liquidation_events(self.system, receipt)
        if len(found) != 1:
            raise ChainError(f"a liquidation receipt with {len(found)} Liquidated events, expected 1")
        return LiquidationReceipt(
            found[0], receipt.gas_used, receipt.block_number, funding_events(self.system, receipt)
        )

    def settle_receipt(self, receipt: Receipt) -> SettleReceipt:
        """A mined settle transaction's receipt as the keeper reads it (one ``FillEvent`` per fill)."""
        node = self.system.chain.node
        block = node.block(receipt.block_number)
        if block is None:
            raise ChainError(f"{node.name} has no block {receipt.block_number} for a settle receipt")
        return self._settle_receipt(receipt, block.timestamp)

    def hedge_quote(self, receipt: Receipt) -> int:
        """The quote a mined hedge traded for (its ``Hedged`` event)."""
        found = codec.event("Settlement", "Hedged").in_logs(receipt.logs, str(self.system.settlement.address))
        if len(found) != 1:
            raise ChainError(f"a hedge receipt with {len(found)} Hedged events, expected 1")
        return int(found[0]["quote"])

    def settle(self, fills: Sequence[PlannedFill]) -> SettleReceipt:
        receipt = self.system.settle([p.fill for p in fills])
        block = self.system.chain.node.block(receipt.block_number)
        return self._settle_receipt(receipt, block.timestamp if block else self.system.chain.timestamp())

    def hedge(self, order: HedgeOrder) -> HedgeReceipt:
        quote, receipt = self.system.hedge(order.market, order.is_buy, order.size, order.limit_quote)
        block = self.system.chain.node.block(receipt.block_number)
        time = block.timestamp if block else self.system.chain.timestamp()
        return HedgeReceipt(quote, receipt.gas_used, receipt.block_number, funding_events(self.system, receipt), time)

    def liquidate(self, order: LiquidationOrder) -> LiquidationReceipt:
        _, receipt = self.system.liquidate(self.system.keeper_account, order.account, order.market, order.size)
        return self.liquidation_receipt(receipt)

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

    def _latest_block(self) -> Block:
        """The latest block (number, time, gas limit), in one request."""
        node = self.system.chain.node
        block = node.block("latest")
        if block is None:
            raise ChainError(f"{node.name} has no latest block")
        return block
