"""``defi_int.hashing`` gives eth-utils' keccak-256, byte for byte, and the addresses eth-keys derives."""

from __future__ import annotations

from eth_keys import keys
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from defi_int.hashing import address_of, keccak256


@given(st.binary(max_size=300))
def test_keccak256_is_eth_utils_keccak(data: bytes) -> None:
    assert keccak256(data) == keccak(data)


def test_the_empty_input_hashes_to_the_known_digest() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@given(st.integers(min_value=1, max_value=2**255))
def test_address_of_a_public_key_is_eth_keys_address(secret: int) -> None:
    key = keys.PrivateKey(secret.to_bytes(32, "big"))
    assert address_of(key.public_key.to_bytes()) == key.public_key.to_address()
