"""Journal: funding charges and liquidations are booked once by block and forgotten above a reorg's fork;
a liquidation goes through the settle stages, one per account in flight; the liquidator's watch list
grows from the fills booked."""

from __future__ import annotations

import pytest
from botkit import NOW, leg, planned, tx
from test_journal_reorg import settle_and_mine

from defi_int.bot.errors import JournalError
from defi_int.bot.journal import Close, FundingRecord, Journal, LiquidationBooked
from defi_int.types import ONE

DESK = "0x" + "de" * 20


def charge(block: int, amount: int, position: int = 0) -> FundingRecord:
    return FundingRecord(bytes([block]) * 32, 3, position, block, bytes([block]) * 32, DESK, 0, amount)


def taken(block: int, account: str) -> LiquidationBooked:
    return LiquidationBooked(
        bytes([block]) * 32, 5, block, bytes([block]) * 32, NOW + block, account, 0, DESK, 2 * ONE, 2 * ONE, 0, 0,
        1_900 * ONE, 95_000_000, 0, 0,
    )  # fmt: skip


def test_funding_and_liquidations_are_booked_once_and_unwound_by_block(journal: Journal, alice, bob):
    assert journal.record_funding([charge(10, 7), charge(10, -3, position=1), charge(12, 5)]) == 3
    assert journal.record_funding([charge(10, 7)]) == 0  # the same word again: a receipt and a scan
    assert journal.record_liquidations([taken(10, alice.address), taken(12, bob.address)]) == 2
    assert journal.record_liquidations([taken(12, bob.address)]) == 0

    journal.unwind_reorg(11, "block 11 changed")

    assert [(c.block_number, c.amount) for c in journal.funding(DESK.upper().replace("0X", "0x"))] == [
        (10, 7),
        (10, -3),
    ]
    assert [x.account for x in journal.liquidations()] == [alice.address]


def test_a_liquidation_goes_through_the_settle_stages_and_one_per_account_is_in_flight(journal: Journal, alice):
    close = Close(alice.address, 0, 2 * ONE)
    settle = journal.plan_liquidation("liquidation-1", close)
    assert (settle.kind, settle.stage, settle.closes, settle.fills) == ("liquidation", "planned", (close,), ())
    with pytest.raises(JournalError, match="already in liquidation"):
        journal.plan_liquidation("liquidation-2", close)
    journal.sign_settle(settle.id, tx(1, nonce=1))
    journal.mark_sent(settle.id, tx(1, nonce=1).tx_hash)
    mined = journal.mark_mined(settle.id, tx(1, nonce=1).tx_hash, block_number=9, block_hash=b"\x09" * 32,
                               block_time=NOW, status=1, gas_used=146_282, legs=[])  # fmt: skip
    assert mined.stage == "mined" and journal.liquidation_totals() == (1, 146_282)
    assert journal.settle_totals() == (0, 0)  # a liquidation is not a settle of fills
    journal.mark_confirmed(settle.id, 1)
    journal.mark_reconciled(settle.id)
    assert journal.plan_liquidation("liquidation-3", close).stage == "planned"  # the first is final


def test_the_liquidators_watch_list_grows_from_the_fills_booked(journal: Journal, orders, alice, bob):
    first, second = orders.signed(alice), orders.signed(bob)
    for order in (first, second):
        journal.add_order(*order)
    settle_and_mine(journal, "b1", [planned(first[2])], [leg(first[2])], block=10, n=1)
    accounts, row = journal.traded_accounts()
    assert accounts == [alice.address]
    settle_and_mine(journal, "b2", [planned(second[2])], [leg(second[2])], block=11, n=2)
    assert journal.traded_accounts(row)[0] == [bob.address]  # only what is new
    assert journal.traded_accounts()[0] == [alice.address, bob.address]
