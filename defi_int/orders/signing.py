"""Signing and strict recovery of orders with eth-account (coincurve underneath when installed).

Signatures are 65 bytes ``r ‖ s ‖ v`` with low s and v in {27, 28}, exactly what
``SignatureLib.recover`` accepts; ``recover_signer`` refuses everything it would refuse.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import Signature
from eth_keys.exceptions import BadSignature
from eth_typing import Hash32

from defi_int.exceptions import OrderRejected
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Order

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_ORDER = SECP256K1_N // 2


def sign_digest(account: LocalAccount, digest: bytes) -> bytes:
    """65-byte signature of ``digest`` (eth-account already produces low s and v in {27, 28})."""
    signed = account.unsafe_sign_hash(Hash32(digest))
    return bytes(signed.signature)


def sign_order(account: LocalAccount, order: Order, domain: Domain) -> bytes:
    """Signs ``order`` for ``domain``; the account must be the order's trader."""
    if account.address.lower() != order.trader.lower():
        raise OrderRejected("wrong-signer", f"account {account.address} cannot sign for trader {order.trader}")
    return sign_digest(account, order_digest(order, domain))


def recover_signer(digest: bytes, signature: bytes) -> str:
    """The signer of ``digest``, with the contract's checks; raises ``OrderRejected`` otherwise."""
    if len(signature) != 65:
        raise OrderRejected("bad-signature-length", f"signature is {len(signature)} bytes, not 65", digest)
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if s > HALF_ORDER:
        raise OrderRejected("high-s", "signature s is in the upper half of the curve order (malleable twin)", digest)
    if v not in (27, 28):
        raise OrderRejected("bad-v", f"signature v is {v}, not 27 or 28", digest)
    try:
        r = int.from_bytes(signature[:32], "big")
        public_key = Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
        return str(public_key.to_checksum_address())
    except (BadSignature, ValueError) as exc:
        raise OrderRejected("bad-signature", f"signature does not recover: {exc}", digest) from exc
