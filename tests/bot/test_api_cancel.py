"""POST /v1/orders/{digest}/cancel: the trader's EIP-712 CancelOrder, once, never while in flight."""

from __future__ import annotations

from botkit import DOMAIN, NOW, leg, planned, tx

from defi_int.bot.cancel import cancel_digest, cancel_typed_data, sign_cancel
from defi_int.orders.eip712 import Domain
from defi_int.types import ONE


def post(client, orders, who, **fields) -> bytes:
    response = client.post("/v1/orders", json=orders.body(who, **fields))
    assert response.status_code == 201
    return bytes.fromhex(response.json()["digest"][2:])


def cancel(client, digest: bytes, who, deadline: int = NOW + 600, domain: Domain = DOMAIN):
    signature = sign_cancel(who, digest, deadline, domain)
    return client.post(
        f"/v1/orders/0x{digest.hex()}/cancel", json={"deadline": str(deadline), "signature": "0x" + signature.hex()}
    )


def test_a_wallets_typed_data_signature_of_the_cancel_is_the_one_the_api_checks(alice):
    digest, deadline = b"\x11" * 32, NOW + 60
    wallet = alice.sign_typed_data(full_message=cancel_typed_data(digest, deadline, DOMAIN))

    assert bytes(wallet.signature) == sign_cancel(alice, digest, deadline, DOMAIN)  # RFC 6979: same digest
    assert cancel_digest(digest, deadline, DOMAIN) != cancel_digest(digest, deadline + 1, DOMAIN)


def test_the_trader_cancels_a_resting_order_and_a_repeat_gets_the_same_answer(client, state, orders, alice):
    digest = post(client, orders, alice)

    first = cancel(client, digest, alice)
    again = cancel(client, digest, alice)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"digest": "0x" + digest.hex(), "status": "cancelled"}
    assert [e.event for e in state.journal.order_history(digest)] == ["accepted", "cancelled"]


def test_someone_else_cannot_cancel_an_order(client, state, orders, alice, bob):
    digest = post(client, orders, alice)

    response = cancel(client, digest, bob)

    assert response.status_code == 422 and response.json()["code"] == "bad_signature"
    assert state.journal.get_order(digest).status == "resting"


def test_a_cancel_signed_for_one_order_or_deployment_does_not_cancel_another(client, state, orders, alice):
    first, second = post(client, orders, alice), post(client, orders, alice)
    signature = sign_cancel(alice, first, NOW + 600, DOMAIN)
    other_chain = sign_cancel(alice, second, NOW + 600, Domain(1, DOMAIN.verifying_contract))

    for sig in (signature, other_chain):
        response = client.post(
            f"/v1/orders/0x{second.hex()}/cancel", json={"deadline": str(NOW + 600), "signature": "0x" + sig.hex()}
        )
        assert response.json()["code"] == "bad_signature"
    assert state.journal.get_order(second).status == "resting"


def test_a_cancel_past_its_deadline_or_too_far_ahead_is_refused(client, orders, alice, state):
    digest = post(client, orders, alice)

    assert cancel(client, digest, alice, deadline=NOW - 1).json()["code"] == "expired"
    window = state.config.limits.max_cancel_window
    response = cancel(client, digest, alice, deadline=NOW + window + 1)
    assert response.json()["code"] == "malformed" and "at most" in response.json()["message"]


def test_an_order_in_a_settle_in_flight_is_cancelled_only_once_that_settle_is_final(client, state, orders, alice):
    digest = post(client, orders, alice)
    journal = state.journal
    settle = journal.plan_settle("b1", [planned(digest, ONE)])
    journal.sign_settle(settle.id, tx(1))
    journal.mark_sent(settle.id, tx(1).tx_hash)

    refused = cancel(client, digest, alice)
    assert refused.status_code == 409 and refused.json()["code"] == "in_flight"
    assert tx(1).tx_hash.hex() in refused.json()["message"]

    journal.mark_mined(
        settle.id, tx(1).tx_hash, block_number=5, block_hash=b"\x05" * 32, block_time=NOW, status=1,
        gas_used=1, legs=[leg(digest, ONE)],
    )  # fmt: skip
    assert cancel(client, digest, alice).json()["code"] == "in_flight"  # mined is not final
    journal.mark_confirmed(settle.id, 3)

    response = cancel(client, digest, alice)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    record = journal.get_order(digest)
    assert record.filled == ONE and record.status == "cancelled"


def test_a_filled_order_is_not_cancellable(client, state, orders, alice):
    digest = post(client, orders, alice)
    journal = state.journal
    settle = journal.plan_settle("b1", [planned(digest)])
    journal.sign_settle(settle.id, tx(1))
    journal.mark_mined(
        settle.id, tx(1).tx_hash, block_number=5, block_hash=b"\x05" * 32, block_time=NOW, status=1,
        gas_used=1, legs=[leg(digest)],
    )  # fmt: skip
    journal.mark_confirmed(settle.id, 3)

    response = cancel(client, digest, alice)

    assert response.status_code == 409 and response.json()["code"] == "not_cancellable"
    assert "filled" in response.json()["message"]


def test_cancelling_an_unknown_order_is_not_found(client, alice):
    assert cancel(client, b"\x01" * 32, alice).json()["code"] == "not_found"
