"""One keeper per deployment: the chain's transactions of this keeper's key that the journal lacks.

At start (``KeeperLoop.resume``) the keeper reads the fills and liquidations the chain holds since
its journal last looked (its ``scanned`` cursor, or the deployment's block for a new journal) and
asks the node who sent each transaction the journal does not hold. One sent with this keeper's key
means another journal settles for this deployment, or this journal is older than the chain (an
empty file, a restored backup): the orders those settles answered 201 for would be lost, and their
fills booked nowhere. The keeper refuses to start (``KeeperConflict``, one line, exit 2) unless the
operator says ``--recover``; then each such transaction is taken in (``Journal.adopt``) and booked
like a landed one, and what could not be rebuilt is said:

- from a settle's calldata (``settleCompact``: ``encoding.unpack_fills``) come its orders as signed
  and its fills; from its receipt the legs, the funding, the gas; the oracle mark of each fill is
  read at the block before (a node without that history leaves it 0); the AMM's mid and its quote
  for the same size when the fill ran are not on the chain (0 in ``fills.csv``);
- from a liquidation's ``Liquidated`` event its close;
- not on the chain at all: orders accepted and never settled (their traders must post them again),
  off-chain cancels, the loop's reasons, the market samples before now (the report starts at the
  first sample after), breaker history and the kill switch.

Transactions of other keepers (another allow-listed key) are not this keeper's to take in: the loop
counts their fills as unexpected, as it does while running.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from defi_int.bot.errors import KeeperConflict
from defi_int.bot.journal import Close, Journal, SettleFill, SettleRecord, SignedTx
from defi_int.bot.txmanager import Landed
from defi_int.chain import codec
from defi_int.chain.deploy import System
from defi_int.chain.encoding import unpack_fills
from defi_int.chain.node import TransactionInfo
from defi_int.chain.rpc import RpcNode
from defi_int.chain.views import contract_logs, domain, liquidations_logged, settle_fills
from defi_int.exceptions import ChainError, DefiIntError
from defi_int.market.ledger import fee_for, notional
from defi_int.orders.booking import FillEvent
from defi_int.orders.eip712 import order_digest

_log = logging.getLogger(__name__)
#: Blocks one ``eth_getLogs`` of the start check covers at most.
SPAN = 2_000
_SETTLE_COMPACT = codec.function("Settlement", "settleCompact")
#: Books a landed transaction of the journal (``Settlements.book``).
Book = Callable[[SettleRecord, Landed], SettleRecord]


@dataclass(frozen=True)
class Found:
    """A transaction of this keeper's key that the journal does not hold."""

    info: TransactionInfo
    block: int
    kind: str  # "settle" or "liquidation"


@dataclass
class Recovered:
    """What ``--recover`` took in, and what it could not."""

    settles: int = 0
    orders: int = 0
    fills: int = 0
    liquidations: int = 0
    unmarked: int = 0  # fills whose oracle mark could not be read at the block before
    refused: list[str] = field(default_factory=list)  # transactions it could not take in, with why

    def lines(self) -> list[str]:
        lines = [
            f"recovered from the chain: {self.settles} settles ({self.orders} orders, {self.fills} fills) and "
            f"{self.liquidations} liquidations sent with this keeper's key"
        ]
        lines += [f"could not recover {why}" for why in self.refused]
        lines.append(
            "not on the chain, so not recovered: orders accepted and never settled (their traders must post them "
            "again), off-chain cancels and the loop's reasons, market samples before now (the report starts "
            "here), breaker history and the kill switch; the recovered fills have no AMM mid or AMM quote "
            f"(0 in fills.csv){f', and {self.unmarked} no oracle mark' if self.unmarked else ''}"
        )
        return lines


def foreign(system: System, node: RpcNode, journal: Journal, from_block: int, to_block: int) -> list[Found]:
    """This keeper's settles and liquidations in ``from_block..to_block`` the journal lacks, in chain order."""
    keeper = system.keeper_account.address
    found: list[Found] = []
    seen: set[bytes] = set()
    start = from_block
    while start <= to_block:
        end = min(to_block, start + SPAN - 1)
        logs = contract_logs(
            system, (("Settlement", "FillsSettled"), ("Vault", "Liquidated")), from_block=start, to_block=end
        )
        candidates = [(f.tx_hash, f.block, "settle") for f in settle_fills(system, logs)]
        candidates += [
            (x.tx_hash, x.block_number, "liquidation")
            for x in liquidations_logged(system, logs)
            if x.item.liquidator == keeper
        ]
        for tx_hash, block, kind in sorted(candidates, key=lambda c: c[1]):
            if tx_hash in seen or journal.settle_of_tx(tx_hash) is not None:
                continue
            seen.add(tx_hash)
            info = node.transaction(tx_hash)
            if info is not None and info.sender == keeper:
                found.append(Found(info, block, kind))
        start = end + 1
    return found


