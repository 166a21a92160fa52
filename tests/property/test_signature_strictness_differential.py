"""recover_signer refuses exactly what SignatureLib refuses, in the same order: length, then s, then v.

Python side: ``defi_int.orders.signing.recover_signer`` raises ``OrderRejected`` with a reason code.
Chain side: ``Settlement.settle`` of a fill carrying the same signature reverts with the custom error
the reason names its custom error (``Reason.errors``: (``InvalidSignatureLength``/``S``/``V``, ``InvalidSigner``).
The settle is sent as a call from the keeper, so nothing is written and the fixtures stay reusable.
"""

import pytest
from eth_account import Account
from eth_keys import keys
from hypothesis import given, settings
from hypothesis import strategies as st

from defi_int.exceptions import ContractRevert, OrderRejected
from defi_int.orders.signing import HALF_ORDER, SECP256K1_N, recover_signer, sign_digest
from defi_int.reasons import Reason

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def split(sig: bytes) -> tuple[int, int, int]:
    return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]


def join(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def high_s_twin(sig: bytes) -> bytes:
    """The malleable twin: same r, s' = n - s, v flipped; it recovers the same key."""
    r, s, v = split(sig)
    return join(r, SECP256K1_N - s, 55 - v)


def python_verdict(digest: bytes, sig: bytes) -> tuple[str, object]:
    try:
        return ("signer", recover_signer(digest, sig).lower())
    except OrderRejected as exc:
        return ("rejected", exc.reason)


# ------------------------------------------------------------------------------------------- Python side

private_keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
digests = st.binary(min_size=32, max_size=32)


@settings(max_examples=60)
@given(key=private_keys, digest=digests)
def test_a_wallet_signature_is_low_s_with_v_27_or_28_and_recovers_its_signer(key, digest):
    account = Account.from_key(key)
    sig = sign_digest(account, digest)
    _, s, v = split(sig)
    assert len(sig) == 65 and s <= HALF_ORDER and v in (27, 28)
    assert recover_signer(digest, sig) == account.address


@settings(max_examples=60)
@given(key=private_keys, digest=digests)
def test_the_high_s_twin_recovers_the_same_key_yet_is_refused(key, digest):
    account = Account.from_key(key)
    twin = high_s_twin(sign_digest(account, digest))
    r, s, v = split(twin)
    assert keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest).to_checksum_address() == (
        account.address
    )
    with pytest.raises(OrderRejected) as info:
        recover_signer(digest, twin)
    assert info.value.reason == "bad_signature_s"
    assert info.value.digest == digest


@settings(max_examples=60)
@given(key=private_keys, digest=digests, v=st.integers(0, 255))
def test_every_v_but_27_and_28_is_refused(key, digest, v):
    r, s, _ = split(sign_digest(Account.from_key(key), digest))
    verdict = python_verdict(digest, join(r, s, v))
    if v in (27, 28):
        assert verdict[0] == "signer"
    else:
        assert verdict == ("rejected", "bad_signature_v")


@settings(max_examples=60)
@given(digest=digests, sig=st.binary(max_size=200).filter(lambda b: len(b) != 65))
def test_every_length_but_65_is_refused_before_anything_else(digest, sig):
    assert python_verdict(digest, sig) == ("rejected", "bad_signature_length")


def test_a_signature_both_high_s_and_bad_v_is_refused_for_its_s_first():
    digest = b"\x42" * 32
    r, s, _ = split(high_s_twin(sign_digest(Account.from_key((7).to_bytes(32, "big")), digest)))
    assert s > HALF_ORDER
    assert python_verdict(digest, join(r, s, 0)) == ("rejected", "bad_signature_s")


# -------------------------------------------------------------------------------------- differential


def _cases(order_digest: bytes, good: bytes, other: bytes) -> dict[str, bytes]:
    r, s, v = split(good)
    return {
        "valid": good,
        "high-s twin": high_s_twin(good),
        "s = n/2 + 1": join(r, HALF_ORDER + 1, v),
        "v = 0": join(r, s, 0),
        "v = 1": join(r, s, 1),
        "v = 26": join(r, s, 26),
        "v = 29": join(r, s, 29),
        "v = 255": join(r, s, 255),
        "v flipped": join(r, s, 55 - v),
        "high s and bad v": join(r, SECP256K1_N - s, 0),
        "64 bytes": good[:64],
        "66 bytes": good + b"\x00",
        "empty": b"",
        "130 bytes": good + good,
        "r = 0": join(0, s, v),
        "s = 0": join(r, 0, v),
        "r >= n": join(SECP256K1_N, s, v),
        "another signer": other,
    }


CASE_NAMES = list(_cases(b"\x00" * 32, join(1, 1, 27), join(1, 1, 27)))


@pytest.mark.parametrize("case", CASE_NAMES)
def test_settle_and_recover_signer_agree_on_the_signature(defi_system, defi_orders, defi_traders, case):
    trader, stranger = defi_traders[0], defi_traders[1]
    order = defi_orders.order(trader)
    digest = defi_orders.digest(order)
    sig = _cases(digest, defi_orders.sign(trader, order), sign_digest(stranger, digest))[case]
    fill = defi_orders.fill(trader, order, signature=sig)

    verdict = python_verdict(digest, sig)
    settle = defi_system.settlement.functions.settle([fill.as_tuple()])
    try:
        defi_system.chain.call(settle, sender=defi_system.keeper.address)
    except ContractRevert as exc:
        chain_error, chain_args = exc.error_name, exc.args_by_name
    else:
        chain_error, chain_args = None, {}

    if case == "valid":
        assert verdict == ("signer", trader.address.lower())
        assert chain_error is None
        return
    if verdict[0] == "signer":  # a well-formed signature of someone else: the chain names that someone
        assert verdict[1] != trader.address.lower()
        assert chain_error == "InvalidSigner"
        assert chain_args == {"digest": digest, "signer": verdict[1], "trader": trader.address.lower()}
        return
    reason = verdict[1]
    assert chain_error in Reason.of_code(reason).errors
    v = sig[64] if len(sig) == 65 else None
    expected_args = {
        "bad_signature_length": {"length": len(sig)},
        "bad_signature_s": {"s": sig[32:64]},
        "bad_signature_v": {"v": v},
        "bad_signature": {"digest": digest, "signer": ZERO_ADDRESS, "trader": trader.address.lower()},
    }[reason]
    assert chain_args == expected_args


def test_the_cases_cover_every_python_reason(defi_orders, defi_traders):
    trader, stranger = defi_traders[0], defi_traders[1]
    order = defi_orders.order(trader)
    digest = defi_orders.digest(order)
    cases = _cases(digest, defi_orders.sign(trader, order), sign_digest(stranger, digest))
    reasons = {python_verdict(digest, sig)[1] for sig in cases.values() if python_verdict(digest, sig)[0] == "rejected"}
    assert reasons == {"bad_signature_length", "bad_signature_s", "bad_signature_v", "bad_signature"}
