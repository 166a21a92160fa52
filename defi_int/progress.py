"""Progress of a long command, on a terminal or in a log: ``progress(label, unit)``.

``with progress("sweep basic", "runs") as update: ... update(done, total)``. On a terminal the
update draws a rich progress bar (elapsed time and a count); anywhere else (a pipe, a file, CI,
a notebook) it prints one line every ``every`` units and at the end, with the rate and an ETA::

    sweep basic: 40/160 runs (25 %), 0.62 runs/s, ETA 3 min 14 s

at most one line in 5 seconds (a quick run prints one, at its end) and at least one a minute while
anything moves, so a log never stays silent for long. Both go
to standard error (standard output keeps the command's results). ``enabled=False`` gives
``None`` (no progress at all). ``note(text)`` prints a line beside the bar (the Dask dashboard's
address) without breaking it.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

Update = Callable[[int, int], None]
#: At least one line this often (seconds) in the line mode, while the count moves.
HEARTBEAT = 60.0
#: At most one line this often (seconds), but for the last one: a quick run prints one line.
MIN_GAP = 5.0


def duration(seconds: float) -> str:
    """``194.2`` -> ``"3 min 14 s"``; ``5000`` -> ``"1 h 23 min"``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


class Lines:
    """The line mode: one line every ``every`` units (default: a twentieth of the total) at most every
    ``MIN_GAP`` seconds, at least every ``HEARTBEAT`` seconds while the count moves, and at the end."""

    def __init__(self, label: str, unit: str, stream: IO[str], every: int | None = None) -> None:
        self.label, self.unit, self.stream, self.every = label, unit, stream, every
        self.started = time.monotonic()
        self.last_line = self.started
        self.last_done = -1
        self.first: int | None = None  # the count at the first update (a resumed study starts past 0)

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = self.last_done = done
            self.started = self.last_line = now
            return
        if done == self.last_done:
            return
        every = self.every or max(1, math.ceil(total / 20))
        gap = now - self.last_line
        due = done == total or ((done - self.first) % every == 0 and gap >= MIN_GAP) or gap >= HEARTBEAT
        if not due:
            self.last_done = done
            return
        self.last_done, self.last_line = done, now
        self.stream.write(self.line(done, total, now - self.started) + "\n")
        self.stream.flush()

    def line(self, done: int, total: int, elapsed: float) -> str:
        share = f" ({done * 100 // total} %)" if total else ""
        text = f"{self.label}: {done:,}/{total:,} {self.unit}{share}"
        moved = done - (self.first or 0)
        if elapsed > 0 and moved > 0:
            rate = moved / elapsed
            text += f", {rate:,.2f} {self.unit}/s"
            text += f", ETA {duration((total - done) / rate)}" if done < total else f", {duration(elapsed)} in all"
        return text


@contextmanager
def progress(
    label: str, unit: str, *, enabled: bool = True, stream: IO[str] | None = None, every: int | None = None
) -> Iterator[Update | None]:
    """Yields ``update(done, total)`` (see the module docstring), or ``None`` when not ``enabled``."""
    out = stream if stream is not None else sys.stderr
    if not enabled:
        yield None
        return
    if not _terminal(out):
        yield Lines(label, unit, out, every)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"[bold]{label}[/bold]"), BarColumn(), MofNCompleteColumn(), TextColumn(unit))
    with Progress(*columns, TimeElapsedColumn(), console=Console(file=out)) as bar:
        task = bar.add_task(unit, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def note(text: str, stream: IO[str] | None = None) -> None:
    """One line on standard error (or ``stream``), e.g. the Dask dashboard's address."""
    out = stream if stream is not None else sys.stderr
    out.write(text + "\n")
    out.flush()
