"""Taking into the journal a transaction the chain holds and the journal lacks (``defi-int keeper --recover``).

``adopt`` writes, in one SQLite transaction, what a settle or a liquidation the keeper's key sent
from another journal (or before this one's last backup) leaves to rebuild: its orders (from the
transaction's calldata: fields and signatures, as signed), the transaction at stage ``sent`` with
its fills or its close, and the signed transaction (its raw bytes when the node gives them). The
loop then books it like any landed transaction (``Settlements.book``: legs, funding, liquidation)
and confirms and reconciles it against the chain. Orders already journaled are kept as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.bot.errors import JournalError
from defi_int.bot.journal.base import order_values
from defi_int.bot.journal.records import LIQUIDATION, RESTING, SENT, SETTLE, Close, SettleFill, SettleRecord, SignedTx
from defi_int.bot.journal.settles import SettleJournal
from defi_int.orders.model import Order


class RecoveryJournal(SettleJournal):
    """See the module docstring."""

    def adopt(
        self,
        batch_id: str,
        tx: SignedTx,
        *,
        orders: Sequence[tuple[Order, bytes, bytes]] = (),
        fills: Sequence[SettleFill] = (),
        close: Close | None = None,
    ) -> SettleRecord:
        """Journals a transaction found on the chain (see the module docstring); returns it at stage sent."""
        if bool(fills) == (close is not None):
            raise JournalError(f"{batch_id}: a recovered transaction is a settle (fills) or a liquidation (a close)")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM settle_txs WHERE tx_hash = ?", (tx.tx_hash,)).fetchone():
                raise JournalError(f"{batch_id}: transaction 0x{tx.tx_hash.hex()} is journaled already")
            now = self.now()
            for order, signature, digest in orders:
                if self._order_row(conn, digest) is not None:
                    continue
                conn.execute(
                    "INSERT INTO orders (digest, trader, trader_key, market, is_buy, size, limit_price, expiry, "
                    "expiry_at, nonce, max_fee_bps, allow_amm, signature, status, received_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (digest, *order_values(order), signature, RESTING, now, now),
                )
                self._event(conn, digest, "recovered", RESTING, f"from transaction 0x{tx.tx_hash.hex()} on the chain")
            settle_id = conn.execute(
                "INSERT INTO settles (batch_id, stage, nonce, tx_hash, planned_at, signed_at, sent_at, updated_at, "
                "kind, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_id, SENT, tx.nonce, tx.tx_hash, now, now, now, now, LIQUIDATION if close else SETTLE,
                 "recovered from the chain"),
            ).lastrowid  # fmt: skip
            assert settle_id is not None
            conn.executemany(
                "INSERT INTO settle_fills (settle_id, position, digest, internal_size, internal_price, amm_size, "
                "amm_quote, fee_bps, mark, amm_mid, amm_reference, internal_quote, internal_fee) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (settle_id, i, f.digest, str(f.internal_size), str(f.internal_price), str(f.amm_size),
                     str(f.amm_quote), f.fee_bps, None if f.mark is None else str(f.mark), str(f.amm_mid),
                     None if f.amm_reference is None else str(f.amm_reference), str(f.internal_quote),
                     str(f.internal_fee))
                    for i, f in enumerate(fills)
                ],
            )  # fmt: skip
            if close is not None:
                conn.execute(
                    "INSERT INTO settle_closes (settle_id, position, account, market, size) VALUES (?, 0, ?, ?, ?)",
                    (settle_id, close.account, close.market, str(close.size)),
                )
            conn.execute(
                "INSERT INTO settle_txs (tx_hash, settle_id, nonce, raw, max_fee, priority_fee, gas_limit, replaces, "
                "signed_at, sent_at, cancel) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 0)",
                (tx.tx_hash, settle_id, tx.nonce, tx.raw, str(tx.max_fee), str(tx.priority_fee), tx.gas_limit, now,
                 now),
            )  # fmt: skip
            self._events(conn, [(f.digest, "planned", RESTING, batch_id) for f in fills], settle_id)
            return self._settle(conn, settle_id)
