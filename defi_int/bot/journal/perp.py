"""The perpetuals part of the journal: the liquidator's transactions, and funding and liquidations as booked.

- ``plan_liquidation``: a liquidation the keeper decided on (``keeper.liquidator``) becomes a
  transaction of ``kind`` liquidation in the settles table, at stage planned; it then goes through
  the same stages as a settle (``sign_settle``, ``mark_sent``, ``mark_mined``, ``mark_confirmed``,
  ``mark_reconciled``, ``drop_settle``), with the same restart and reorg handling, and no fills.
  Only one liquidation of an account is in flight at a time.
- ``record_funding``: the Vault's ``FundingSettled`` charges (``views.funding_logged``), from the
  receipts of the keeper's transactions and from its scan of every block; idempotent on (tx, log,
  position).
- ``record_liquidations``: the Vault's ``Liquidated`` events (``views.liquidations_logged``), the
  keeper's and anyone else's (the desk takes positions whoever liquidates); idempotent on (tx, log).

Both are booked by block, so a reorg forgets them from its fork up (``settles.BY_BLOCK``). The
report reads them back (``funding``, ``liquidations``): the desk's funding and what it took in
liquidations are PnL parts of their own, as in the simulator.
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.bot.errors import JournalError
from defi_int.bot.journal.base import _IN_FLIGHT_SQL
from defi_int.bot.journal.records import CONFIRMED as _CONFIRMED
from defi_int.bot.journal.records import (
    LIQUIDATION,
    MINED,
    PLANNED,
    RECONCILED,
    Close,
    FundingRecord,
    LiquidationBooked,
    SettleRecord,
)
from defi_int.bot.journal.settles import SettleJournal


class PerpJournal(SettleJournal):
    """Liquidation transactions, funding, liquidations: see the module docstring."""

    def plan_liquidation(self, batch_id: str, close: Close) -> SettleRecord:
        """Journals a liquidation to send; refused while another one of the same account is in flight."""
        if close.size <= 0:
            raise JournalError(f"liquidation {batch_id}: nothing to close")
        with self._write(durable=False) as conn:
            flying = conn.execute(
                "SELECT s.id FROM settle_closes c JOIN settles s ON s.id = c.settle_id "
                f"WHERE c.account = ? AND s.stage IN ({_IN_FLIGHT_SQL})",
                (close.account,),
            ).fetchone()
            if flying is not None:
                raise JournalError(f"liquidation {batch_id}: {close.account} is already in liquidation {flying[0]}")
            now = self.now()
            settle_id = conn.execute(
                "INSERT INTO settles (batch_id, stage, planned_at, updated_at, kind) VALUES (?, ?, ?, ?, ?)",
                (batch_id, PLANNED, now, now, LIQUIDATION),
            ).lastrowid
            assert settle_id is not None
            conn.execute(
                "INSERT INTO settle_closes (settle_id, position, account, market, size) VALUES (?, 0, ?, ?, ?)",
                (settle_id, close.account, close.market, str(close.size)),
            )
            return self._settle(conn, settle_id)

    def record_funding(self, charges: Sequence[FundingRecord]) -> int:
        """Books funding charges; returns how many were new."""
        if not charges:
            return 0
        now = self.now()
        with self._write(durable=False) as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO funding (tx_hash, log_index, position, block_number, block_hash, account, "
                "market, amount, booked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.tx_hash, c.log_index, c.position, c.block_number, c.block_hash, c.account, c.market,
                     str(c.amount), now)
                    for c in charges
                ],
            )  # fmt: skip
            return conn.total_changes - before

    def record_liquidations(self, liquidations: Sequence[LiquidationBooked]) -> int:
        """Books ``Liquidated`` events; returns how many were new."""
        if not liquidations:
            return 0
        now = self.now()
        with self._write(durable=False) as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO liquidations (tx_hash, log_index, block_number, block_hash, block_time, "
                "account, market, liquidator, size, to_desk, to_amm, amm_quote, mark, penalty, bad_debt, uncovered, "
                "booked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (x.tx_hash, x.log_index, x.block_number, x.block_hash, x.block_time, x.account, x.market,
                     x.liquidator, *(str(v) for v in (x.size, x.to_desk, x.to_amm, x.amm_quote, x.mark, x.penalty,
                                                       x.bad_debt, x.uncovered)), now)
                    for x in liquidations
                ],
            )  # fmt: skip
            return conn.total_changes - before

    # ------------------------------------------------------------------ queries

    def funding(self, account: str | None = None) -> list[FundingRecord]:
        """Every funding charge booked (of ``account`` only, when given), in chain order."""
        where, args = ("", ()) if account is None else ("WHERE lower(account) = ?", (account.lower(),))
        rows = self._conn().execute(
            "SELECT tx_hash, log_index, position, block_number, block_hash, account, market, amount FROM funding "
            f"{where} ORDER BY block_number, log_index, position",
            args,
        )
        return [FundingRecord(bytes(h), i, p, b, bytes(bh), a, m, int(amount)) for h, i, p, b, bh, a, m, amount in rows]

    def liquidations(self) -> list[LiquidationBooked]:
        """Every liquidation booked, in chain order."""
        rows = self._conn().execute(
            "SELECT tx_hash, log_index, block_number, block_hash, block_time, account, market, liquidator, size, "
            "to_desk, to_amm, amm_quote, mark, penalty, bad_debt, uncovered FROM liquidations "
            "ORDER BY block_number, log_index"
        )
        return [
            LiquidationBooked(bytes(h), i, b, bytes(bh), t, a, m, lq, *(int(v) for v in amounts))
            for h, i, b, bh, t, a, m, lq, *amounts in rows
        ]

    def liquidation_totals(self) -> tuple[int, int]:
        """(the keeper's liquidation transactions that went through, their gas)."""
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*), COALESCE(SUM(gas_used), 0) FROM settles WHERE kind = ? AND status = 1 "
                "AND stage IN (?, ?, ?)",
                (LIQUIDATION, MINED, _CONFIRMED, RECONCILED),
            )
            .fetchone()
        )
        return int(row[0]), int(row[1])

    def traded_accounts(self, after: int = 0) -> tuple[list[str], int]:
        """The traders of the fills booked after fill row ``after``, in the order they first traded, and the
        last row read: the accounts that can hold a position through this keeper, the ones its liquidator
        watches (a caller keeps the set and asks for what is new; after a reorg, from 0 again)."""
        with self._read() as conn:  # CROSS JOIN: the new fills first (else SQLite walks every order)
            rows = conn.execute(
                "SELECT o.trader FROM fills f CROSS JOIN orders o ON o.digest = f.digest WHERE f.id > ? "
                "GROUP BY o.trader_key ORDER BY MIN(f.id)",
                (after,),
            ).fetchall()
            last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM fills").fetchone()[0]
        return [str(trader) for (trader,) in rows], int(last)
