"""GET /v1/orders/{digest}: the status, the fills as booked, why it has not filled, and the history."""

from __future__ import annotations

from botkit import NOW, desk_snapshot, leg, planned, tx

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
