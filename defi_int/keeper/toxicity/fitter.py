"""The gbdt's fits in a child process, so that they overlap the desk's work on another core.

A fit (``gbdt.fit_pair``: LightGBM, two boosters, ~40 ms) run on a thread of the simulator's own
process does not overlap its work: LightGBM releases the GIL inside each boosting round, but takes
it back between rounds, a hundred times a fit, and on a loaded machine each hand-over stalls the
simulator's thread (measured: the run got slower, not faster). A child process shares no GIL::

    parent (FitWorker)                          child (fitter.main, in python -c)
    submit(rows, labels, moves, seed) ──pickle──▶  fit_pair(...)        one fit at a time, in order
    result()                          ◀──pickle──  (classifier, regressor), or the error's text

One child per process (``shared``), started at the first ``submit``; it ends when its parent
closes the pipe (``close``, the parent's exit or death: the child reads end of file). The pickles
go only between this process and its own child. The result is the same trees ``trees.fit_pair`` gives
in the parent: the same library, parameters and rows (``deterministic``, one thread).
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from defi_int.keeper.toxicity.trees import Floats, Trees


class FitWorker:
    """A child process that fits the gbdt's boosters, in the order asked (module docstring).

    ``shared()`` gives the one of this process, for every gbdt model in it (a study's runs, a test
    session): the child starts once. ``submit`` returns a ticket, ``result(ticket)`` its fit;
    several models (or threads) may have fits pending at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the reply pipe and the books below
        self._tickets = itertools.count()
        self._replies: dict[int, tuple[bool, Any]] = {}
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_error: BaseException | None = None
        self._finalizer: Callable[[], object] | None = None  # a weakref.finalize

    def submit(self, rows: Floats, labels: Floats, moves: Floats, seed: int) -> int:
        """Sends one fit to the child and returns its ticket. The pipe is written by a thread of its
        own (a blocking write releases the GIL), so the caller goes on at once."""
        with self._lock:
            self._start()
            ticket = next(self._tickets)
            self._outbox.put(pickle.dumps((ticket, rows, labels, moves, seed), protocol=5))
            return ticket

    def result(self, ticket: int) -> tuple[Trees, Trees]:
        """The (classifier, regressor) of ``ticket``'s fit, waiting for the child."""
        with self._lock:
            while ticket not in self._replies:
                self._read_one()
            ok, value = self._replies.pop(ticket)
        if not ok:
            raise _error(f"the gbdt's fit failed in its process: {value}")
        classifier, regressor = value
        return classifier, regressor

    def start(self) -> None:
        """Starts the child now (it imports LightGBM while the caller works), not at the first fit."""
        with self._lock:
            self._start()

    def close(self) -> None:
        """Ends the child (it reads end of file and exits)."""
        if self._finalizer is not None:
            self._finalizer()

    def _start(self) -> None:
        if self._proc is not None:
            return
        command = [sys.executable, "-P", "-c", f"from {__name__} import main; main()"]  # -P: not the cwd first
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._proc = proc
        assert proc.stdin is not None
        threading.Thread(target=self._send, args=(proc.stdin,), name="gbdt-fit-send", daemon=True).start()
        self._finalizer = weakref.finalize(self, _stop, proc, self._outbox)

    def _send(self, pipe: IO[bytes]) -> None:
        while (payload := self._outbox.get()) is not None:
            try:
                pipe.write(payload)
                pipe.flush()
            except BaseException as exc:  # reported by result(), on the caller's thread
                self._write_error = exc
                return

    def _read_one(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None, "result() before submit()"
        try:
            ticket, ok, value = pickle.load(proc.stdout)  # our own child's reply
        except (EOFError, pickle.UnpicklingError, OSError) as exc:
            why = self._write_error or exc
            raise _error(f"the gbdt's fit process ended (exit code {proc.poll()}: {why!r})") from None
        self._replies[ticket] = (ok, value)


_SHARED: tuple[int, FitWorker] | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> FitWorker:
    """This process's fit worker (a new one in a forked child: a pipe is not shared across a fork)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED[0] != os.getpid():
            _SHARED = (os.getpid(), FitWorker())
        return _SHARED[1]


def _error(problem: str) -> Exception:
    from defi_int.keeper.toxicity.models import ToxicityStateError  # not imported by the fit process

    return ToxicityStateError(problem)


def close_shared() -> None:
    """Ends this process's fit worker, if it has one (its child's CPU time is then counted in
    ``resource.RUSAGE_CHILDREN``); the next ``shared()`` starts a new one. Only between runs: a fit
    still pending is lost."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is not None and _SHARED[0] == os.getpid():
            _SHARED[1].close()
        _SHARED = None


def _stop(proc: subprocess.Popen[bytes], outbox: queue.Queue[bytes | None]) -> None:
    outbox.put(None)  # the sender closes nothing: the pipes are closed here
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


#: LightGBM's optional integrations the fit never uses (its scikit-learn, pandas and Dask front
#: ends, plotting, other data formats): the child marks them missing, so that importing LightGBM
#: takes ~0.25 s instead of ~0.7 s, most of which the first fit would wait for.
UNUSED: tuple[str, ...] = (
    "pandas", "sklearn", "dask", "distributed", "matplotlib", "graphviz", "datatable", "pyarrow", "polars", "cffi",
)  # fmt: skip


def main() -> None:
    """The child: fits what arrives on stdin, answers on stdout with the ticket, until end of file."""
    for name in UNUSED:  # a module set to None: importing it raises ImportError
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    import lightgbm  # noqa: F401  (imported before the first fit arrives, not while it waits)

    from defi_int.keeper.toxicity.trees import fit_pair

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            ticket, rows, labels, moves, seed = pickle.load(source)  # from our own parent
        except EOFError:
            return
        try:
            reply: tuple[int, bool, object] = (ticket, True, fit_pair(rows, labels, moves, seed))
        except Exception as exc:
            reply = (ticket, False, f"{type(exc).__name__}: {exc}")
        try:
            pickle.dump(reply, sink, protocol=5)
            sink.flush()
        except BrokenPipeError:  # the parent closed without waiting for this fit (a run that ended)
            return
