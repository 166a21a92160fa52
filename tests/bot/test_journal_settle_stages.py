"""Journal: a settle transaction through its stages, each change atomic, each illegal move refused."""

from __future__ import annotations

import dataclasses

import pytest
from botkit import NOW, leg, planned, tx

from defi_int.bot.errors import JournalError
from defi_int.bot.journal import Journal
from defi_int.metrics.fills import FILL_COLUMNS, write_fills_csv
from defi_int.types import ONE

BLOCK_HASH = b"\xbb" * 32


def journaled(journal: Journal, orders, who, n: int = 1, **fields):
    made = [orders.signed(who, **fields) for _ in range(n)]
    for o in made:
        journal.add_order(*o)
    return [o[2] for o in made]


def mine(journal: Journal, settle_id: int, tx_hash: bytes, legs, *, block: int = 120, status: int = 1):
    return journal.mark_mined(
        settle_id,
        tx_hash,
        block_number=block,
        block_hash=BLOCK_HASH,
        block_time=NOW + 24,
        status=status,
        gas_used=150_000,
        legs=legs,
    )


def test_a_settle_goes_planned_signed_sent_mined_confirmed_reconciled(journal: Journal, orders, alice, clock):
    a, b = journaled(journal, orders, alice, 2)
    settle = journal.plan_settle("batch-1", [planned(a), planned(b, amm=ONE)])
    assert settle.stage == "planned" and settle.in_flight
    assert {f.digest for f in journal.orders_in_flight()} == {a, b}

    clock.advance(1)
    settle = journal.sign_settle(settle.id, tx(1))
    assert (settle.stage, settle.nonce, settle.tx_hash) == ("signed", 7, tx(1).tx_hash)
    settle = journal.mark_sent(settle.id, tx(1).tx_hash)
    assert settle.stage == "sent"
    legs = [leg(a), leg(b, ONE, fill_index=1), leg(b, ONE, venue="amm", fill_index=1)]
    clock.advance(2)
    settle = mine(journal, settle.id, tx(1).tx_hash, legs)
    assert (settle.stage, settle.block_number, settle.status, settle.gas_used) == ("mined", 120, 1, 150_000)
    assert journal.get_order(a).status == "filled" and journal.get_order(b).status == "filled"
    assert journal.open_settles() == [settle]  # mined is not final yet

    settle = journal.mark_confirmed(settle.id, 3)
    assert settle.stage == "confirmed" and settle.confirmations == 3 and journal.open_settles() == []
    assert journal.settles_to_reconcile() == [settle]
    settle = journal.mark_reconciled(settle.id)
    assert settle.stage == "reconciled" and journal.settles_to_reconcile() == []
    assert set(settle.times) == {"planned", "signed", "sent", "mined", "confirmed", "reconciled"}
    assert settle.times["mined"] - settle.times["signed"] == 2
    assert [e.event for e in journal.order_history(a)] == ["accepted", "planned", "filled"]
    assert journal.fill_counts() == {"internal": 2, "amm": 1}


def test_a_partial_fill_leaves_the_order_partially_filled_and_live(journal: Journal, orders, alice):
    (a,) = journaled(journal, orders, alice)
    settle = journal.plan_settle("b", [planned(a, ONE)])
    journal.sign_settle(settle.id, tx(1))
    mine(journal, settle.id, tx(1).tx_hash, [leg(a, ONE)])

    record = journal.get_order(a)
    assert (record.status, record.filled, record.remaining) == ("partially_filled", ONE, ONE)
    assert journal.live_orders() == []  # in flight until its settle is final
    journal.mark_confirmed(settle.id, 3)
    assert journal.live_orders() == [journal.get_order(a)]


def test_an_order_in_flight_cannot_be_planned_into_a_second_settle(journal: Journal, orders, alice):
    a, b = journaled(journal, orders, alice, 2)
    first = journal.plan_settle("b1", [planned(a)])

    with pytest.raises(JournalError, match="already in flight in settle"):
        journal.plan_settle("b2", [planned(b), planned(a)])

    assert journal.open_settles() == [first]  # nothing of b2 was written
    assert journal.in_flight(b) is None


def test_plan_settle_refuses_more_than_is_left_and_closed_orders(journal: Journal, orders, alice):
    a, b = journaled(journal, orders, alice, 2)
    journal.cancel_order(b, "gone")

    with pytest.raises(JournalError, match="where 2000000000000000000 is left"):
        journal.plan_settle("b1", [planned(a, 3 * ONE)])
    with pytest.raises(JournalError, match="is cancelled"):
        journal.plan_settle("b1", [planned(b)])
    with pytest.raises(JournalError, match="twice"):
        journal.plan_settle("b1", [planned(a, ONE), planned(a, ONE)])


def test_a_replacement_keeps_the_nonce_and_either_transaction_may_be_mined(journal: Journal, orders, alice):
    (a,) = journaled(journal, orders, alice)
    settle = journal.plan_settle("b", [planned(a)])
    journal.sign_settle(settle.id, tx(1))
    journal.mark_sent(settle.id, tx(1).tx_hash)

    with pytest.raises(JournalError, match="must replace"):
        journal.sign_settle(settle.id, tx(2, nonce=8, replaces=tx(1).tx_hash))
    settle = journal.sign_settle(settle.id, tx(2, replaces=tx(1).tx_hash, fee=2 * 10**9))
    assert settle.stage == "signed" and settle.tx_hash == tx(2).tx_hash
    assert [t.tx_hash for t in settle.txs] == [tx(1).tx_hash, tx(2).tx_hash]
    assert settle.txs[1].replaces == tx(1).tx_hash and settle.txs[1].priority_fee == 2 * 10**9

    settle = mine(journal, settle.id, tx(1).tx_hash, [leg(a)])  # the original landed after all
    assert settle.stage == "mined" and settle.tx_hash == tx(1).tx_hash
    assert journal.settle_by_tx(tx(2).tx_hash).id == settle.id


