"""The journal's plumbing: a connection per thread, one SQLite transaction per change, row decoding.

``Store`` is the base of the journal's parts (orders, settles, risk). Every change runs inside
``_write``: ``BEGIN IMMEDIATE`` (the writer lock is taken up front, so two threads never deadlock
upgrading a read), the statements, ``COMMIT``; any exception rolls everything back. The threads of
one process (the API's group commit, the loop) take turns on a Python lock before ``BEGIN``: SQLite's
own wait for a busy writer sleeps 1, 2, 5, 10 ... ms between tries, which under load cost the loop
more than its writes.

Durability. A change a client or the chain relies on waits for the disk (``synchronous=FULL``: an
order answered 201, a cancel, a signed transaction, which must be on disk before it is sent, the
kill switch). A change the loop can derive again from the chain or that is only advisory
(``_write(durable=False)``: a batch planned and not signed yet, sent, mined, confirmed, reconciled,
dropped or unwound; fills, funding and liquidations booked; cursors, samples, equity, breakers,
reasons, expiries) commits without waiting: a crashed process loses none of it (it is in the OS's
hands), and a power cut loses at most the latest of it, never an earlier change without a later one
(the WAL is written in order, and every durable commit syncs it whole), which the next start redoes
from the chain (a settle back at ``signed`` or ``sent`` is found mined and booked again). A batch
pays one wait for the disk (its signature) instead of eight. A process
killed between statements leaves the file as it was before the ``BEGIN``: WAL replays only
committed transactions. Multi-statement reads run inside ``_read`` to see one snapshot.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, Self

from defi_int.bot.errors import JournalError
from defi_int.bot.journal.records import IN_FLIGHT, InFlight, LegRecord, OrderRecord, ReasonNote
from defi_int.bot.journal.schema import connect as _connect
from defi_int.bot.journal.schema import migrate
from defi_int.keeper.book import Receipt
from defi_int.orders.booking import Leg
from defi_int.orders.model import Order
from defi_int.reasons import Reason

#: The largest value SQLite's INTEGER holds; longer expiries are clamped to it in ``expiry_at``.
INT63 = 2**63 - 1

ORDER_COLUMNS = (
    "digest, trader, market, is_buy, size, limit_price, expiry, nonce, max_fee_bps, allow_amm, signature, "
    "status, filled, reason_code, reason_detail, reason_at, received_at, updated_at, receipt, trace, score"
)
_IN_FLIGHT_SQL = ", ".join(f"'{s}'" for s in IN_FLIGHT)


class Store:
    """A journal file; see the module docstring. ``clock`` gives the wall time recorded on changes."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            raise JournalError("the journal must be a file: every thread opens its own connection to it")
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._writer = threading.Lock()  # one writing thread of this process at a time (module docstring)
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self.version = migrate(self._conn(), self.path)

    # ------------------------------------------------------------------ connections

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise JournalError(f"{self.path}: the journal is closed")
                conn = _connect(self.path)
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Closes every thread's connection; the journal cannot be used afterwards."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic change: everything inside commits together or not at all.

        ``durable=False``: the commit does not wait for the disk (see the module docstring); the next
        durable commit makes it durable too.
        """
        conn = self._conn()
        with self._writer:
            if getattr(self._local, "durable", True) != durable:  # nothing may follow the COMMIT
                conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
                self._local.durable = durable
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one snapshot of the file."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def now(self) -> float:
        return self._clock()

    def check(self) -> None:
        """SQLite's ``quick_check`` of the whole file (every page, every row's format); a damaged page, a
        truncated file or a file that is not a journal raises ``JournalError`` saying what SQLite found."""
        try:
            rows = self._conn().execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{self.path}: the journal is damaged: {exc}") from exc
        problems = [str(row[0]) for row in rows if row[0] != "ok"]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise JournalError(f"{self.path}: the journal is damaged: {problems[0]}{more}")

    def claim(self, key: str, value: str) -> str:
        """Records ``value`` under ``key`` the first time; returns what the file holds under ``key``.

        A journal belongs to one deployment: the keeper claims it with the deployment's identity and
        refuses a file that holds another one.
        """
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Records ``value`` under ``key`` (replacing what was there)."""
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # ------------------------------------------------------------------ shared helpers

    def _order_row(self, conn: sqlite3.Connection, digest: bytes) -> OrderRecord | None:
        row = conn.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE digest = ?", (digest,)).fetchone()
        return None if row is None else order_from_row(row)

    def _orders_in(self, conn: sqlite3.Connection, digests: list[bytes]) -> dict[bytes, OrderRecord]:
        """The records of ``digests`` (absent ones left out), 500 a query."""
        found: dict[bytes, OrderRecord] = {}
        for start in range(0, len(digests), 500):
            part = digests[start : start + 500]
            marks = ", ".join("?" for _ in part)
            for row in conn.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE digest IN ({marks})", part):
                record = order_from_row(row)
                found[record.digest] = record
        return found

    def _flights_in(self, conn: sqlite3.Connection, digests: list[bytes]) -> dict[bytes, InFlight]:
        """Where each of ``digests`` that is in flight is (the latest settle holding it)."""
        found: dict[bytes, InFlight] = {}
        for start in range(0, len(digests), 500):
            part = digests[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = conn.execute(
                "SELECT f.digest, s.id, s.stage, s.tx_hash FROM settle_fills f JOIN settles s ON s.id = f.settle_id "
                f"WHERE f.digest IN ({marks}) AND f.released = 0 AND s.stage IN ({_IN_FLIGHT_SQL}) ORDER BY s.id",
                part,
            )
            for digest, settle_id, stage, tx_hash in rows:
                found[bytes(digest)] = InFlight(
                    bytes(digest), settle_id, stage, None if tx_hash is None else bytes(tx_hash)
                )
        return found

    def _in_flight(self, conn: sqlite3.Connection, digest: bytes) -> InFlight | None:
        row = conn.execute(
            "SELECT s.id, s.stage, s.tx_hash FROM settle_fills f JOIN settles s ON s.id = f.settle_id "
            f"WHERE f.digest = ? AND f.released = 0 AND s.stage IN ({_IN_FLIGHT_SQL}) ORDER BY s.id DESC LIMIT 1",
            (digest,),
        ).fetchone()
        return None if row is None else InFlight(digest, row[0], row[1], row[2])

    def _event(
        self,
        conn: sqlite3.Connection,
        digest: bytes,
        event: str,
        status: str,
        detail: str = "",
        settle_id: int | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO order_events (digest, at, event, status, detail, settle_id) VALUES (?, ?, ?, ?, ?, ?)",
            (digest, self.now(), event, status, detail, settle_id),
        )

    def _set_status(
        self,
        conn: sqlite3.Connection,
        digest: bytes,
        status: str,
        event: str,
        detail: str = "",
        *,
        settle_id: int | None = None,
        reason: tuple[Reason, str] | None = None,
    ) -> None:
        """Moves an order to ``status`` and writes the event; ``reason`` replaces its latest reason."""
        now = self.now()
        if reason is None:
            conn.execute("UPDATE orders SET status = ?, updated_at = ? WHERE digest = ?", (status, now, digest))
        else:
            conn.execute(
                "UPDATE orders SET status = ?, reason_code = ?, reason_detail = ?, reason_at = ?, updated_at = ? "
                "WHERE digest = ?",
                (status, reason[0], reason[1], now, now, digest),
            )
        self._event(conn, digest, event, status, detail, settle_id)


def order_from_row(row: tuple[Any, ...]) -> OrderRecord:
    """An ``OrderRecord`` from a row selected with ``ORDER_COLUMNS``."""
    (digest, trader, market, is_buy, size, limit_price, expiry, nonce, max_fee_bps, allow_amm, signature) = row[:11]
    status, filled, reason_code, reason_detail, reason_at, received_at, updated_at, receipt, trace, score = row[11:]
    order = _trusted(
        trader, market, bool(is_buy), int(size), int(limit_price), int(expiry), int(nonce), max_fee_bps, bool(allow_amm)
    )
    reason = None if reason_code is None else ReasonNote(Reason.of_code(reason_code), reason_detail or "", reason_at)
    return OrderRecord(
        order, bytes(signature), bytes(digest), status, int(filled), reason, received_at, updated_at,
        None if receipt is None else Receipt.from_dict(json.loads(receipt)),
        None if trace is None else json.loads(trace),
        None if score is None else json.loads(score),
    )  # fmt: skip


_ORDER_FIELDS = tuple(f.name for f in fields(Order))


def _trusted(*values: Any) -> Order:
    """An ``Order`` from a row this journal wrote: checked once at intake (``Order.__post_init__``),
    not again on every read (a loop reads each order several times a batch)."""
    order = object.__new__(Order)
    for name, value in zip(_ORDER_FIELDS, values, strict=True):
        object.__setattr__(order, name, value)
    return order


def order_values(order: Order) -> tuple[Any, ...]:
    """The order's columns from ``trader`` to ``allow_amm`` (with ``trader_key`` and ``expiry_at``)."""
    return (
        order.trader,
        order.trader.lower(),
        order.market,
        int(order.is_buy),
        str(order.size),
        str(order.limit_price),
        str(order.expiry),
        min(order.expiry, INT63),
        str(order.nonce),
        order.max_fee_bps,
        int(order.allow_amm),
    )


def leg_rows(conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[LegRecord]:
    """Booked legs (``fills`` rows ``f`` with their orders ``o``) matching ``where``, in chain order
    (block, settle, the fill's place in its batch, internal first), as ``orders.booking.Leg``s."""
    rows = conn.execute(
        "SELECT f.settle_id, f.tx_hash, f.block_number, f.block_hash, f.block_time, f.digest, f.fill_index, f.venue, "
        "o.trader, o.market, o.is_buy, o.limit_price, f.size, f.quote, f.price, f.fee, f.oracle_price, f.amm_mid, "
        "f.amm_quote, f.amm_quote_price, f.gas FROM fills f JOIN orders o ON o.digest = f.digest "
        f"{where} ORDER BY f.block_number, f.settle_id, f.fill_index, f.venue DESC",
        args,
    )
    records = []
    for settle_id, tx_hash, block, block_hash, at, digest, index, venue, trader, market, is_buy, *rest in rows:
        limit, size, quote, price, fee, oracle, mid, amm_quote, amm_price, gas = (int(a) for a in rest)
        leg = Leg(
            bytes(digest), index, venue, trader, market, bool(is_buy), size, quote, price, limit, fee, oracle, mid,
            amm_quote, amm_price, gas, block, at,
        )  # fmt: skip
        records.append(LegRecord(settle_id, bytes(tx_hash), block, bytes(block_hash), at, leg))
    return records
