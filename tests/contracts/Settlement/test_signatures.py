"""Signatures: 65 bytes r ‖ s ‖ v, low s only, v in {27, 28}, recovering to the order's trader."""

import pytest
from eth_keys import keys

from defi_int.orders.signing import SECP256K1_N, recover_signer, sign_digest
from defi_int.types import ONE


def _split(signature):
    return signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]


def test_settle_rejects_an_order_signed_by_someone_other_than_its_trader(defi_traders, defi_orders, expect_rejection):
    trader, forger = defi_traders[0], defi_traders[1]
    order = defi_orders.order(trader)
    digest = defi_orders.digest(order)
    fill = defi_orders.fill(trader, order, signature=sign_digest(forger, digest))

    expect_rejection(fill, "InvalidSigner", digest=digest, signer=forger.address, trader=trader.address)


def test_settle_rejects_a_signature_over_different_order_terms(defi_traders, defi_orders, expect_rejection):
    # The trader signed for 1 base; the keeper submits the same signature on a 2-base order.
    trader = defi_traders[0]
    signed = defi_orders.order(trader, size=ONE)
    tampered = defi_orders.order(trader, size=2 * ONE, nonce=signed.nonce, expiry=signed.expiry)
    fill = defi_orders.fill(trader, tampered, signature=defi_orders.sign(trader, signed))

    revert = expect_rejection(fill, "InvalidSigner", digest=defi_orders.digest(tampered), trader=trader.address)
    assert revert.args_by_name["signer"].lower() != trader.address.lower()


def test_settle_rejects_the_high_s_twin_of_a_valid_signature(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    r, s, v = _split(defi_orders.sign(trader, order))
    twin_s, twin_v = SECP256K1_N - s, 55 - v  # 27 <-> 28
    twin = r + twin_s.to_bytes(32, "big") + bytes([twin_v])
    # The twin is a valid ECDSA signature by the same key: only the low-s rule stops it.
    digest = defi_orders.digest(order)
    recovered = keys.Signature(vrs=(twin_v - 27, int.from_bytes(r, "big"), twin_s)).recover_public_key_from_msg_hash(
        digest
    )
    assert recovered.to_checksum_address() == trader.address

    expect_rejection(defi_orders.fill(trader, order, signature=twin), "InvalidSignatureS", s=twin_s.to_bytes(32, "big"))


@pytest.mark.parametrize("entry", ["abi"])  # the packed batch encodes v in one bit
@pytest.mark.parametrize("v", [0, 29])
def test_settle_rejects_a_signature_whose_v_is_not_27_or_28(v, defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    signature = defi_orders.sign(trader, order)[:64] + bytes([v])

    expect_rejection(defi_orders.fill(trader, order, signature=signature), "InvalidSignatureV", v=v)


@pytest.mark.parametrize("entry", ["abi"])  # the packed batch has room for exactly 65 bytes
@pytest.mark.parametrize("length", [64, 66])
def test_settle_rejects_a_signature_that_is_not_65_bytes(length, defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    signature = (defi_orders.sign(trader, order) + b"\x00")[:length]

    expect_rejection(defi_orders.fill(trader, order, signature=signature), "InvalidSignatureLength", length=length)


def test_settle_rejects_a_signature_that_recovers_no_address(defi_traders, defi_orders, expect_rejection):
    trader = defi_traders[0]
    order = defi_orders.order(trader)
    garbage = bytes(32) + (1).to_bytes(32, "big") + bytes([27])  # r = 0: ecrecover finds no key

    expect_rejection(
        defi_orders.fill(trader, order, signature=garbage),
        "InvalidSigner",
        signer="0x0000000000000000000000000000000000000000",
        trader=trader.address,
    )


def test_a_valid_signature_recovers_the_trader_both_on_and_off_chain(defi_system, defi_traders, defi_orders):
    trader = defi_traders[0]
    fill = defi_orders.fill(trader)
    assert recover_signer(defi_orders.digest(fill.order), fill.signature) == trader.address
    defi_orders.settle([fill])
    assert defi_system.chain.call(defi_system.settlement.functions.nonceState(trader.address, fill.order.nonce)) == 2
