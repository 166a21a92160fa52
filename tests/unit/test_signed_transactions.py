"""Signed transactions without web3: byte-identical to eth-account's, decoded back with their sender."""

from __future__ import annotations

import pytest
import rlp
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from defi_int.chain.transactions import SECP256K1_N, decode_transaction, floor_gas, intrinsic_gas, rlp_encode, sign

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
SENDER = Account.from_key(KEY).address


@given(
    nonce=st.integers(0, 2**64 - 1),
    gas=st.integers(21_000, 30_000_000),
    value=st.integers(0, 10**24),
    data=st.binary(max_size=300),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)),
)
def test_a_signed_transaction_is_byte_identical_to_eth_accounts_and_decodes_back(nonce, gas, value, data, to):
    address = None if to is None else to_checksum_address(to)
    fields = {"chainId": 31337, "nonce": nonce, "gas": gas, "maxFeePerGas": 50 * 10**9}
    fields |= {"maxPriorityFeePerGas": 10, "value": value, "data": data, "to": address or ""}

    raw, tx_hash = sign(
        KEY,
        chain_id=31337,
        nonce=nonce,
        gas=gas,
        max_fee=50 * 10**9,
        priority_fee=10,
        to=address,
        data=data,
        value=value,
    )
    expected = Account.sign_transaction(fields, KEY)
    decoded = decode_transaction(raw)

    assert raw == bytes(expected.raw_transaction) and tx_hash == bytes(expected.hash)
    assert decoded.sender == SENDER.lower() and decoded.hash == tx_hash
    assert (decoded.nonce, decoded.gas, decoded.value, decoded.data) == (nonce, gas, value, data)
    assert decoded.to == (address.lower() if address else None)
    assert (decoded.chain_id, decoded.max_fee, decoded.priority_fee, decoded.type) == (31337, 50 * 10**9, 10, 2)


def test_a_legacy_transaction_decodes_with_its_sender_and_chain_id():
    tx = {"chainId": 5, "nonce": 3, "gas": 50_000, "gasPrice": 7, "to": SENDER, "value": 1, "data": b"\x01"}
    raw = bytes(Account.sign_transaction(tx, KEY).raw_transaction)

    decoded = decode_transaction(raw)

    assert (decoded.sender, decoded.chain_id, decoded.max_fee, decoded.type) == (SENDER.lower(), 5, 7, 0)


def test_a_signature_with_a_high_s_is_refused():
    raw, _ = sign(KEY, chain_id=1, nonce=0, gas=21_000, max_fee=1, priority_fee=0, to=SENDER, data=b"")
    fields = rlp.decode(raw[1:])
    s = int.from_bytes(fields[-1], "big")
    fields[-1] = SECP256K1_N - s
    fields[-3] = 1 - int.from_bytes(fields[-3], "big") if fields[-3] else 1
    malleated = b"\x02" + rlp.encode(fields)

    with pytest.raises(ValueError, match="lower half"):
        decode_transaction(malleated)


def test_intrinsic_gas_and_the_calldata_floor_count_zero_and_other_bytes():
    data = b"\x00" * 10 + b"\x01" * 5

    assert intrinsic_gas(data, create=False) == 21_000 + 10 * 4 + 5 * 16
    assert intrinsic_gas(data, create=True) == 21_000 + 10 * 4 + 5 * 16 + 32_000 + 2 * 1
    assert floor_gas(data) == 21_000 + 10 * (10 + 4 * 5)


_RLP_ITEMS = st.recursive(
    st.one_of(st.integers(0, 2**300), st.binary(max_size=80)),
    lambda inner: st.lists(inner, max_size=6),
    max_leaves=30,
)


@given(_RLP_ITEMS)
def test_the_rlp_encoder_gives_the_rlp_librarys_bytes(item):
    assert rlp_encode(item) == rlp.encode(item)
