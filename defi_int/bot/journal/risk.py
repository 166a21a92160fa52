"""The risk part of the journal: breaker changes, the kill switch, and the desk's equity history.

Breakers are journaled as changes (open or close, with the reason), so the file tells when each
one tripped and why, and the kill switch outlives a restart: an operator's stop stays engaged
until an operator releases it. The equity history feeds the drawdown breaker across restarts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from defi_int.bot.breakers import KILL_SWITCH, Trip
from defi_int.bot.journal.base import Store
from defi_int.bot.journal.records import BreakerChange


class RiskJournal(Store):
    """Breakers, kill switch, equity: see the module docstring."""

    def record_breakers(self, trips: Iterable[Trip]) -> list[BreakerChange]:
        """Journals what changed between the open breakers and ``trips`` (the kill switch aside)."""
        wanted = {t.key: t for t in trips if t.name != KILL_SWITCH}
        opened = {(c.name, c.market) for c in self._open(self._conn()) if c.name != KILL_SWITCH}
        if opened == set(wanted):
            return []  # nothing changed: no write
        with self._write(durable=False) as conn:
            current = {(c.name, c.market): c for c in self._open(conn) if c.name != KILL_SWITCH}
            changes = []
            for key in current:
                if key not in wanted:
                    changes.append(self._change(conn, key[0], key[1], False, "back within its threshold"))
            for key, trip in wanted.items():
                if key not in current:
                    changes.append(self._change(conn, trip.name, trip.market, True, trip.detail))
        return changes

    def set_kill_switch(self, engaged: bool, reason: str) -> BreakerChange | None:
        """Engages or releases the kill switch; returns the change, None when it already was so."""
        with self._write() as conn:
            is_engaged = any(c.name == KILL_SWITCH for c in self._open(conn))
            if is_engaged == engaged:
                return None
            return self._change(conn, KILL_SWITCH, None, engaged, reason)

    def kill_switch(self) -> str | None:
        """The operator's reason while the kill switch is engaged, None otherwise."""
        for change in self._open(self._conn()):
            if change.name == KILL_SWITCH:
                return change.detail
        return None

    def open_breakers(self) -> list[BreakerChange]:
        """Every breaker open now, with the change that opened it."""
        return self._open(self._conn())

    def breaker_history(self, limit: int = 100) -> list[BreakerChange]:
        """The latest ``limit`` breaker changes, newest first."""
        rows = self._conn().execute(
            "SELECT name, market, open, detail, at FROM breaker_events ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [BreakerChange(n, m, bool(o), d, at) for n, m, o, d, at in rows]

    def record_equity(self, time: int, block: int, equity: int) -> None:
        with self._write(durable=False) as conn:
            conn.execute("INSERT INTO equity (time, block, equity) VALUES (?, ?, ?)", (time, block, str(equity)))

    def equity_history(self, since: int) -> list[tuple[int, int]]:
        """``(time, equity)`` points at or after ``since``, oldest first."""
        rows = self._conn().execute("SELECT time, equity FROM equity WHERE time >= ? ORDER BY time", (since,))
        return [(t, int(e)) for t, e in rows]

    def _open(self, conn: sqlite3.Connection) -> list[BreakerChange]:
        rows = conn.execute(
            "SELECT name, market, open, detail, at FROM breaker_events e WHERE id = "
            "(SELECT MAX(id) FROM breaker_events l WHERE l.name = e.name AND l.market IS e.market) "
            "AND open = 1 ORDER BY id"
        )
        return [BreakerChange(n, m, True, d, at) for n, m, _, d, at in rows]

    def _change(
        self, conn: sqlite3.Connection, name: str, market: int | None, opened: bool, detail: str
    ) -> BreakerChange:
        now = self.now()
        conn.execute(
            "INSERT INTO breaker_events (name, market, open, detail, at) VALUES (?, ?, ?, ?, ?)",
            (name, market, int(opened), detail, now),
        )
        return BreakerChange(name, market, opened, detail, now)
