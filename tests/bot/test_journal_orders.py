"""Journal: an order's life outside settlement (intake, reasons, expiry, rejection, cancel)."""

from __future__ import annotations

import pytest
from botkit import NOW, planned

from defi_int.bot.errors import JournalError, OrderInFlight
from defi_int.bot.journal import Journal


def test_add_order_journals_a_resting_order_once(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice)
    first = journal.add_order(order, signature, digest)
    again = journal.add_order(order, signature, digest)

    assert first.outcome == "created" and again.outcome == "existing"
    assert again.record == first.record
    assert first.record.status == "resting" and first.record.order == order and first.record.signature == signature
    assert [e.event for e in journal.order_history(digest)] == ["accepted"]
    assert journal.status_counts()["resting"] == 1


def test_add_order_refuses_a_second_live_order_on_the_same_nonce(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice, nonce=5)
    other, other_signature, other_digest = orders.signed(alice, nonce=5, size=3 * 10**18)
    journal.add_order(order, signature, digest)

    refused = journal.add_order(other, other_signature, other_digest)

    assert refused.outcome == "nonce_taken" and refused.other == digest
    assert journal.get_order(other_digest) is None


def test_a_nonce_is_free_again_once_its_order_is_closed(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice, nonce=5)
    journal.add_order(order, signature, digest)
    journal.cancel_order(digest, "by the trader")
    other, other_signature, other_digest = orders.signed(alice, nonce=5, size=3 * 10**18)

    assert journal.add_order(other, other_signature, other_digest).outcome == "created"


def test_add_order_refuses_a_trader_at_the_resting_cap(journal: Journal, orders, alice, bob):
    for _ in range(3):
        assert journal.add_order(*orders.signed(alice), max_resting=3).outcome == "created"

    refused = journal.add_order(*orders.signed(alice), max_resting=3)

    assert refused.outcome == "resting_cap" and refused.count == 3
    assert journal.add_order(*orders.signed(bob), max_resting=3).outcome == "created"


def test_note_reasons_keeps_the_latest_word_and_skips_unchanged_ones(journal: Journal, orders, alice, clock):
    order, signature, digest = orders.signed(alice)
    journal.add_order(order, signature, digest)

    assert journal.note_reasons({digest: ("limit_not_met", "desk price 2030 > limit 2020")}) == 1
    clock.advance(5)
    assert journal.note_reasons({digest: ("limit_not_met", "desk price 2030 > limit 2020")}) == 0
    assert journal.note_reasons({digest: ("breaker_open", "stale oracle")}) == 1

    reason = journal.get_order(digest).reason
    assert (reason.code, reason.detail, reason.at) == ("breaker_open", "stale oracle", NOW + 5)


def test_expire_orders_expires_live_orders_past_their_expiry_but_not_those_in_flight(journal: Journal, orders, alice):
    soon = orders.signed(alice, expiry=NOW + 10)
    later = orders.signed(alice, expiry=NOW + 1_000)
    flying = orders.signed(alice, expiry=NOW + 10)
    for o in (soon, later, flying):
        journal.add_order(*o)
    journal.plan_settle("b1", [planned(flying[2])])

    assert journal.expire_orders(NOW + 10) == []  # valid while time <= expiry
    assert journal.expire_orders(NOW + 11) == [soon[2]]
    assert journal.get_order(soon[2]).status == "expired"
    assert journal.get_order(later[2]).status == "resting"
    assert journal.get_order(flying[2]).status == "resting"


def test_an_expiry_beyond_64_bit_sqlite_integers_round_trips(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice, expiry=2**64 - 1, nonce=2**256 - 1, size=2**128 - 1)
    journal.add_order(order, signature, digest)

    assert journal.get_order(digest).order == order
    assert journal.expire_orders(2**62) == []


def test_reject_order_closes_a_live_order_with_its_reason(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice)
    journal.add_order(order, signature, digest)

    record = journal.reject_order(digest, "already_filled", "nonce 1 was consumed outside this keeper")

    assert record.status == "rejected"
    assert record.reason.code == "already_filled"
    with pytest.raises(JournalError, match="already rejected"):
        journal.reject_order(digest, "x", "y")


def test_cancel_order_is_refused_while_the_order_is_in_flight(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice)
    journal.add_order(order, signature, digest)
    settle = journal.plan_settle("b1", [planned(digest)])

    with pytest.raises(OrderInFlight) as caught:
        journal.cancel_order(digest, "by the trader")

    assert caught.value.settle_id == settle.id and caught.value.stage == "planned"
    assert journal.get_order(digest).status == "resting"


def test_cancel_order_twice_changes_it_once(journal: Journal, orders, alice):
    order, signature, digest = orders.signed(alice)
    journal.add_order(order, signature, digest)

    first, changed = journal.cancel_order(digest, "by the trader")
    second, changed_again = journal.cancel_order(digest, "by the trader")

    assert changed and not changed_again
    assert first == second and first.status == "cancelled"
    assert [e.event for e in journal.order_history(digest)] == ["accepted", "cancelled"]


def test_live_orders_are_reloaded_in_arrival_order_without_those_in_flight(journal: Journal, orders, alice, bob, clock):
    made = []
    for who in (alice, bob, alice):
        made.append(orders.signed(who))
        journal.add_order(*made[-1])
        clock.advance(1)
    journal.plan_settle("b1", [planned(made[1][2])])

    assert [r.digest for r in journal.live_orders()] == [made[0][2], made[2][2]]
    assert [r.digest for r in journal.live_orders(include_in_flight=True)] == [m[2] for m in made]
    assert journal.live_count(alice.address) == 2
