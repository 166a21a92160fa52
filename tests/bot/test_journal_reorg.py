"""Journal: unwinding a reorg leaves nothing non-canonical booked and keeps the settles' orders safe.

A settle whose block is gone goes back to ``sent``: its signed transaction may land again, so its
orders stay in flight until it does (booked again) or its nonce goes to another transaction
(closed as ``reorged``, its orders back to rest and plannable).
"""

from __future__ import annotations

from botkit import NOW, leg, planned, tx

from defi_int.bot.journal import HedgeRecord, Journal, Sample
from defi_int.types import ONE


def settle_and_mine(journal: Journal, batch: str, fills, legs, *, block: int, n: int):
    settle = journal.plan_settle(batch, fills)
    journal.sign_settle(settle.id, tx(n, nonce=n))
    journal.mark_sent(settle.id, tx(n, nonce=n).tx_hash)
    return mine(journal, settle.id, n, legs, block=block)


def mine(journal: Journal, settle_id: int, n: int, legs, *, block: int):
    return journal.mark_mined(
        settle_id,
        tx(n, nonce=n).tx_hash,
        block_number=block,
        block_hash=bytes([block]) * 32,
        block_time=NOW + block,
        status=1,
        gas_used=100_000,
        legs=legs,
    )


def test_a_reorg_unbooks_the_settles_above_the_fork_and_keeps_their_orders_in_flight(
    journal: Journal, orders, alice, bob
):
    made = [orders.signed(who) for who in (alice, bob, alice)]
    for o in made:
        journal.add_order(*o)
    d1, d2, d3 = (o[2] for o in made)
    # block 10: half of d1 (confirmed); block 12: the other half of d1 and all of d2; block 13: d3
    s1 = settle_and_mine(journal, "b1", [planned(d1, ONE)], [leg(d1, ONE)], block=10, n=1)
    journal.mark_confirmed(s1.id, 2)
    s2 = settle_and_mine(
        journal, "b2", [planned(d1, ONE), planned(d2)], [leg(d1, ONE), leg(d2, fill_index=1)], block=12, n=2
    )
    journal.mark_confirmed(s2.id, 1)
    s3 = settle_and_mine(journal, "b3", [planned(d3)], [leg(d3)], block=13, n=3)
    journal.set_cursor("confirmed", 12, bytes([12]) * 32)
    journal.set_cursor("reconciled", 10, bytes([10]) * 32)
    assert [journal.get_order(d).status for d in (d1, d2, d3)] == ["filled"] * 3

    unwound = journal.unwind_reorg(11, "block 11 hash changed")

    assert [s.id for s in unwound] == [s2.id, s3.id]
    assert {(s.stage, s.reorgs, s.block_number) for s in unwound} == {("sent", 1, None)}
    assert "no longer canonical" in unwound[0].detail
    assert journal.get_settle(s1.id).stage == "confirmed"
    assert [r.block for r in journal.fill_records()] == [10]  # only the canonical leg stays booked
    d1_after = journal.get_order(d1)
    assert (d1_after.status, d1_after.filled) == ("partially_filled", ONE)
    assert journal.get_order(d2).status == "resting" and journal.get_order(d3).status == "resting"
    assert journal.order_fills(d2) == []
    assert {f.digest: f.settle_id for f in journal.orders_in_flight()} == {d1: s2.id, d2: s2.id, d3: s3.id}
    assert journal.live_orders() == []  # none may be planned again while its transaction may land
    assert journal.cursor("confirmed") is None and journal.cursor("reconciled").block == 10
    assert journal.order_history(d2)[-1].event == "unbooked"
    assert [s.id for s in journal.open_settles()] == [s2.id, s3.id]


def test_a_reorged_settle_whose_transaction_lands_again_is_booked_in_its_new_block(journal: Journal, orders, alice):
    order = orders.signed(alice)
    journal.add_order(*order)
    settle = settle_and_mine(journal, "b1", [planned(order[2])], [leg(order[2])], block=20, n=1)
    journal.unwind_reorg(20, "rollback")

    again = mine(journal, settle.id, 1, [leg(order[2])], block=21)

    assert (again.stage, again.block_number, again.reorgs) == ("mined", 21, 1)
    assert journal.get_order(order[2]).status == "filled"
    assert [r.block for r in journal.fill_records()] == [21]


def test_a_reorged_settle_whose_nonce_went_elsewhere_closes_and_its_orders_can_be_settled_again(
    journal: Journal, orders, alice
):
    order = orders.signed(alice)
    journal.add_order(*order)
    first = settle_and_mine(journal, "b1", [planned(order[2])], [leg(order[2])], block=20, n=1)
    journal.unwind_reorg(20, "rollback")

    closed = journal.drop_settle(first.id, "nonce 1 taken by a cancel transaction")
    assert closed.stage == "reorged" and journal.get_order(order[2]).status == "resting"
    assert [r.digest for r in journal.live_orders()] == [order[2]]
    again = settle_and_mine(journal, "b2", [planned(order[2])], [leg(order[2])], block=21, n=2)

    assert again.stage == "mined" and journal.get_order(order[2]).status == "filled"
    assert [r.block for r in journal.fill_records()] == [21]


def test_a_reorg_below_every_settle_changes_nothing_booked(journal: Journal, orders, alice):
    order = orders.signed(alice)
    journal.add_order(*order)
    settle_and_mine(journal, "b1", [planned(order[2])], [leg(order[2])], block=20, n=1)

    assert journal.unwind_reorg(21, "a reorg of empty blocks") == []
    assert journal.get_order(order[2]).status == "filled"


def test_a_reorg_forgets_the_hedges_and_samples_of_the_lost_blocks(journal: Journal):
    for block in (30, 31):
        journal.record_hedge(HedgeRecord(bytes([block]) * 32, 0, block, b"\x01" * 32, NOW, 0, True, ONE, 2, 3, 4))
        journal.record_samples([Sample(block, 0, block, b"\x02" * 32, NOW + block, 2_000 * ONE, 1, 2, 3, 4)])

    journal.unwind_reorg(31, "rollback")

    assert [h.block_number for h in journal.hedges()] == [30]
    assert [s.block_number for s in journal.samples()] == [30] and journal.last_step() == 30
