"""Journal: unwinding a reorg leaves nothing non-canonical booked and puts orders back to rest."""

from __future__ import annotations

from botkit import NOW, leg, planned, tx

from defi_int.bot.journal import Journal
from defi_int.types import ONE


def settle_and_mine(journal: Journal, batch: str, fills, legs, *, block: int, n: int):
    settle = journal.plan_settle(batch, fills)
    journal.sign_settle(settle.id, tx(n, nonce=n))
    journal.mark_sent(settle.id, tx(n, nonce=n).tx_hash)
    return journal.mark_mined(
        settle.id,
        tx(n, nonce=n).tx_hash,
        block_number=block,
        block_hash=bytes([block]) * 32,
        block_time=NOW + block,
        status=1,
        gas_used=100_000,
        legs=legs,
    )


def test_a_reorg_unbooks_the_settles_above_the_fork_and_puts_their_orders_back_to_rest(
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
        journal, "b2", [planned(d1, ONE), planned(d2)], [leg(d1, ONE), leg(d2, log_index=1)], block=12, n=2
    )
    journal.mark_confirmed(s2.id, 1)
    s3 = settle_and_mine(journal, "b3", [planned(d3)], [leg(d3)], block=13, n=3)
    journal.set_cursor("confirmed", 12, bytes([12]) * 32)
    journal.set_cursor("reconciled", 10, bytes([10]) * 32)
    assert [journal.get_order(d).status for d in (d1, d2, d3)] == ["filled"] * 3

    unwound = journal.unwind_reorg(11, "block 11 hash changed")

    assert [s.id for s in unwound] == [s2.id, s3.id]
    assert {s.stage for s in unwound} == {"reorged"}
    assert "no longer canonical" in unwound[0].detail
    assert journal.get_settle(s1.id).stage == "confirmed"
    assert [r.block for r in journal.fill_records()] == [10]  # only the canonical leg stays booked
    d1_after = journal.get_order(d1)
    assert (d1_after.status, d1_after.filled) == ("partially_filled", ONE)
    assert journal.get_order(d2).status == "resting" and journal.get_order(d3).status == "resting"
    assert journal.order_fills(d2) == [] and journal.in_flight(d3) is None
    assert {r.digest for r in journal.live_orders()} == {d1, d2, d3}
    assert journal.cursor("confirmed") is None and journal.cursor("reconciled").block == 10
    assert journal.order_history(d2)[-1].event == "unbooked"
    assert journal.open_settles() == []


def test_reorged_orders_can_be_settled_again(journal: Journal, orders, alice):
    order = orders.signed(alice)
    journal.add_order(*order)
    settle_and_mine(journal, "b1", [planned(order[2])], [leg(order[2])], block=20, n=1)
    journal.unwind_reorg(20, "rollback")

    again = settle_and_mine(journal, "b2", [planned(order[2])], [leg(order[2])], block=21, n=2)

    assert again.stage == "mined" and journal.get_order(order[2]).status == "filled"
    assert [r.block for r in journal.fill_records()] == [21]


def test_a_reorg_below_every_settle_changes_nothing_booked(journal: Journal, orders, alice):
    order = orders.signed(alice)
    journal.add_order(*order)
    settle_and_mine(journal, "b1", [planned(order[2])], [leg(order[2])], block=20, n=1)

    assert journal.unwind_reorg(21, "a reorg of empty blocks") == []
    assert journal.get_order(order[2]).status == "filled"
