"""The settle part of the journal: a settle transaction through its stages, and the fills it booked.

Each method is one stage change in one SQLite transaction (see ``records`` for the stages):

- ``plan_settle``: the batch, from the keeper's typed plan (``keeper.plan.PlannedFill``): each
  fill's expected legs and the market they were planned against; its orders are now in flight. An
  order already in flight, not live, or with less left than planned is refused: never two
  transactions for the same fills.
- ``sign_settle``: the raw transaction, its hash and nonce (again for a replacement: same nonce,
  fees bumped; the old one may still land, so both are kept).
- ``mark_sent``, ``mark_mined`` (the legs booked from the receipt's ``FillEvent``s; a
  receipt with status 0 fails the settle), ``mark_confirmed``, ``mark_reconciled``.
- ``drop_settle``: a settle that never landed and never will (its nonce went to another
  transaction): ``dropped``, or ``reorged`` when a reorg had taken its block away before.
- ``unwind_reorg``: every settle mined at or above a block that is no longer canonical goes back
  to ``sent``: its legs are unbooked, its orders stay in flight (its signed transaction may land
  again, and nothing else may fill them until it does or its nonce is taken), and what was booked
  by block there (hedges, samples, funding, liquidations: ``BY_BLOCK``) is forgotten.

A liquidation (``kind`` liquidation, planned by ``perp.plan_liquidation``) goes through the same
stages with no fills: its ``Liquidated`` event and the funding it settled are booked by block.

Leaving flight without a fill releases an order to its live status; the loop's next
``expire_orders`` expires those whose time has passed. Hedges and market samples (``desk``) are
booked by block too, so a reorg unbooks them with the settles.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from defi_int.bot.errors import JournalError
from defi_int.bot.journal.base import _IN_FLIGHT_SQL, Store, leg_rows
from defi_int.bot.journal.records import (
    CLOSED,
    CONFIRMED,
    DROPPED,
    FAILED,
    FILLED,
    LIQUIDATION,
    MINED,
    PARTIALLY_FILLED,
    PLANNED,
    RECONCILED,
    REORGED,
    RESTING,
    SENT,
    SETTLE,
    SIGNED,
    Close,
    Cursor,
    InFlight,
    LegRecord,
    OrderRecord,
    SettleFill,
    SettleRecord,
    SignedTx,
)
from defi_int.keeper.plan import PlannedFill
from defi_int.orders.booking import Leg

_SETTLE_COLUMNS = (
    "id, batch_id, stage, nonce, tx_hash, block_number, block_hash, block_time, status, gas_used, confirmations, "
    "detail, planned_at, signed_at, sent_at, mined_at, confirmed_at, reconciled_at, closed_at, reorgs, kind"
)
_TIME_NAMES = ("planned", "signed", "sent", "mined", "confirmed", "reconciled", "closed")
#: Tables booked by block from the chain's events: a reorg forgets their rows from its fork up.
BY_BLOCK = ("hedges", "samples", "funding", "liquidations")


class SettleJournal(Store):
    """Settle transactions: see the module docstring."""

    def plan_settle(self, batch_id: str, fills: Sequence[PlannedFill]) -> SettleRecord:
        """Journals a planned batch; its orders are in flight from now on."""
        if not fills:
            raise JournalError(f"batch {batch_id}: a settle needs at least one fill")
        digests = [f.digest for f in fills]
        if len(set(digests)) != len(digests):
            raise JournalError(f"batch {batch_id}: an order appears twice in one settle")
        with self._write(durable=False) as conn:
            if conn.execute("SELECT 1 FROM settles WHERE batch_id = ?", (batch_id,)).fetchone():
                raise JournalError(f"batch {batch_id} is already journaled")
            records = self._orders_in(conn, digests)
            flying = self._flights_in(conn, digests)
            for each in fills:
                self._check_plannable(batch_id, each, records.get(each.digest), flying.get(each.digest))
            now = self.now()
            settle_id = conn.execute(
                "INSERT INTO settles (batch_id, stage, planned_at, updated_at) VALUES (?, ?, ?, ?)",
                (batch_id, PLANNED, now, now),
            ).lastrowid
            assert settle_id is not None
            conn.executemany(
                "INSERT INTO settle_fills (settle_id, position, digest, internal_size, internal_price, amm_size, "
                "amm_quote, fee_bps, mark, amm_mid, amm_reference, internal_quote, internal_fee) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        settle_id,
                        position,
                        planned.digest,
                        str(planned.fill.internal_size),
                        str(planned.fill.internal_price),
                        str(planned.fill.amm_size),
                        str(planned.expected.amm_quote),
                        planned.fill.fee_bps,
                        _text(planned.expected.mark),
                        str(planned.expected.amm_mid),
                        _text(planned.expected.amm.reference),
                        str(planned.expected.internal_quote),
                        str(planned.expected.internal_fee),
                    )
                    for position, planned in enumerate(fills)
                ],
            )
            self._events(conn, [(p.digest, "planned", records[p.digest].status, batch_id) for p in fills], settle_id)
            return self._settle(conn, settle_id)

    def sign_settle(self, settle_id: int, tx: SignedTx) -> SettleRecord:
        """Records a signed transaction: the first one (planned → signed) or a replacement.

        A replacement names the transaction it ``replaces`` (the current one) and keeps its nonce;
        until one of them is mined, either may land.
        """
        with self._write() as conn:
            settle = self._settle(conn, settle_id)
            if settle.stage == PLANNED:
                if tx.replaces is not None:
                    raise JournalError(f"settle {settle_id}: the first transaction cannot replace another")
            elif settle.stage in (SIGNED, SENT):
                if tx.replaces != settle.tx_hash or tx.nonce != settle.nonce:
                    raise JournalError(
                        f"settle {settle_id}: a replacement must replace 0x{_hex(settle.tx_hash)} "
                        f"at nonce {settle.nonce}"
                    )
            else:
                raise JournalError(f"settle {settle_id} is {settle.stage}; only a planned or pending one is signed")
            now = self.now()
            conn.execute(
                "INSERT INTO settle_txs (tx_hash, settle_id, nonce, raw, max_fee, priority_fee, gas_limit, replaces, "
                "signed_at, cancel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tx.tx_hash,
                    settle_id,
                    tx.nonce,
                    tx.raw,
                    str(tx.max_fee),
                    str(tx.priority_fee),
                    tx.gas_limit,
                    tx.replaces,
                    now,
                    int(tx.cancel),
                ),
            )
            conn.execute(
                "UPDATE settles SET stage = ?, nonce = ?, tx_hash = ?, signed_at = ?, updated_at = ? WHERE id = ?",
                (SIGNED, tx.nonce, tx.tx_hash, now, now, settle_id),
            )
            return self._settle(conn, settle_id)

    def mark_sent(self, settle_id: int, tx_hash: bytes) -> SettleRecord:
        """The node accepted ``tx_hash`` (again, for a rebroadcast)."""
        with self._write(durable=False) as conn:
            settle = self._settle(conn, settle_id)
            self._check_tx(settle, tx_hash, (SIGNED, SENT), "sent")
            now = self.now()
            conn.execute("UPDATE settle_txs SET sent_at = ? WHERE tx_hash = ?", (now, tx_hash))
            conn.execute(
                "UPDATE settles SET stage = ?, sent_at = ?, updated_at = ? WHERE id = ?", (SENT, now, now, settle_id)
            )
            return self._settle(conn, settle_id)

    def mark_mined(
        self,
        settle_id: int,
        tx_hash: bytes,
        *,
        block_number: int,
        block_hash: bytes,
        block_time: int,
        status: int,
        gas_used: int,
        legs: Sequence[Leg],
    ) -> SettleRecord:
        """``tx_hash`` was mined: books ``legs`` (from its events) or, with status 0, fails the settle.

        Orders of the plan without a booked leg leave flight (released to their live status).
        """
        with self._write(durable=False) as conn:
            settle = self._settle(conn, settle_id)
            self._check_tx(settle, tx_hash, (SIGNED, SENT), "mined")
            if status == 0 and legs:
                raise JournalError(f"settle {settle_id}: a reverted transaction books no fills")
            stage = MINED if status else FAILED
            now = self.now()
            conn.execute(
                "UPDATE settles SET stage = ?, tx_hash = ?, block_number = ?, block_hash = ?, block_time = ?, "
                "status = ?, gas_used = ?, mined_at = ?, closed_at = ?, detail = ?, updated_at = ? WHERE id = ?",
                (
                    stage,
                    tx_hash,
                    block_number,
                    block_hash,
                    block_time,
                    status,
                    gas_used,
                    now,
                    None if status else now,
                    "" if status else f"reverted in block {block_number}",
                    now,
                    settle_id,
                ),
            )
            planned = {f.digest: f for f in settle.fills}
            booked: dict[bytes, int] = {}
            for leg in legs:
                if leg.digest not in planned:
                    raise JournalError(f"settle {settle_id}: a leg for 0x{leg.digest.hex()}, which it did not plan")
                booked[leg.digest] = booked.get(leg.digest, 0) + leg.size
            conn.executemany(
                "INSERT INTO fills (settle_id, tx_hash, block_number, block_hash, block_time, fill_index, digest, "
                "venue, size, quote, price, fee, oracle_price, amm_mid, amm_quote, amm_quote_price, gas, "
                "booked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        settle_id,
                        tx_hash,
                        block_number,
                        block_hash,
                        block_time,
                        leg.fill_index,
                        leg.digest,
                        leg.venue,
                        *(str(v) for v in (leg.size, leg.quote, leg.price, leg.fee, leg.oracle_price)),
                        *(str(v) for v in (leg.amm_mid, leg.amm_quote, leg.amm_quote_price)),
                        leg.gas,
                        now,
                    )
                    for leg in legs
                ],
            )
            where = f"tx 0x{tx_hash.hex()} in block {block_number}"
            records = self._orders_in(conn, list(planned))
            updates: list[tuple[str, str, float, bytes]] = []
            events: list[tuple[bytes, str, str, str]] = []
            released: list[tuple[int, bytes]] = []
            for digest in planned:
                record = records[digest]
                if digest in booked:  # fills are only ever added here; a reorg recomputes them from the legs
                    filled = record.filled + booked[digest]
                    if filled > record.order.size:
                        raise JournalError(
                            f"order 0x{digest.hex()}: {filled} booked, over its size {record.order.size}"
                        )
                    after = _status_after(record.status, filled, record.order.size)
                    updates.append((str(filled), after, now, digest))
                    events.append((digest, "filled", after, f"{booked[digest]} booked from {where}"))
                else:
                    released.append((settle_id, digest))
                    events.append(
                        (
                            digest,
                            "released",
                            record.status,
                            f"{where} {'reverted' if status == 0 else 'did not fill it'}",
                        )
                    )
            conn.executemany("UPDATE orders SET filled = ?, status = ?, updated_at = ? WHERE digest = ?", updates)
            conn.executemany("UPDATE settle_fills SET released = 1 WHERE settle_id = ? AND digest = ?", released)
            self._events(conn, events, settle_id)
            return self._settle(conn, settle_id)

    def mark_confirmed(self, settle_id: int, confirmations: int) -> SettleRecord:
        """The mined transaction is ``confirmations`` blocks deep: its fills are final."""
        return self._advance(settle_id, (MINED,), CONFIRMED, "confirmed_at", confirmations=confirmations)

    def mark_reconciled(self, settle_id: int, cursor: Cursor | None = None) -> SettleRecord:
        """The loop checked the chain's events against the booked fills; ``cursor`` moves with it."""
        return self._advance(settle_id, (CONFIRMED,), RECONCILED, "reconciled_at", cursor=cursor)

    def drop_settle(self, settle_id: int, detail: str) -> SettleRecord:
        """Gives up a settle that never landed (planned, signed or sent); its orders are released.

        It becomes ``reorged`` when a reorg had taken its block away before, ``dropped`` otherwise.
        """
        with self._write(durable=False) as conn:
            settle = self._settle(conn, settle_id)
            if settle.stage not in (PLANNED, SIGNED, SENT):
                raise JournalError(f"settle {settle_id} is {settle.stage}; only one that never landed is dropped")
            self._close(conn, settle, REORGED if settle.reorgs else DROPPED, detail)
            for fill in settle.fills:
                self._event(conn, fill.digest, "released", self._status(conn, fill.digest), detail, settle_id)
            return self._settle(conn, settle_id)

    def unwind_reorg(self, from_block: int, detail: str) -> list[SettleRecord]:
        """Blocks from ``from_block`` up are no longer canonical: unbooks every settle mined there.

        Each goes back to ``sent`` (its signed transactions kept: one may land again), its legs are
        deleted, its orders' filled amounts and statuses are recomputed from what stays booked (a
        filled order goes back to resting or partially filled) while they stay in flight; hedges,
        samples and cursors at or above ``from_block`` are forgotten.
        """
        with self._write(durable=False) as conn:
            rows = conn.execute(
                "SELECT id FROM settles WHERE block_number >= ? AND stage IN (?, ?, ?) ORDER BY id",
                (from_block, MINED, CONFIRMED, RECONCILED),
            ).fetchall()
            unwound = []
            now = self.now()
            for (settle_id,) in rows:
                settle = self._settle(conn, settle_id)
                why = f"block {settle.block_number} no longer canonical: {detail}"
                conn.execute(
                    "UPDATE settles SET stage = ?, block_number = NULL, block_hash = NULL, block_time = NULL, "
                    "status = NULL, gas_used = NULL, confirmations = NULL, mined_at = NULL, confirmed_at = NULL, "
                    "reconciled_at = NULL, reorgs = reorgs + 1, detail = ?, updated_at = ? WHERE id = ?",
                    (SENT, why, now, settle_id),
                )
                conn.execute("DELETE FROM fills WHERE settle_id = ?", (settle_id,))
                for fill in settle.fills:
                    self._refresh_fill(conn, fill.digest, "unbooked", why, settle_id)
                unwound.append(self._settle(conn, settle_id))
            for table in BY_BLOCK:
                conn.execute(f"DELETE FROM {table} WHERE block_number >= ?", (from_block,))
            conn.execute("DELETE FROM cursors WHERE block >= ?", (from_block,))
            return unwound

    # ------------------------------------------------------------------ queries

    def get_settle(self, settle_id: int) -> SettleRecord:
        with self._read() as conn:
            return self._settle(conn, settle_id)

    def settle_by_tx(self, tx_hash: bytes) -> SettleRecord | None:
        """The settle that signed ``tx_hash`` (any of its replacements), if any."""
        with self._read() as conn:
            row = conn.execute("SELECT settle_id FROM settle_txs WHERE tx_hash = ?", (tx_hash,)).fetchone()
            return None if row is None else self._settle(conn, row[0])

    def settle_of_tx(self, tx_hash: bytes) -> int | None:
        """The id of the settle that signed ``tx_hash`` (any of its replacements), without reading it."""
        row = self._conn().execute("SELECT settle_id FROM settle_txs WHERE tx_hash = ?", (tx_hash,)).fetchone()
        return None if row is None else int(row[0])

    def open_settles(self) -> list[SettleRecord]:
        """Settles not final yet (planned, signed, sent, mined), oldest first: what a restart resumes."""
        with self._read() as conn:
            ids = conn.execute(f"SELECT id FROM settles WHERE stage IN ({_IN_FLIGHT_SQL}) ORDER BY id").fetchall()
            return [self._settle(conn, i) for (i,) in ids]

    def settles_in(self, stages: tuple[str, ...], *, from_block: int | None = None) -> list[SettleRecord]:
        """Settles in ``stages`` (mined at or above ``from_block``, when given), oldest first."""
        marks = ", ".join("?" for _ in stages)
        where = f"stage IN ({marks})" + ("" if from_block is None else " AND block_number >= ?")
        args = (*stages, *(() if from_block is None else (from_block,)))
        with self._read() as conn:
            ids = conn.execute(f"SELECT id FROM settles WHERE {where} ORDER BY id", args).fetchall()
            return [self._settle(conn, i) for (i,) in ids]

    def settles_to_reconcile(self) -> list[SettleRecord]:
        """Confirmed settles the loop has not reconciled yet, oldest first."""
        with self._read() as conn:
            ids = conn.execute("SELECT id FROM settles WHERE stage = ? ORDER BY id", (CONFIRMED,)).fetchall()
            return [self._settle(conn, i) for (i,) in ids]

    def fill_records(self) -> list[Leg]:
        """Every booked leg (the columns of ``defi-int run``'s fills.csv), ``step`` the settle's id."""
        return [replace(rec.leg, step=rec.settle_id) for rec in leg_rows(self._conn(), "", ())]

    def settle_totals(self) -> tuple[int, int]:
        """(settle transactions that went through, their gas): mined with status 1, final or not."""
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*), COALESCE(SUM(gas_used), 0) FROM settles WHERE status = 1 AND stage IN (?, ?, ?) "
                "AND kind = ?",
                (MINED, CONFIRMED, RECONCILED, SETTLE),
            )
            .fetchone()
        )
        return int(row[0]), int(row[1])

    def all_legs(self) -> list[LegRecord]:
        """Every booked leg, in chain order."""
        return leg_rows(self._conn(), "", ())

    def settle_legs(self, settle_id: int) -> list[LegRecord]:
        """The legs booked for settle ``settle_id``, in chain order."""
        return leg_rows(self._conn(), "WHERE f.settle_id = ?", (settle_id,))

    def fill_latencies(self) -> list[tuple[float, float, float | None]]:
        """For every order with a fill: (received, first leg booked, its settle confirmed or None), wall seconds."""
        rows = self._conn().execute(
            "SELECT o.received_at, MIN(f.booked_at), MIN(s.confirmed_at) FROM orders o "
            "JOIN fills f ON f.digest = o.digest JOIN settles s ON s.id = f.settle_id GROUP BY o.digest"
        )
        return [(float(r), float(b), None if c is None else float(c)) for r, b, c in rows]

    def fill_counts(self) -> dict[str, int]:
        """Booked legs per venue (both venues present, zero included)."""
        counts = {"internal": 0, "amm": 0}
        for venue, count in self._conn().execute("SELECT venue, COUNT(*) FROM fills GROUP BY venue"):
            counts[venue] = count
        return counts

    def backlog(self) -> dict[str, int]:
        """What is not final yet: settles in flight, their orders, and confirmed settles to reconcile."""
        with self._read() as conn:
            settles = conn.execute(f"SELECT COUNT(*) FROM settles WHERE stage IN ({_IN_FLIGHT_SQL})").fetchone()[0]
            orders = conn.execute(
                "SELECT COUNT(*) FROM settle_fills f JOIN settles s ON s.id = f.settle_id "
                f"WHERE f.released = 0 AND s.stage IN ({_IN_FLIGHT_SQL})"
            ).fetchone()[0]
            unreconciled = conn.execute("SELECT COUNT(*) FROM settles WHERE stage = ?", (CONFIRMED,)).fetchone()[0]
        return {"settles_in_flight": settles, "orders_in_flight": orders, "settles_unreconciled": unreconciled}

    def set_cursor(self, name: str, block: int, block_hash: bytes) -> None:
        """Records that the loop has processed up to ``block`` (e.g. ``confirmed``, ``scanned``)."""
        with self._write(durable=False) as conn:
            self._set_cursor(conn, Cursor(name, block, block_hash))

    def _set_cursor(self, conn: sqlite3.Connection, cursor: Cursor) -> None:
        conn.execute(
            "INSERT INTO cursors (name, block, block_hash, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET block = excluded.block, block_hash = excluded.block_hash, "
            "updated_at = excluded.updated_at",
            (cursor.name, cursor.block, cursor.block_hash, self.now()),
        )

    def cursor(self, name: str) -> Cursor | None:
        row = self._conn().execute("SELECT block, block_hash FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else Cursor(name, row[0], bytes(row[1]))

    # ------------------------------------------------------------------ helpers

    def _settle(self, conn: sqlite3.Connection, settle_id: int) -> SettleRecord:
        row = conn.execute(f"SELECT {_SETTLE_COLUMNS} FROM settles WHERE id = ?", (settle_id,)).fetchone()
        if row is None:
            raise JournalError(f"no settle {settle_id} in the journal")
        fills = self._fills_of(conn, settle_id, row[1])
        txs = tuple(
            SignedTx(
                bytes(h), bytes(raw), n, int(mf), int(pf), gl, None if rep is None else bytes(rep), sa, se, bool(c)
            )
            for h, raw, n, mf, pf, gl, rep, sa, se, c in conn.execute(
                "SELECT tx_hash, raw, nonce, max_fee, priority_fee, gas_limit, replaces, signed_at, sent_at, cancel "
                "FROM settle_txs WHERE settle_id = ? ORDER BY rowid",
                (settle_id,),
            )
        )
        times = {name: t for name, t in zip(_TIME_NAMES, row[12:19], strict=True) if t is not None}
        closes = tuple(
            Close(account, market, int(size))
            for account, market, size in conn.execute(
                "SELECT account, market, size FROM settle_closes WHERE settle_id = ? ORDER BY position", (settle_id,)
            )
        ) if row[20] == LIQUIDATION else ()  # fmt: skip
        return SettleRecord(
            id=row[0],
            batch_id=row[1],
            stage=row[2],
            fills=fills,
            txs=txs,
            nonce=row[3],
            tx_hash=_bytes(row[4]),
            block_number=row[5],
            block_hash=_bytes(row[6]),
            block_time=row[7],
            status=row[8],
            gas_used=row[9],
            confirmations=row[10],
            detail=row[11],
            times=times,
            reorgs=row[19],
            kind=row[20],
            closes=closes,
        )

    def _fills_of(self, conn: sqlite3.Connection, settle_id: int, batch_id: str) -> tuple[SettleFill, ...]:
        """A settle's fills, read once: they never change after planning (a loop reads its open settles
        every iteration, a batch's four hundred fills each time). Keyed by the batch too: the id of a
        planning transaction that rolled back is given to the next settle."""
        cache: dict[tuple[int, str], tuple[SettleFill, ...]] = self.__dict__.setdefault("_settle_fills", {})
        found = cache.get((settle_id, batch_id))
        if found is not None:
            return found
        fills = tuple(
            SettleFill(
                bytes(d), int(i_size), int(i_price), int(a_size), int(a_quote), fee, _int(mark), int(mid),
                _int(reference), int(i_quote), int(i_fee),
            )
            for d, i_size, i_price, a_size, a_quote, fee, mark, mid, reference, i_quote, i_fee in conn.execute(
                "SELECT digest, internal_size, internal_price, amm_size, amm_quote, fee_bps, mark, amm_mid, "
                "amm_reference, internal_quote, internal_fee FROM settle_fills WHERE settle_id = ? ORDER BY position",
                (settle_id,),
            )
        )  # fmt: skip
        if len(cache) > 10_000:
            cache.clear()
        cache[(settle_id, batch_id)] = fills
        return fills

    def _check_plannable(
        self, batch_id: str, planned: PlannedFill, record: OrderRecord | None, flight: InFlight | None
    ) -> None:
        where = f"batch {batch_id}: order 0x{planned.digest.hex()}"
        fill = planned.fill
        if record is None:
            raise JournalError(f"{where} is not in the journal")
        if not record.live:
            raise JournalError(f"{where} is {record.status}")
        if flight is not None:
            raise JournalError(f"{where} is already in flight in settle {flight.settle_id} ({flight.stage})")
        amount = fill.internal_size + fill.amm_size
        if amount <= 0 or amount > record.remaining:
            raise JournalError(f"{where}: a fill of {amount} where {record.remaining} is left")

    def _check_tx(self, settle: SettleRecord, tx_hash: bytes, stages: tuple[str, ...], what: str) -> None:
        if settle.stage not in stages:
            raise JournalError(f"settle {settle.id} is {settle.stage}; it cannot be {what} now")
        if tx_hash not in {tx.tx_hash for tx in settle.txs}:
            raise JournalError(f"settle {settle.id} never signed 0x{tx_hash.hex()}")

    def _advance(
        self,
        settle_id: int,
        stages: tuple[str, ...],
        stage: str,
        time_column: str,
        cursor: Cursor | None = None,
        **values: Any,
    ) -> SettleRecord:
        with self._write(durable=False) as conn:
            if cursor is not None:
                self._set_cursor(conn, cursor)
            settle = self._settle(conn, settle_id)
            if settle.stage not in stages:
                raise JournalError(f"settle {settle_id} is {settle.stage}; it cannot become {stage}")
            now = self.now()
            extra = "".join(f", {k} = ?" for k in values)
            conn.execute(
                f"UPDATE settles SET stage = ?, {time_column} = ?, updated_at = ?{extra} WHERE id = ?",
                (stage, now, now, *values.values(), settle_id),
            )
            return self._settle(conn, settle_id)

    def _close(self, conn: sqlite3.Connection, settle: SettleRecord, stage: str, detail: str) -> None:
        assert stage in CLOSED
        now = self.now()
        conn.execute(
            "UPDATE settles SET stage = ?, detail = ?, closed_at = ?, updated_at = ? WHERE id = ?",
            (stage, detail, now, now, settle.id),
        )

    def _status(self, conn: sqlite3.Connection, digest: bytes) -> str:
        row = conn.execute("SELECT status FROM orders WHERE digest = ?", (digest,)).fetchone()
        return str(row[0])

    def _events(self, conn: sqlite3.Connection, events: Sequence[tuple[bytes, str, str, str]], settle_id: int) -> None:
        """Order events (digest, event, status after it, detail) of one settle, in one statement."""
        now = self.now()
        conn.executemany(
            "INSERT INTO order_events (digest, at, event, status, detail, settle_id) VALUES (?, ?, ?, ?, ?, ?)",
            [(digest, now, event, status, detail, settle_id) for digest, event, status, detail in events],
        )

    def _refresh_fill(self, conn: sqlite3.Connection, digest: bytes, event: str, detail: str, settle_id: int) -> None:
        """Recomputes an order's filled amount from its booked legs, and its status from that."""
        record = self._order_row(conn, digest)
        assert record is not None
        filled = sum(int(size) for (size,) in conn.execute("SELECT size FROM fills WHERE digest = ?", (digest,)))
        if filled > record.order.size:
            raise JournalError(f"order 0x{digest.hex()}: {filled} booked, over its size {record.order.size}")
        status = _status_after(record.status, filled, record.order.size)
        conn.execute(
            "UPDATE orders SET filled = ?, status = ?, updated_at = ? WHERE digest = ?",
            (str(filled), status, self.now(), digest),
        )
        self._event(conn, digest, event, status, detail, settle_id)


def _status_after(status: str, filled: int, size: int) -> str:
    """A live or filled order's status once ``filled`` of its ``size`` is booked (others keep theirs)."""
    if status in (RESTING, PARTIALLY_FILLED, FILLED):
        return FILLED if filled == size else PARTIALLY_FILLED if filled else RESTING
    return status


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _hex(value: bytes | None) -> str:
    return "" if value is None else value.hex()
