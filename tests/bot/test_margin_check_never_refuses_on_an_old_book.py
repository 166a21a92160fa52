"""Intake's margin filter refuses an order only on a book it has just read (``bot.margin``): when
the cached book would refuse and reading it again fails (the node does not answer), the order is
taken and the chain judges its margin at settle, instead of being refused on what the trader held
before (a trader who has just deposited would be turned away).
"""

from __future__ import annotations

from botkit import desk_snapshot

from defi_int.bot.margin import MarginCheck
from defi_int.exceptions import NodeUnavailable
from defi_int.market.ledger import Ledger

DESK, FEES = "0x" + "d" * 40, "0x" + "f" * 40


def test_a_failed_second_look_leaves_the_order_to_the_chain(client, state, orders, alice, clock):
    reads: list[str] = []

    def read(trader: str) -> Ledger:
        reads.append(trader)
        if len(reads) > 1:
            raise NodeUnavailable("http://127.0.0.1:8545", "connection refused")
        return Ledger(10**30, 1_000, 500, DESK, FEES, markets=[0])  # no cash: nothing deposited yet

    state.margin = MarginCheck(read, state.snapshot, ttl=60.0, clock=clock)
    state.publish(desk_snapshot())

    first = client.post("/v1/orders", json=orders.body(alice))
    assert first.status_code == 422 and first.json()["code"] == "insufficient_margin", first.text

    clock.advance(1.0)  # the trader deposits; the cached book is a second old
    second = client.post("/v1/orders", json=orders.body(alice))

    assert second.status_code == 201 and second.json()["status"] == "resting", second.text
    assert len(reads) == 2  # the second look was taken, and failed


def test_a_book_just_read_still_refuses(client, state, orders, alice, clock):
    reads: list[str] = []

    def read(trader: str) -> Ledger:
        reads.append(trader)
        return Ledger(10**30, 1_000, 500, DESK, FEES, markets=[0])

    state.margin = MarginCheck(read, state.snapshot, ttl=60.0, clock=clock)
    state.publish(desk_snapshot())
    client.post("/v1/orders", json=orders.body(alice))
    clock.advance(1.0)

    again = client.post("/v1/orders", json=orders.body(alice))

    assert again.status_code == 422 and again.json()["code"] == "insufficient_margin", again.text
    assert len(reads) == 2  # read again before refusing