def test_a_reverted_settle_fails_and_releases_its_orders(journal: Journal, orders, alice):
    (a,) = journaled(journal, orders, alice)
    settle = journal.plan_settle("b", [planned(a)])
    journal.sign_settle(settle.id, tx(1))

    with pytest.raises(JournalError, match="books no fills"):
        mine(journal, settle.id, tx(1).tx_hash, [leg(a)], status=0)
    settle = mine(journal, settle.id, tx(1).tx_hash, [], status=0)

    assert settle.stage == "failed" and not settle.in_flight
    assert journal.in_flight(a) is None and journal.get_order(a).status == "resting"
    assert journal.order_history(a)[-1].event == "released"


def test_an_order_the_mined_settle_did_not_fill_is_released(journal: Journal, orders, alice):
    a, b = journaled(journal, orders, alice, 2)
    settle = journal.plan_settle("b", [planned(a), planned(b)])
    journal.sign_settle(settle.id, tx(1))

    mine(journal, settle.id, tx(1).tx_hash, [leg(a)])

    assert journal.get_order(a).status == "filled"
    assert journal.get_order(b).status == "resting" and journal.in_flight(b) is None
    assert journal.in_flight(a) is not None  # mined, not final


def test_mark_mined_refuses_a_leg_it_did_not_plan_and_a_transaction_it_did_not_sign(journal: Journal, orders, alice):
    a, b = journaled(journal, orders, alice, 2)
    settle = journal.plan_settle("b", [planned(a)])
    journal.sign_settle(settle.id, tx(1))

    with pytest.raises(JournalError, match="did not plan"):
        mine(journal, settle.id, tx(1).tx_hash, [leg(a), leg(b, fill_index=1)])
    with pytest.raises(JournalError, match="never signed"):
        mine(journal, settle.id, tx(9).tx_hash, [leg(a)])
    assert journal.get_settle(settle.id).stage == "signed"
    assert journal.fill_counts() == {"internal": 0, "amm": 0}


def test_stages_cannot_be_skipped_or_repeated(journal: Journal, orders, alice):
    (a,) = journaled(journal, orders, alice)
    settle = journal.plan_settle("b", [planned(a)])

    with pytest.raises(JournalError, match="cannot be sent"):
        journal.mark_sent(settle.id, tx(1).tx_hash)
    with pytest.raises(JournalError, match="cannot become confirmed"):
        journal.mark_confirmed(settle.id, 3)
    journal.sign_settle(settle.id, tx(1))
    mine(journal, settle.id, tx(1).tx_hash, [leg(a)])
    with pytest.raises(JournalError, match="only one that never landed"):
        journal.drop_settle(settle.id, "no")
    with pytest.raises(JournalError, match="cannot become reconciled"):
        journal.mark_reconciled(settle.id)
    with pytest.raises(JournalError, match="already journaled"):
        journal.plan_settle("b", [planned(a)])


def test_a_dropped_settle_releases_its_orders(journal: Journal, orders, alice):
    (a,) = journaled(journal, orders, alice)
    settle = journal.plan_settle("b", [planned(a)])
    journal.sign_settle(settle.id, tx(1))

    settle = journal.drop_settle(settle.id, "nonce 7 was used by another transaction")

    assert settle.stage == "dropped" and settle.detail.startswith("nonce 7")
    assert journal.live_orders()[0].digest == a and journal.open_settles() == []


def test_fill_records_have_the_columns_of_a_run(journal: Journal, orders, alice, tmp_path):
    (a,) = journaled(journal, orders, alice)
    settle = journal.plan_settle("b", [planned(a, amm=ONE)])
    journal.sign_settle(settle.id, tx(1))
    legs = [leg(a, ONE, venue="amm"), leg(a, ONE)]
    mine(journal, settle.id, tx(1).tx_hash, legs)

    records = journal.fill_records()
    assert {dataclasses.replace(r, step=0, block=0, time=0) for r in records} == set(legs)  # one Leg, kept whole
    write_fills_csv(records, tmp_path / "fills.csv", decimals=6, types={alice.address.lower(): "noise"})

    assert [r.venue for r in records] == ["internal", "amm"]  # chain order: internal leg first
    assert records[0].block == 120 and records[0].trader == alice.address and records[0].step == settle.id
    assert (tmp_path / "fills.csv").read_text().splitlines()[1].split(",")[5] == "noise"
    assert records[0].order_digest == "0x" + a.hex() and records[0].limit_price == 2_020 * ONE
    assert (tmp_path / "fills.csv").read_text().splitlines()[0].split(",") == list(FILL_COLUMNS)


def test_cursors_remember_the_last_processed_block(journal: Journal):
    assert journal.cursor("confirmed") is None
    journal.set_cursor("confirmed", 10, b"\x01" * 32)
    journal.set_cursor("confirmed", 12, b"\x02" * 32)

    assert journal.cursor("confirmed").block == 12 and journal.cursor("confirmed").block_hash == b"\x02" * 32
