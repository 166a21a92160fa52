"""Journal: a process killed between any two statements of a stage change leaves the file whole.

Each stage change runs in a forked child that SIGKILLs itself just before its k-th SQL statement
(sqlite3's trace callback), for every k; the parent then reopens the file and finds exactly the
state before the change (the change never half-applied), a clean integrity check, and a journal
that accepts the change when it is run again. Without the kill the child's change is all there.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from botkit import NOW, Orders, account, leg, planned, tx

from defi_int.bot.journal import Journal
from defi_int.types import ONE

TABLES = ("orders", "order_events", "settles", "settle_fills", "settle_txs", "fills", "breaker_events", "cursors")
MINED = {"block_number": 50, "block_hash": b"\x05" * 32, "block_time": NOW + 50, "status": 1, "gas_used": 90_000}


def dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        conn.close()


def run_child(path: Path, change: Callable[[Journal], object], kill_at: int | None) -> int:
    """Runs ``change`` in a forked child killed before statement ``kill_at``; returns statements seen."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        seen = 0
        try:
            journal = Journal(path, clock=lambda: float(NOW + 99))

            def trace(statement: str) -> None:
                nonlocal seen
                seen += 1
                if seen == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

            journal._conn().set_trace_callback(trace)
            change(journal)
            journal.close()
            os.write(write, str(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    seen = os.read(read, 64)
    os.close(read)
    if kill_at is not None:
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        return 0
    assert os.WIFEXITED(status)
    return int(seen)


def prepared(tmp_path: Path) -> tuple[Path, list[bytes]]:
    """A journal with two orders, one in a signed settle, one in a sent settle."""
    path = tmp_path / "base.sqlite"
    orders = Orders()
    digests = []
    with Journal(path, clock=lambda: float(NOW)) as journal:
        for i in range(3):
            order = orders.signed(account(i))
            journal.add_order(*order)
            digests.append(order[2])
        signed = journal.plan_settle("signed", [planned(digests[0])])
        journal.sign_settle(signed.id, tx(1, nonce=1))
        sent = journal.plan_settle("sent", [planned(digests[1], ONE)])
        journal.sign_settle(sent.id, tx(2, nonce=2))
        journal.mark_sent(sent.id, tx(2, nonce=2).tx_hash)
    return path, digests


CHANGES: dict[str, Callable[[list[bytes]], Callable[[Journal], object]]] = {
    "add_order": lambda d: lambda j: j.add_order(*Orders(nonce=50).signed(account(9))),
    "plan_settle": lambda d: lambda j: j.plan_settle("new", [planned(d[2])]),
    "sign_settle": lambda d: lambda j: j.sign_settle(1, tx(3, nonce=1, replaces=tx(1, nonce=1).tx_hash)),
    "mark_sent": lambda d: lambda j: j.mark_sent(1, tx(1, nonce=1).tx_hash),
    "mark_mined": lambda d: lambda j: j.mark_mined(2, tx(2, nonce=2).tx_hash, legs=[leg(d[1], ONE)], **MINED),
    "drop_settle": lambda d: lambda j: j.drop_settle(1, "never landed"),
    "cancel_order": lambda d: lambda j: j.cancel_order(d[2], "by the trader"),
    "expire_orders": lambda d: lambda j: j.expire_orders(NOW + 10**6),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_kill_between_statements_leaves_the_state_before_the_change(tmp_path, name):
    base, digests = prepared(tmp_path)
    change = CHANGES[name](digests)
    before = dump(base)
    complete = tmp_path / "complete.sqlite"
    shutil.copy(base, complete)
    statements = run_child(complete, change, None)
    after = dump(complete)
    assert after != before and statements >= 3

    for k in range(1, statements + 1):
        victim = tmp_path / f"kill-{k}.sqlite"
        shutil.copy(base, victim)
        run_child(victim, change, k)
        assert dump(victim) == before, f"{name}: killed before statement {k} of {statements}"
        assert run_child(victim, change, None) == statements  # and the change goes through afterwards
        assert dump(victim) == after


def test_a_kill_after_mined_and_before_confirmed_resumes_from_the_journal(tmp_path):
    base, digests = prepared(tmp_path)
    run_child(base, CHANGES["mark_mined"](digests), None)

    with Journal(base) as journal:
        open_settles = {s.batch_id: s for s in journal.open_settles()}
        assert open_settles["sent"].stage == "mined" and open_settles["signed"].stage == "signed"
        assert open_settles["signed"].txs[0].raw == tx(1, nonce=1).raw  # to rebroadcast, never re-sign
        assert journal.get_order(digests[1]).status == "partially_filled"
        assert {f.digest for f in journal.orders_in_flight()} == {digests[0], digests[1]}
