"""Reads the chain into the plain snapshots the pure core works on (``BatchView``, ``Ledger``).

This is the seam between web3 and the rest: validation, the ghost ledger in the tests and the
keeper take these snapshots and never touch a contract object themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from web3.logs import DISCARD

from defi_int.chain.deploy import System
from defi_int.market.amm import Pool
from defi_int.market.ledger import Ledger
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Order
from defi_int.orders.validation import PARTIAL, BatchView


def domain(system: System) -> Domain:
    """The EIP-712 domain orders for ``system`` are signed in."""
    return Domain(system.chain.chain_id, str(system.settlement.address))


def read_ledger(system: System, accounts: Iterable[str]) -> Ledger:
    """The Vault ledger restricted to ``accounts`` (plus the desk, the AMM and the fee recipient)."""
    call = system.chain.call
    vault = system.vault
    markets = list(call(vault.functions.markets()))
    ledger = Ledger(
        price_scale=call(vault.functions.priceScale()),
        initial_margin_bps=call(vault.functions.initialMarginBps()),
        maintenance_margin_bps=call(vault.functions.maintenanceMarginBps()),
        desk=system.desk,
        fee_recipient=call(vault.functions.feeRecipient()),
        exempt=frozenset({str(system.amm.address)}),
        markets=markets,
        caps={m: call(vault.functions.inventoryCap(m)) for m in markets},
    )
    everyone = {system.desk, str(system.amm.address), ledger.fee_recipient, *accounts}
    for account in everyone:
        ledger.cash[account] = call(vault.functions.cash(account))
        for m in markets:
            pos = call(vault.functions.position(account, m))
            if pos:
                ledger.positions[(account, m)] = pos
    return ledger


def fresh_prices(system: System, markets: Iterable[int], now: int) -> dict[int, int]:
    """Oracle prices still readable at time ``now`` (stale markets are left out)."""
    max_age = system.chain.call(system.oracle.functions.maxAge())
    prices = {}
    for m in markets:
        price, updated_at = system.chain.call(system.oracle.functions.latest(m))
        if updated_at and now <= updated_at + max_age:
            prices[m] = price
    return prices


def read_pools(system: System, markets: Iterable[int]) -> dict[int, Pool]:
    pools = {}
    for m in markets:
        base, quote, fee = system.chain.call(system.amm.functions.pool(m))
        if base:
            pools[m] = Pool(base, quote, fee)
    return pools


def batch_view(system: System, orders: Iterable[Order], *, now: int | None = None) -> BatchView:
    """Everything ``validate_batch`` needs to judge ``orders`` in a batch landing at ``now``."""
    orders = list(orders)
    chain = system.chain
    if now is None:
        now = chain.timestamp() + 1
    dom = domain(system)
    ledger = read_ledger(system, {o.trader for o in orders})
    view = BatchView(
        domain=dom,
        now=now,
        price_scale=ledger.price_scale,
        max_deviation_bps=chain.call(system.settlement.functions.maxDeviationBps()),
        ledger=ledger,
        prices=fresh_prices(system, ledger.markets, now),
        pools=read_pools(system, ledger.markets),
        desk=system.desk,
        amm=str(system.amm.address),
        paused=chain.call(system.vault.functions.paused()),
    )
    for order in orders:
        state = chain.call(system.settlement.functions.nonceState(order.trader, order.nonce))
        view.nonce_states[(order.trader.lower(), order.nonce)] = state
        if state == PARTIAL:
            digest = order_digest(order, dom)
            view.filled[digest] = chain.call(system.settlement.functions.filled(digest))
    return view


@dataclass(frozen=True)
class FillEvent:
    """One ``OrderFilled`` log: both legs of a fill as the chain booked them."""

    digest: bytes
    trader: str
    internal_size: int
    internal_price: int
    amm_size: int
    amm_quote: int
    fee: int
    block: int


def fill_events(system: System, receipt: Any) -> list[FillEvent]:
    """The ``OrderFilled`` logs of a settlement receipt, in batch order (other logs are skipped)."""
    logs = system.settlement.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    return [
        FillEvent(
            bytes(e.args.digest),
            e.args.trader,
            e.args.internalSize,
            e.args.internalPrice,
            e.args.ammSize,
            e.args.ammQuote,
            e.args.fee,
            e.blockNumber,
        )
        for e in logs
    ]