def refusal(found: list[Found], journal: Journal, keeper: str) -> KeeperConflict:
    first = found[0]
    return KeeperConflict(
        f"--db {journal.path}: the chain holds {len(found)} transactions of this keeper's key {keeper} that this "
        f"journal does not (the first: tx 0x{first.info.tx_hash.hex()} in block {first.block}): another journal "
        "settles for this deployment, or this one is older than the chain; stop any other keeper, then start "
        "with --recover to take them into this journal"
    )


def adopt(system: System, node: RpcNode, journal: Journal, found: list[Found], book: Book) -> Recovered:
    """Takes every ``found`` transaction into the journal and books it (see the module docstring)."""
    recovered = Recovered()
    for each in found:
        tx_hash = each.info.tx_hash
        receipt = node.find_receipt(tx_hash)
        if receipt is None or receipt.block_number != each.block:
            recovered.refused.append(f"tx 0x{tx_hash.hex()}: its receipt is not in block {each.block} any more")
            continue
        raw = node.raw_transaction(tx_hash) or b""
        signed = SignedTx(tx_hash, raw, each.info.nonce, 0, 0, 0)
        batch = f"recovered-{tx_hash.hex()[:16]}-{uuid.uuid4().hex[:6]}"
        if each.kind == "liquidation":
            (event,) = [x.item for x in liquidations_logged(system, receipt.logs)]
            settle = journal.adopt(batch, signed, close=Close(event.account, event.market, abs(event.size)))
            book(settle, Landed(signed, receipt))
            recovered.liquidations += 1
            continue
        try:
            settle, orders, marked = _settle(system, journal, each, batch, signed, settle_fills(system, receipt.logs))
        except (ValueError, DefiIntError) as exc:
            recovered.refused.append(f"tx 0x{tx_hash.hex()}: {exc}")
            continue
        book(settle, Landed(signed, receipt))
        recovered.settles += 1
        recovered.orders += orders
        recovered.fills += len(settle.fills)
        recovered.unmarked += len(settle.fills) - marked
    return recovered


def _settle(
    system: System, journal: Journal, found: Found, batch: str, signed: SignedTx, events: list[FillEvent]
) -> tuple[SettleRecord, int, int]:
    data = found.info.data
    if data[:4] != _SETTLE_COMPACT.selector:
        raise ValueError("its calldata is not settleCompact, the only encoding this keeper sends")
    (packed,) = codec.decode_abi(_SETTLE_COMPACT.inputs, data[4:])
    fills = unpack_fills(bytes(packed))
    signed_in = domain(system)
    by_digest = {e.digest: e for e in events}
    marks = _marks(system, found.block - 1, {f.order.market for f in fills})
    scale = system.params.price_scale
    orders, planned = [], []
    for fill in fills:
        digest = order_digest(fill.order, signed_in)
        event = by_digest.get(digest)
        if event is None:
            raise ValueError(f"order 0x{digest.hex()} is in its calldata and not in its fills")
        orders.append((fill.order, fill.signature, digest))
        quote = notional(fill.internal_size, fill.internal_price, scale, is_buy=fill.order.is_buy)
        planned.append(
            SettleFill(
                digest, fill.internal_size, fill.internal_price, fill.amm_size, event.amm_quote, fill.fee_bps,
                marks.get(fill.order.market), 0, None, quote, fee_for(quote, fill.fee_bps),
            )
        )  # fmt: skip
    settle = journal.adopt(batch, signed, orders=orders, fills=planned)
    return settle, len(orders), sum(1 for p in planned if p.mark is not None)


def _marks(system: System, block: int, markets: set[int]) -> dict[int, int]:
    """The oracle's price of ``markets`` at ``block`` (a node without that history: none)."""
    marks = {}
    for market in markets:
        try:
            marks[market] = int(system.chain.call(system.oracle.functions.latest(market), block=block)[0])
        except (ChainError, ValueError) as exc:
            _log.warning("the oracle of market %d at block %d cannot be read: %s", market, block, exc)
    return marks
