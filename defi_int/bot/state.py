"""The state the API and the loop share: the latest snapshot, the breakers, the loop's pulse.

One ``BotState`` per service. The loop (another thread) drives it:

- ``publish(snapshot)`` after each read of the chain: journals the desk's equity, evaluates the
  breakers (``evaluate_breakers`` on the snapshot, the equity history and the kill switch),
  journals what changed, and makes the snapshot the one quotes and markets answer from;
- ``loop_ran()`` once per iteration (``/healthz``), ``node_status(ok, detail)`` after talking to
  the node (``/readyz``), ``metrics.rpc_error(method)`` on an RPC error and
  ``metrics.settle_confirmed(settle)`` when a settle is confirmed (``/metrics``).

The API reads it (``snapshot()``, ``board()``, ``chain_time()``, ``health()``, ``readiness()``),
tells the loop when orders arrive (``orders_arrived``: the ``wake`` event an idle loop waits on),
and the operator sets the kill switch (``set_kill_switch``, from the admin endpoint or a signal).
Everything is guarded by one lock; the journal has its own connection per thread.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType

from defi_int.bot.breakers import KILL_SWITCH, STALE_ORACLE, BreakerBoard, Trip, evaluate_breakers
from defi_int.bot.config import ADMIN_TOKEN_ENV, ServiceConfig
from defi_int.bot.journal import Journal
from defi_int.bot.journal.groupcommit import GroupCommit
from defi_int.bot.margin import MarginCheck
from defi_int.bot.metrics import BotMetrics
from defi_int.bot.ratelimit import RateLimiter
from defi_int.bot.snapshot import DeskSnapshot

#: ``/healthz`` fails when the loop has not run for this many loop intervals.
HEALTH_INTERVALS = 5


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


class BotState:
    """See the module docstring."""

    def __init__(
        self,
        config: ServiceConfig,
        journal: Journal,
        *,
        clock: Callable[[], float] = time.time,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.config = config
        self.journal = journal
        self._clock = clock
        self._lock = threading.Lock()
        self.started_at = clock()
        self.admin_token = environ.get(ADMIN_TOKEN_ENV) or None
        self.rate_limiter = RateLimiter(config.limits.orders_per_second, config.limits.burst)
        limit = config.max_resting_per_trader
        self.intake = GroupCommit(lambda items: journal.add_orders(items, max_resting=limit))
        self._snapshot: DeskSnapshot | None = None
        self._published_at: float | None = None
        self._loop_at: float | None = None
        self._node = Check(False, "the loop has not reached the node yet")
        self.wake = threading.Event()  # set by intake, waited on by an idle loop
        kill = journal.kill_switch()
        self._board = BreakerBoard(() if kill is None else (Trip(KILL_SWITCH, None, kill),))
        self._board_at = self.started_at
        self.metrics = BotMetrics(journal, self, config.markets)
        #: The recorded equity points of the drawdown window that may still be its peak, oldest (and
        #: highest) first: reading the whole window from the journal every batch grew with the window.
        self._peaks: deque[tuple[int, int]] | None = None
        self.margin: MarginCheck | None = None  # intake's margin filter (the service gives it a chain reader)

    # ------------------------------------------------------------------ the loop's side

    def publish(self, snapshot: DeskSnapshot, *, record_equity: bool = True) -> BreakerBoard:
        """Makes ``snapshot`` current and evaluates the breakers on it; returns the board.

        ``record_equity=False`` evaluates without journaling the equity point (a batch's own read;
        the loop journals equity at its sampling cadence).
        """
        journal = self.journal
        window_start = snapshot.time - self.config.breakers.drawdown_window
        if self._peaks is None:  # the journal's window, read once; then kept here as points are recorded
            self._peaks = deque()
            for point in journal.equity_history(window_start):
                self._push(point)
        if snapshot.equity is not None and record_equity:
            journal.record_equity(snapshot.time, snapshot.block, snapshot.equity)
            self._push((snapshot.time, snapshot.equity))
        while self._peaks and self._peaks[0][0] < window_start:
            self._peaks.popleft()
        history = list(self._peaks)[:1]  # the window's peak is all the drawdown breaker reads
        board = evaluate_breakers(snapshot, history, self.config.breakers, kill_switch=journal.kill_switch())
        journal.record_breakers(board.trips)
        with self._lock:
            self._snapshot = snapshot
            self._published_at = self._clock()
            if board != self._board:
                self._board_at = self._published_at
            self._board = board
        return board

    def _push(self, point: tuple[int, int]) -> None:
        """Keeps the equity points that may still be a window's peak: each below a later one goes."""
        assert self._peaks is not None
        while self._peaks and self._peaks[-1][1] <= point[1]:
            self._peaks.pop()
        self._peaks.append(point)

    def orders_arrived(self) -> None:
        """The API journaled a new order or cancel: wakes the loop if it is waiting."""
        self.wake.set()

    def loop_ran(self) -> None:
        """The loop finished an iteration (whatever it did)."""
        with self._lock:
            self._loop_at = self._clock()

    def node_status(self, reachable: bool, detail: str) -> None:
        """What the loop last learned about the node."""
        with self._lock:
            self._node = Check(reachable, detail)

    # ------------------------------------------------------------------ the operator's side

    def set_kill_switch(self, engaged: bool, reason: str) -> BreakerBoard:
        """Engages or releases the kill switch (journaled) and updates the board at once."""
        self.journal.set_kill_switch(engaged, reason)
        with self._lock:
            trips = [t for t in self._board.trips if t.name != KILL_SWITCH]
            if engaged:
                trips.insert(0, Trip(KILL_SWITCH, None, self.journal.kill_switch() or reason))
            self._board = BreakerBoard(tuple(trips))
            self._board_at = self._clock()
            return self._board

    # ------------------------------------------------------------------ readers

    def snapshot(self) -> DeskSnapshot | None:
        with self._lock:
            return self._snapshot

    def board(self) -> BreakerBoard:
        with self._lock:
            return self._board

    def board_at(self) -> float:
        """When the board last changed (wall time)."""
        with self._lock:
            return self._board_at

    def chain_time(self) -> int:
        """The chain's time now: the latest snapshot's block time plus the wall time since (or the wall clock)."""
        with self._lock:
            snapshot, published = self._snapshot, self._published_at
        now = self._clock()
        if snapshot is None or published is None:
            return int(now)
        return snapshot.time + int(max(0.0, now - published))

    def health(self) -> tuple[bool, float | None, str]:
        """(healthy, seconds since the loop last ran, one line): the loop ran within 5x its interval."""
        with self._lock:
            loop_at = self._loop_at
        now = self._clock()
        limit = HEALTH_INTERVALS * self.config.loop_interval
        if loop_at is None:
            waited = now - self.started_at
            ok = waited <= limit
            return ok, None, f"the loop has not run yet ({waited:.1f} s since start, allowed {limit:.1f} s)"
        age = now - loop_at
        ok = age <= limit
        verb = "ran" if ok else "stalled: last ran"
        return ok, age, f"the loop {verb} {age:.1f} s ago (allowed {limit:.1f} s)"

    def readiness(self) -> dict[str, Check]:
        """``node`` reachable, ``oracle`` fresh in every market, ``breakers`` all closed."""
        with self._lock:
            node, snapshot, board = self._node, self._snapshot, self._board
        if snapshot is None:
            oracle = Check(False, "no market snapshot from the loop yet")
        else:
            stale = [t for t in board.trips if t.name == STALE_ORACLE]
            oracle = Check(not stale, "; ".join(t.reason() for t in stale) or "every market's oracle is fresh")
        breakers = Check(board.closed, "; ".join(t.reason() for t in board.trips) or "every breaker is closed")
        return {"node": node, "oracle": oracle, "breakers": breakers}


def install_kill_signal(state: BotState, signum: int = signal.SIGUSR1) -> None:
    """Engages the kill switch when the process receives ``signum`` (call from the main thread)."""

    def engage(received: int, frame: FrameType | None) -> None:
        threading.Thread(
            target=state.set_kill_switch,
            args=(True, f"signal {signal.Signals(received).name} received"),
            daemon=True,
        ).start()

    signal.signal(signum, engage)
