"""The liquidator in the keeper bot's loop: ``Keeper.liquidate`` on the accounts the journal knows traded.

The keeper decides as in the simulator (one read of the watched accounts' books, the pure
``keeper.liquidator``); only the sending differs. ``JournaledVenue`` is the chain venue whose
``liquidate`` sends each close through the journal and the bot's transaction manager, like a
settle, each stage journaled before the next talks to the node::

    simulate on the pending block        a revert: ContractRevert, the keeper skips the close
    plan_liquidation (journal)           kind liquidation, stage planned; one per account in flight
    sign (journal: signed), send (journal: sent), await the receipt
    booked (mined): the Liquidated event and the funding it settled; confirmed and reconciled later

A close not mined within ``receipt_wait`` stays in flight (``LiquidationPending``): the loop's
``advance`` carries it on like any open settle (rebroadcast, replaced, or its nonce taken back after
a restart), and nothing else is sent meanwhile. A close the chain reverted raises
``LiquidationFailed``. Fail points ``after_liquidation_planned|signed|sent|mined`` mark its stages.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from defi_int.bot import failpoints
from defi_int.bot.errors import BotError
from defi_int.bot.journal import Close, Journal, SettleRecord
from defi_int.bot.txmanager import Landed, TxManager
from defi_int.chain.deploy import System
from defi_int.chain.venue import ChainVenue
from defi_int.keeper.liquidator import LiquidationOrder
from defi_int.keeper.venue import LiquidationReceipt


class LiquidationPending(BotError):
    """A liquidation was sent and is not mined yet; the loop carries it on."""


class LiquidationFailed(BotError):
    """A liquidation was mined and reverted (the account moved between the simulation and the block)."""


class JournaledVenue(ChainVenue):
    """The chain venue, with liquidations sent through the journal (see the module docstring)."""

    def __init__(
        self,
        system: System,
        journal: Journal,
        txm: TxManager,
        book: Callable[[SettleRecord, Landed], SettleRecord],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(system, clock=clock)
        self.read_at = "pending"  # the keeper's own transactions in flight stand there (the loop sets it per batch)
        self.journal = journal
        self.txm = txm
        self._book = book

    def liquidate(self, order: LiquidationOrder) -> LiquidationReceipt:
        call = self.liquidate_call(order)
        chain = self.system.chain
        chain.eth_call(call.data, to=call.to, sender=call.sender, block="pending")  # a revert: ContractRevert
        batch = f"liquidation-{order.account[2:10].lower()}-{uuid.uuid4().hex[:12]}"
        settle = self.journal.plan_liquidation(batch, Close(order.account, order.market, order.size))
        failpoints.hit("after_liquidation_planned")
        settle = self.txm.sign_settle(settle, call)
        failpoints.hit("after_liquidation_signed")
        settle = self.txm.send(settle)
        failpoints.hit("after_liquidation_sent")
        landed = self.txm.wait(settle)
        if landed is None:
            raise LiquidationPending(f"liquidation {settle.id} of {order.account} sent, not mined yet")
        settle = self._book(settle, landed)
        if not landed.receipt.status:
            raise LiquidationFailed(f"liquidation {settle.id} of {order.account} reverted")
        return self.liquidation_receipt(landed.receipt)
