"""One keeper per journal: an exclusive lock on ``<db>.lock``, held for the life of the process.

``JournalLock(db).acquire()`` takes ``flock(LOCK_EX | LOCK_NB)`` on the lock file beside the journal
and writes the holder's pid in it; a second keeper on the same ``--db`` is refused at once with one
line naming that pid (``KeeperConflict``, exit 2). The kernel drops the lock when the process ends,
however it ends (a SIGKILL included), so a crashed keeper never leaves a stale lock behind. Readers
of the journal (``keeper report``, ``defi-int status``, the tests) do not take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from defi_int.bot.errors import KeeperConflict
from defi_int.exceptions import ConfigError


class JournalLock:
    """See the module docstring."""

    def __init__(self, db: str | Path) -> None:
        self.path = Path(f"{db}.lock")
        self._fd: int | None = None

    def acquire(self) -> JournalLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"--db {self.path.with_suffix('')}: cannot create its lock file {self.path}: {exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise KeeperConflict(
                f"--db {self.path.with_suffix('')}: another keeper (pid {holder}) runs on this journal; one keeper "
                "per journal"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
