"""Journal: the loop follows the API through the change feed; a journal belongs to one deployment;
the report's counts; reads that change nothing write nothing."""

from __future__ import annotations

import sqlite3

from botkit import NOW, leg, planned, tx

from defi_int.bot.journal import Journal
from defi_int.reasons import Reason


def test_the_change_feed_gives_new_orders_and_cancels_after_the_last_event_seen(journal: Journal, orders, alice, bob):
    first = orders.signed(alice)
    journal.add_order(*first)
    seen = journal.last_event_id()
    second, third = orders.signed(bob), orders.signed(alice)
    journal.add_order(*second)
    journal.add_order(*third)
    journal.cancel_order(first[2], "by the trader")
    settle = journal.plan_settle("b1", [planned(second[2])])  # the loop's own events are not in the feed

    changes = journal.order_changes(seen)

    assert [(c.event, c.digest) for c in changes] == [
        ("accepted", second[2]),
        ("accepted", third[2]),
        ("cancelled", first[2]),
    ]
    assert journal.order_changes(changes[-1].id) == [] and settle.stage == "planned"


def test_a_journal_is_claimed_by_the_first_deployment_and_keeps_its_claim(tmp_path):
    with Journal(tmp_path / "k.sqlite") as journal:
        assert journal.claim("identity", "chain 1, Settlement 0xA") == "chain 1, Settlement 0xA"
    with Journal(tmp_path / "k.sqlite") as journal:
        assert journal.claim("identity", "chain 2, Settlement 0xB") == "chain 1, Settlement 0xA"


def test_the_report_counts_rejections_by_reason_and_settles_that_went_through(journal: Journal, orders, alice):
    made = [orders.signed(alice) for _ in range(3)]
    for o in made:
        journal.add_order(*o)
    journal.reject_order(made[0][2], Reason.CANCELLED, "cancelled on chain")
    journal.reject_order(made[1][2], Reason.EVICTED, "a better order took its place")
    settle = journal.plan_settle("b1", [planned(made[2][2])])
    journal.sign_settle(settle.id, tx(1))
    journal.mark_mined(settle.id, tx(1).tx_hash, block_number=5, block_hash=b"\x05" * 32, block_time=NOW,
                       status=1, gas_used=90_000, legs=[leg(made[2][2])])  # fmt: skip

    assert journal.rejection_counts() == {"cancelled": 1, "evicted": 1}
    assert journal.settle_totals() == (1, 90_000)


def test_expiring_and_noting_nothing_new_writes_nothing(journal: Journal, orders, alice):
    made = orders.signed(alice)
    journal.add_order(*made)
    reason = {made[2]: ("limit_not_met", "the desk's price does not meet the limit")}
    journal.note_reasons(reason)
    observer = sqlite3.connect(journal.path)  # data_version moves when another connection commits
    try:
        version = observer.execute("PRAGMA data_version").fetchone()[0]
        assert journal.expire_orders(NOW) == [] and journal.note_reasons(reason) == 0
        assert observer.execute("PRAGMA data_version").fetchone()[0] == version
        journal.note_reasons({made[2]: ("inventory_cap", "no room")})
        assert observer.execute("PRAGMA data_version").fetchone()[0] != version
    finally:
        observer.close()
