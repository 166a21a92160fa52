"""POST /v1/orders: a real signed order is journaled once; every bad one gets a 4xx code and a line."""

from __future__ import annotations

import dataclasses

import pytest
from botkit import DOMAIN, KEEPER, NOW, account

from defi_int.bot.config import ApiLimits
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.types import ONE


def refused(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and set(body) == {"code", "message"}
    assert "\n" not in body["message"] and body["message"]
    return body["message"]


def test_a_signed_order_is_accepted_as_resting_and_journaled(client, state, orders, alice):
    order = orders.order(alice)
    response = client.post("/v1/orders", json=orders.body(alice, order))

    assert response.status_code == 201
    digest = order_digest(order, DOMAIN)
    assert response.json() == {"digest": "0x" + digest.hex(), "status": "resting"}
    assert state.journal.get_order(digest).order == order


def test_a_repeat_gets_the_same_answer_and_inserts_nothing(client, state, orders, alice):
    body = orders.body(alice)
    first = client.post("/v1/orders", json=body)
    second = client.post("/v1/orders", json=body)

    assert second.status_code == first.status_code == 201 and second.json() == first.json()
    assert state.journal.status_counts()["resting"] == 1
    assert len(state.journal.order_history(bytes.fromhex(first.json()["digest"][2:]))) == 1


def test_a_lower_case_trader_is_the_same_order(client, orders, alice):
    body = orders.body(alice)
    first = client.post("/v1/orders", json=body)
    body["order"]["trader"] = body["order"]["trader"].lower()

    assert client.post("/v1/orders", json=body).json() == first.json()


def test_a_signature_by_someone_else_is_bad_signature(client, orders, alice, bob):
    body = orders.body(bob, orders.order(alice))

    message = refused(client.post("/v1/orders", json=body), 422, "bad_signature")
    assert bob.address in message and alice.address in message


def test_a_high_s_twin_of_a_good_signature_is_refused_for_its_s(client, orders, alice):
    body = orders.body(alice)
    sig = bytes.fromhex(body["signature"][2:])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = n - int.from_bytes(sig[32:64], "big")
    body["signature"] = "0x" + (sig[:32] + s.to_bytes(32, "big") + bytes([55 - sig[64]])).hex()

    assert "upper half" in refused(client.post("/v1/orders", json=body), 422, "bad_signature_s")


def test_an_order_signed_for_another_chain_is_refused(client, orders, alice):
    other = Domain(1, DOMAIN.verifying_contract)
    body = orders.body(alice, domain=other)

    refused(client.post("/v1/orders", json=body), 422, "bad_signature")
    body["domain"] = {**other.as_dict(), "chainId": 1}
    assert "domain.chainId is 1" in refused(client.post("/v1/orders", json=body), 422, "wrong_domain")


def test_an_expired_order_is_refused(client, orders, alice):
    assert "expired at" in refused(client.post("/v1/orders", json=orders.body(alice, expiry=NOW - 1)), 422, "expired")


def test_an_order_on_an_unlisted_market_is_refused(client, orders, alice):
    refused(client.post("/v1/orders", json=orders.body(alice, market=7)), 422, "unknown_market")


def test_a_second_order_on_a_live_nonce_is_a_duplicate(client, orders, alice):
    client.post("/v1/orders", json=orders.body(alice, nonce=3))

    message = refused(client.post("/v1/orders", json=orders.body(alice, nonce=3, size=5 * ONE)), 409, "duplicate")
    assert "nonce 3" in message


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda b: b["order"].update(size=2 * ONE), "order.size: Input should be a valid string"),
        (lambda b: b["order"].update(size="-1"), "order.size: must be an unsigned integer"),
        (lambda b: b["order"].update(size="01"), "order.size: must be an unsigned integer"),
        (lambda b: b["order"].update(size=str(2**128)), "size=340282366920938463463374607431768211456 does not fit"),
        (lambda b: b["order"].update(isBuy="true"), "order.isBuy: Input should be a valid boolean"),
        (lambda b: b["order"].update(extra="1"), "order.extra: unknown field"),
        (lambda b: b.update(extra=1), "extra: unknown field"),
        (lambda b: b["order"].pop("nonce"), "order.nonce: missing"),
        (lambda b: b.update(signature="0x12"), "signature: must be a 0x-prefixed 65-byte hex signature"),
        (lambda b: b["order"].update(trader="0x" + "Ab" * 20), "wrong EIP-55 checksum"),
    ],
)
def test_a_malformed_body_is_refused_naming_the_field(client, orders, alice, mutate, where):
    body = orders.body(alice)
    mutate(body)

    assert where in refused(client.post("/v1/orders", json=body), 422, "malformed")


def test_a_signed_order_of_size_zero_is_refused(client, orders, alice):
    assert "size is zero" in refused(client.post("/v1/orders", json=orders.body(alice, size=0)), 422, "empty_order")


def test_a_body_that_is_not_json_is_refused(client):
    refused(
        client.post("/v1/orders", content=b"{not json", headers={"content-type": "application/json"}), 422, "malformed"
    )
    refused(
        client.post("/v1/orders", content=b"order=1", headers={"content-type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    refused(client.post("/v1/orders", content=b"", headers={"content-type": "application/json"}), 422, "malformed")


def test_an_oversized_body_is_refused_before_it_is_parsed(client, state, orders, alice):
    body = orders.body(alice)
    body["order"]["padding"] = "x" * state.config.limits.max_body_bytes

    refused(client.post("/v1/orders", json=body), 413, "too_large")
    chunks = (b"[" * 5_000 for _ in range(3))  # streamed: no content-length to trust
    refused(client.post("/v1/orders", content=chunks, headers={"content-type": "application/json"}), 413, "too_large")


@pytest.mark.parametrize("limits", [ApiLimits(orders_per_second=0.001, burst=3)])
def test_a_trader_over_the_rate_limit_is_refused_and_others_are_not(client, orders, alice, bob, limits):
    for _ in range(3):
        assert client.post("/v1/orders", json=orders.body(alice)).status_code == 201

    assert "retry in" in refused(client.post("/v1/orders", json=orders.body(alice)), 429, "rate_limited")
    assert client.post("/v1/orders", json=orders.body(bob)).status_code == 201


@pytest.mark.parametrize("keeper_config", [dataclasses.replace(KEEPER, max_resting_per_trader=2)])
def test_a_trader_at_the_resting_cap_is_refused(client, orders, alice, keeper_config):
    for _ in range(2):
        assert client.post("/v1/orders", json=orders.body(alice)).status_code == 201

    assert "2 live orders" in refused(client.post("/v1/orders", json=orders.body(alice)), 429, "resting_cap")
    assert client.post("/v1/orders", json=orders.body(account(3))).status_code == 201


def test_unknown_routes_and_methods_get_error_bodies(client):
    refused(client.get("/v1/nothing"), 404, "not_found")
    refused(client.delete("/v1/orders"), 405, "method_not_allowed")
