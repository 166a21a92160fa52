"""The orders part of the journal: intake, the loop's reasons, expiry, rejection, cancel, queries.

Intake (``add_order``) is idempotent on the digest and, in the same transaction, refuses a second
live order on a (trader, nonce) and a trader past the resting cap, so concurrent API threads cannot
slip past either rule. Every status change writes one ``order_events`` line in the same
transaction. Orders in a settle in flight are never expired, rejected or cancelled here: the settle
decides their fate first (``settles``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from defi_int.bot.errors import JournalError, OrderInFlight
from defi_int.bot.journal.base import _IN_FLIGHT_SQL, ORDER_COLUMNS, Store, leg_rows, order_from_row, order_values
from defi_int.bot.journal.records import (
    CANCELLED,
    EXPIRED,
    LIVE,
    ORDER_STATUSES,
    REJECTED,
    RESTING,
    InFlight,
    LegRecord,
    OrderEvent,
    OrderRecord,
)
from defi_int.keeper.book import Receipt
from defi_int.keeper.trace import OrderTrace
from defi_int.orders.model import Order
from defi_int.reasons import Reason

#: An order to journal: the order, its signature, its digest, what the desk saw at its arrival.
Incoming = tuple[Order, bytes, bytes, Receipt | None]
_LIVE_SQL = ", ".join(f"'{s}'" for s in LIVE)
_NOT_IN_FLIGHT = (
    "NOT EXISTS (SELECT 1 FROM settle_fills f JOIN settles s ON s.id = f.settle_id "
    f"WHERE f.digest = orders.digest AND f.released = 0 AND s.stage IN ({_IN_FLIGHT_SQL}))"
)


@dataclass(frozen=True)
class Admission:
    """What ``add_order`` did: ``created`` or ``existing`` (with the record), or why it refused.

    ``nonce_taken``: ``other`` is the live order already using the trader's nonce;
    ``resting_cap``: ``count`` is how many live orders the trader has.
    """

    outcome: Literal["created", "existing", "nonce_taken", "resting_cap"]
    record: OrderRecord | None = None
    other: bytes | None = None
    count: int = 0


def _json(receipt: Receipt | None) -> str | None:
    return None if receipt is None else json.dumps(receipt.as_dict(), sort_keys=True)


class OrderJournal(Store):
    """Orders: see the module docstring."""

    def add_order(
        self,
        order: Order,
        signature: bytes,
        digest: bytes,
        *,
        receipt: Receipt | None = None,
        max_resting: int | None = None,
    ) -> Admission:
        """Journals a verified order as resting, once, with what the desk saw when it arrived
        (``receipt``); a repeat returns the journaled one."""
        return self.add_orders([(order, signature, digest, receipt)], max_resting=max_resting)[0]

    def add_orders(self, orders: Sequence[Incoming], *, max_resting: int | None = None) -> list[Admission]:
        """``add_order`` for several orders in one transaction (one commit, one fsync), in order.

        Each order is judged after the ones before it in the list, as if added one by one.
        """
        admissions = []
        with self._write() as conn:
            for order, signature, digest, receipt in orders:
                admissions.append(self._admit(conn, order, signature, digest, receipt, max_resting))
        return admissions

    def _admit(
        self,
        conn: sqlite3.Connection,
        order: Order,
        signature: bytes,
        digest: bytes,
        receipt: Receipt | None,
        max_resting: int | None,
    ) -> Admission:
        existing = self._order_row(conn, digest)
        if existing is not None:
            return Admission("existing", existing)
        key = order.trader.lower()
        other = conn.execute(
            f"SELECT digest FROM orders WHERE trader_key = ? AND nonce = ? AND status IN ({_LIVE_SQL})",
            (key, str(order.nonce)),
        ).fetchone()
        if other is not None:
            return Admission("nonce_taken", other=bytes(other[0]))
        if max_resting is not None:
            count = self._live_count(conn, key)
            if count >= max_resting:
                return Admission("resting_cap", count=count)
        now = self.now()
        conn.execute(
            "INSERT INTO orders (digest, trader, trader_key, market, is_buy, size, limit_price, expiry, expiry_at, "
            "nonce, max_fee_bps, allow_amm, signature, status, received_at, updated_at, receipt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (digest, *order_values(order), signature, RESTING, now, now, _json(receipt)),
        )
        self._event(conn, digest, "accepted", RESTING)
        return Admission("created", OrderRecord(order, signature, digest, RESTING, 0, None, now, now, receipt))

    def note_reasons(self, reasons: Mapping[bytes, tuple[Reason, str]]) -> int:
        """Writes why each live order has not filled (code, sentence); unchanged ones are skipped.

        The loop calls this once per iteration with its latest word on every order it left
        resting; returns how many orders changed.
        """
        changed = 0
        current = self._reasons(list(reasons))
        reasons = {d: r for d, r in reasons.items() if current.get(d) != r}
        if not reasons:
            return 0
        with self._write(durable=False) as conn:
            for digest, (code, detail) in reasons.items():
                cursor = conn.execute(
                    "UPDATE orders SET reason_code = ?, reason_detail = ?, reason_at = ? "
                    f"WHERE digest = ? AND status IN ({_LIVE_SQL}) "
                    "AND (reason_code IS NOT ? OR reason_detail IS NOT ?)",
                    (code, detail, self.now(), digest, code, detail),
                )
                changed += cursor.rowcount
        return changed

    def note_traces(self, traces: Mapping[bytes, OrderTrace]) -> None:
        """Keeps each live order's latest trace (what the batch did with it, and why)."""
        if not traces:
            return
        with self._write() as conn:
            conn.executemany(
                f"UPDATE orders SET trace = ? WHERE digest = ? AND status IN ({_LIVE_SQL})",
                [(json.dumps(t.as_dict(), sort_keys=True), d) for d, t in traces.items()],
            )

    def note_scores(self, scores: Mapping[bytes, tuple[str, float, float]]) -> None:
        """Keeps each order's toxicity score: (model, probability toxic, expected markout in bps)."""
        if not scores:
            return
        with self._write() as conn:
            conn.executemany(
                "UPDATE orders SET score = ? WHERE digest = ?",
                [
                    (json.dumps({"model": m, "p_toxic": p, "expected_markout_bps": e}, sort_keys=True), d)
                    for d, (m, p, e) in scores.items()
                ],
            )

    def save_model_state(self, step: int, state: bytes) -> None:
        """Checkpoints the toxicity model (``Scorer.state()``) taken at the loop's ``step``."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO model_state (id, step, saved_at, state) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET step = excluded.step, saved_at = excluded.saved_at, "
                "state = excluded.state",
                (step, self.now(), state),
            )

    def model_state(self) -> tuple[int, bytes] | None:
        """The latest checkpoint of the toxicity model: (step, state), or None."""
        row = self._conn().execute("SELECT step, state FROM model_state WHERE id = 1").fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def expire_orders(self, chain_time: int) -> list[bytes]:
        """Live orders past their expiry at ``chain_time`` (and not in flight) become expired."""
        due = (
            self._conn()
            .execute(f"SELECT 1 FROM orders WHERE status IN ({_LIVE_SQL}) AND expiry_at < ? LIMIT 1", (chain_time,))
            .fetchone()
        )
        if due is None:
            return []
        with self._write(durable=False) as conn:
            rows = conn.execute(
                f"SELECT digest, expiry FROM orders WHERE status IN ({_LIVE_SQL}) AND expiry_at < ? "
                f"AND {_NOT_IN_FLIGHT}",
                (chain_time,),
            ).fetchall()
            expired = [bytes(d) for d, expiry in rows if int(expiry) < chain_time]
            for digest in expired:
                detail = f"expired before chain time {chain_time}"
                self._set_status(conn, digest, EXPIRED, "expired", detail, reason=(Reason.EXPIRED, detail))
        return expired

    def reject_order(self, digest: bytes, code: Reason, detail: str) -> OrderRecord:
        """A live order the chain would refuse (nonce used elsewhere, signature ...) becomes rejected."""
        with self._write(durable=False) as conn:
            record = self._live(conn, digest, "reject")
            self._set_status(conn, digest, REJECTED, "rejected", f"{code}: {detail}", reason=(code, detail))
            return self._order_row(conn, digest) or record

    def cancel_order(self, digest: bytes, detail: str) -> tuple[OrderRecord, bool]:
        """Cancels what is left of a live order; returns the record and whether it changed.

        An order already cancelled is returned unchanged (a repeated cancel is harmless); an order
        in a settle in flight raises ``OrderInFlight``; a filled, expired or rejected one raises
        ``JournalError``.
        """
        with self._write() as conn:
            record = self._order_row(conn, digest)
            if record is None:
                raise JournalError(f"no order 0x{digest.hex()} in the journal")
            if record.status == CANCELLED:
                return record, False
            record = self._live(conn, digest, "cancel")
            self._set_status(conn, digest, CANCELLED, "cancelled", detail, reason=(Reason.CANCELLED, detail))
            updated = self._order_row(conn, digest)
        assert updated is not None
        return updated, True

    # ------------------------------------------------------------------ queries

    def get_order(self, digest: bytes) -> OrderRecord | None:
        return self._order_row(self._conn(), digest)

    def order_history(self, digest: bytes) -> list[OrderEvent]:
        rows = self._conn().execute(
            "SELECT at, event, status, detail, settle_id FROM order_events WHERE digest = ? ORDER BY id", (digest,)
        )
        return [OrderEvent(*row) for row in rows]

    def order_fills(self, digest: bytes) -> list[LegRecord]:
        """The legs booked for ``digest``, in chain order."""
        return leg_rows(self._conn(), "WHERE f.digest = ?", (digest,))

    def in_flight(self, digest: bytes) -> InFlight | None:
        """The settle in flight that holds ``digest``, if any."""
        return self._in_flight(self._conn(), digest)

    def orders_in_flight(self) -> list[InFlight]:
        rows = self._conn().execute(
            "SELECT f.digest, s.id, s.stage, s.tx_hash FROM settle_fills f JOIN settles s ON s.id = f.settle_id "
            f"WHERE f.released = 0 AND s.stage IN ({_IN_FLIGHT_SQL}) ORDER BY s.id, f.position"
        )
        return [InFlight(bytes(d), i, stage, None if tx is None else bytes(tx)) for d, i, stage, tx in rows]

    def live_orders(self, *, include_in_flight: bool = False) -> list[OrderRecord]:
        """Resting and partially filled orders in arrival order: what the loop reloads on restart."""
        where = f"status IN ({_LIVE_SQL})" + ("" if include_in_flight else f" AND {_NOT_IN_FLIGHT}")
        rows = self._conn().execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE {where} ORDER BY received_at, digest")
        return [order_from_row(row) for row in rows]

    def order_changes(self, after: int, events: tuple[str, ...] = ("accepted", "cancelled")) -> list[OrderEvent]:
        """Order events of kinds ``events`` journaled after event id ``after``, oldest first (``OrderEvent.id``).

        The loop follows the API's intake and cancels through this, never rereading the whole book.
        """
        marks = ", ".join("?" for _ in events)
        rows = self._conn().execute(
            f"SELECT at, event, status, detail, settle_id, id, digest FROM order_events WHERE id > ? "
            f"AND event IN ({marks}) ORDER BY id",
            (after, *events),
        )
        return [
            OrderEvent(at, event, status, detail, settle, event_id, bytes(d))
            for at, event, status, detail, settle, event_id, d in rows
        ]

    def last_event_id(self) -> int:
        """The id of the latest order event (0: none)."""
        row = self._conn().execute("SELECT MAX(id) FROM order_events").fetchone()
        return int(row[0] or 0)

    def get_orders(self, digests: list[bytes]) -> dict[bytes, OrderRecord]:
        """The journaled records of ``digests`` (absent ones left out), in one read."""
        return self._orders_in(self._conn(), digests)

    def orders_of(
        self, trader: str, statuses: Sequence[str] = ORDER_STATUSES, *, limit: int = 100
    ) -> list[OrderRecord]:
        """``trader``'s orders in ``statuses``, the latest received first, at most ``limit``."""
        marks = ", ".join("?" for _ in statuses)
        rows = self._conn().execute(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE trader_key = ? AND status IN ({marks}) "
            "ORDER BY received_at DESC, digest LIMIT ?",
            (trader.lower(), *statuses, limit),
        )
        return [order_from_row(row) for row in rows]

    def all_orders(self) -> list[OrderRecord]:
        """Every journaled order, in arrival order."""
        rows = self._conn().execute(f"SELECT {ORDER_COLUMNS} FROM orders ORDER BY received_at, digest")
        return [order_from_row(row) for row in rows]

    def rejection_counts(self) -> dict[str, int]:
        """Rejected orders per reason code."""
        rows = self._conn().execute(
            "SELECT reason_code, COUNT(*) FROM orders WHERE status = ? GROUP BY reason_code ORDER BY reason_code",
            (REJECTED,),
        )
        return {str(code): count for code, count in rows}

    def live_count(self, trader: str) -> int:
        return self._live_count(self._conn(), trader.lower())

    def status_counts(self) -> dict[str, int]:
        """Orders per status (every status present, zero included)."""
        counts = dict.fromkeys(ORDER_STATUSES, 0)
        for status, count in self._conn().execute("SELECT status, COUNT(*) FROM orders GROUP BY status"):
            counts[status] = count
        return counts

    # ------------------------------------------------------------------ helpers

    def _reasons(self, digests: list[bytes]) -> dict[bytes, tuple[str, str]]:
        """The latest reason journaled for each of ``digests`` that has one."""
        found: dict[bytes, tuple[str, str]] = {}
        conn = self._conn()
        for start in range(0, len(digests), 500):
            part = digests[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = conn.execute(
                f"SELECT digest, reason_code, reason_detail FROM orders WHERE digest IN ({marks}) "
                "AND reason_code IS NOT NULL",
                part,
            )
            found.update((bytes(d), (code, detail or "")) for d, code, detail in rows)
        return found

    def _live_count(self, conn: sqlite3.Connection, trader_key: str) -> int:
        row = conn.execute(
            f"SELECT COUNT(*) FROM orders WHERE trader_key = ? AND status IN ({_LIVE_SQL})", (trader_key,)
        ).fetchone()
        return int(row[0])

    def _live(self, conn: sqlite3.Connection, digest: bytes, action: str) -> OrderRecord:
        record = self._order_row(conn, digest)
        if record is None:
            raise JournalError(f"cannot {action} order 0x{digest.hex()}: it is not in the journal")
        flight = self._in_flight(conn, digest)
        if flight is not None:
            raise OrderInFlight(digest, flight.settle_id, flight.stage, flight.tx_hash)
        if not record.live:
            raise JournalError(f"cannot {action} order 0x{digest.hex()}: it is already {record.status}")
        return record
