"""Group commit for the API's intake: concurrent orders share one SQLite transaction and one fsync.

With ``synchronous=FULL`` a commit waits for the disk (milliseconds), and SQLite has one writer at a
time: committing every order on its own caps intake at one order per fsync. Requests hand their
order to ``GroupCommit`` (``add`` from a thread, ``add_async`` from the event loop: no thread hop
per request) and wait; one writer thread takes everything queued, journals it in one transaction
(``Journal.add_orders``) and answers each request. An answer comes only once its order is on disk,
so a 201 always means journaled; a group that fails fails every request in it, and none is
journaled. The writer thread starts with the first order and ends after a second without any.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from defi_int.bot.journal.orders import Admission, Incoming
from defi_int.keeper.book import Receipt
from defi_int.orders.model import Order

#: Orders one transaction takes at most (the rest wait for the next).
MAX_GROUP = 512
#: Seconds the writer thread waits for work before it ends (the next order starts another).
IDLE_SECONDS = 1.0

Item = Incoming
Done = Callable[[Admission | None, BaseException | None], None]


@dataclass
class _Waiting:
    item: Item
    done: Done


class GroupCommit:
    """See the module docstring; ``write(items)`` journals a group (``Journal.add_orders``)."""

    def __init__(self, write: Callable[[Sequence[Item]], list[Admission]]) -> None:
        self._write = write
        self._cond = threading.Condition()
        self._queue: list[_Waiting] = []
        self._writer: threading.Thread | None = None
        self.groups = 0  # transactions committed
        self.orders = 0  # orders they carried

    def add(self, order: Order, signature: bytes, digest: bytes, receipt: Receipt | None = None) -> Admission:
        """Journals one order with whatever else is queued; returns once it is on disk."""
        finished = threading.Event()
        answer: list[Admission | BaseException | None] = [None]

        def done(admission: Admission | None, error: BaseException | None) -> None:
            answer[0] = error if error is not None else admission
            finished.set()

        self._submit(_Waiting((order, signature, digest, receipt), done))
        finished.wait()
        return _result(answer[0])

    async def add_async(
        self, order: Order, signature: bytes, digest: bytes, receipt: Receipt | None = None
    ) -> Admission:
        """``add`` for a coroutine on the event loop: it awaits the commit without blocking the loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Admission] = loop.create_future()

        def done(admission: Admission | None, error: BaseException | None) -> None:
            loop.call_soon_threadsafe(_resolve, future, admission, error)

        self._submit(_Waiting((order, signature, digest, receipt), done))
        return await future

    def _submit(self, waiting: _Waiting) -> None:
        with self._cond:
            self._queue.append(waiting)
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="defi-int-intake-commit", daemon=True)
                self._writer.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._cond.wait(IDLE_SECONDS)
                if not self._queue:
                    self._writer = None
                    return
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            self._commit(group)

    def _commit(self, group: list[_Waiting]) -> None:
        try:
            admissions = self._write([w.item for w in group])
        except BaseException as exc:  # every request of the group gets the failure; nothing was journaled
            for waiting in group:
                waiting.done(None, exc)
            return
        self.groups += 1
        self.orders += len(group)
        for waiting, admission in zip(group, admissions, strict=True):
            waiting.done(admission, None)


def _result(answer: Admission | BaseException | None) -> Admission:
    if isinstance(answer, BaseException):
        raise answer
    assert answer is not None
    return answer


def _resolve(future: asyncio.Future[Admission], admission: Admission | None, error: BaseException | None) -> None:
    if future.done():
        return  # the request went away
    if error is not None:
        future.set_exception(error)
    else:
        assert admission is not None
        future.set_result(admission)
