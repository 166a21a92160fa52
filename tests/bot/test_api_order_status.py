"""GET /v1/orders/{digest}: the status, the fills as booked, why it has not filled, and the history."""

from __future__ import annotations

from botkit import NOW, desk_snapshot, leg, planned, tx

from defi_int.keeper.trace import Action, OrderTrace
from defi_int.reasons import Reason
from defi_int.types import ONE


def post(client, orders, who, **fields) -> bytes:
    response = client.post("/v1/orders", json=orders.body(who, **fields))
    assert response.status_code == 201
    return bytes.fromhex(response.json()["digest"][2:])


def get(client, digest: bytes) -> dict:
    response = client.get(f"/v1/orders/0x{digest.hex()}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_resting_order_shows_the_loops_latest_reason(client, state, orders, alice):
    digest = post(client, orders, alice)
    state.journal.note_reasons({digest: ("limit_not_met", "the desk's price 2031 is above the limit 2020")})

    body = get(client, digest)

    assert body["status"] == "resting" and body["filled"] == "0" and body["remaining"] == str(2 * ONE)
    assert body["reason"]["code"] == "limit_not_met" and "2031" in body["reason"]["message"]
    assert body["inFlight"] is None and body["fills"] == []
    assert body["order"]["trader"] == alice.address and body["order"]["size"] == str(2 * ONE)
    assert [e["event"] for e in body["history"]] == ["accepted"]


def test_an_order_in_a_settle_shows_the_transaction_then_its_fills(client, state, orders, alice):
    digest = post(client, orders, alice)
    journal = state.journal
    settle = journal.plan_settle("b1", [planned(digest, amm=ONE)])
    journal.sign_settle(settle.id, tx(1))

    flying = get(client, digest)
    assert flying["inFlight"] == {"settleId": settle.id, "stage": "signed", "txHash": "0x" + tx(1).tx_hash.hex()}

    journal.mark_mined(
        settle.id, tx(1).tx_hash, block_number=42, block_hash=b"\x42" * 32, block_time=NOW, status=1,
        gas_used=120_000, legs=[leg(digest, ONE), leg(digest, ONE, venue="amm")],
    )  # fmt: skip
    journal.mark_confirmed(settle.id, 2)
    body = get(client, digest)

    assert body["status"] == "filled" and body["filled"] == str(2 * ONE) and body["inFlight"] is None
    assert [(f["venue"], f["size"], f["block"]) for f in body["fills"]] == [
        ("internal", str(ONE), 42),
        ("amm", str(ONE), 42),
    ]
    assert body["fills"][0]["txHash"] == "0x" + tx(1).tx_hash.hex() and int(body["fills"][0]["fee"]) > 0
    assert [e["event"] for e in body["history"]] == ["accepted", "planned", "filled"]


def test_an_open_breaker_is_the_reason_a_live_order_waits(client, state, orders, alice):
    digest = post(client, orders, alice)
    state.publish(desk_snapshot(fresh=False, updated_at=NOW - 4_000))

    reason = get(client, digest)["reason"]

    assert reason["code"] == "breaker_open" and "stale_oracle" in reason["message"]


def test_an_unknown_digest_is_not_found_and_a_bad_one_is_malformed(client):
    assert client.get("/v1/orders/0x" + "ab" * 32).json()["code"] == "not_found"
    response = client.get("/v1/orders/0x1234")
    assert response.status_code == 422 and response.json()["code"] == "malformed"


def test_an_order_shows_what_the_desk_saw_at_receipt_and_the_latest_batchs_trace(client, state, orders, alice):
    state.publish(desk_snapshot())  # the loop's latest view: oracle 2,000, an AMM pool, a flat desk
    digest = post(client, orders, alice, limit_price=1_990 * ONE)  # a buy below the desk's and the AMM's price

    seen = get(client, digest)["receipt"]
    assert seen["oraclePrice"] == str(2_000 * ONE) and seen["block"] == 100 and seen["oracleFresh"] is True
    assert int(seen["deskPrice"]) > 2_000 * ONE and int(seen["ammPrice"]) > int(seen["deskPrice"])
    assert seen["marketable"] is False and int(seen["ammMid"]) == 2_000 * ONE

    trace = OrderTrace(
        digest, 0, True, 2 * ONE, Action.REST, Reason.LIMIT_NOT_MET, "the desk's price 2001 is above the limit",
        mark=2_000 * ONE, desk_quote=2_001 * ONE, amm_reference=4_020 * 10**6, now=NOW,
    )  # fmt: skip
    state.journal.note_traces({digest: trace})
    shown = get(client, digest)["trace"]
    assert shown["action"] == "rest" and shown["reason"]["code"] == "limit_not_met"
    assert shown["deskQuote"] == str(2_001 * ONE) and shown["ammReference"] == str(4_020 * 10**6)
    assert shown["internalSize"] == "0" and shown["time"] == NOW and shown["decision"] is None
