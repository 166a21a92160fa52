"""Order signing and recovery on libsecp256k1 directly give exactly what eth-account gives."""

from __future__ import annotations

from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from defi_int.orders.signing import recover_signer, sign_digest


@given(key=st.binary(min_size=32, max_size=32), digest=st.binary(min_size=32, max_size=32))
def test_sign_digest_is_byte_for_byte_eth_accounts_and_recovers_its_signer(key, digest):
    try:
        account = Account.from_key(key)
    except (ValueError, Exception):
        return  # not a valid secp256k1 key (zero, or past the group order)
    signature = sign_digest(account, digest)
    assert signature == bytes(account.unsafe_sign_hash(digest).signature)
    assert recover_signer(digest, signature) == account.address
