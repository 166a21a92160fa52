"""The off-chain cancel: an EIP-712 message the order's trader signs, in the orders' own domain.

::

    CancelOrder(bytes32 order,uint64 deadline)

- ``order`` is the EIP-712 digest of the order to cancel. It already binds the trader, the nonce,
  the chain and the Settlement contract, so a cancel signature fits exactly one order on exactly
  one deployment.
- ``deadline`` (unix seconds) bounds how long the signature may be used: a cancel is refused after
  it, and a deadline further ahead than the API's ``max_cancel_window`` is refused too, so a
  signature caught in transit cannot be held back and used much later.
- The domain is the orders' (``name = "DefiInt"``, ``version = "1"``, ``chainId``,
  ``verifyingContract`` = Settlement): wallets show it as the same application; the contract never
  sees this type, and its type hash differs from ``Order``'s, so a cancel can never pass as an
  order or the other way round.
- Replays are harmless: cancelling is a one-way change in the journal, and a repeat of a cancel
  that went through is answered with the same result.

An off-chain cancel stops this keeper from settling the order; ``Settlement.cancel`` on chain
stops every keeper (the loop closes the order in the journal when it sees the event). An order in
a settle transaction in flight cannot be cancelled off-chain until that transaction is final.
"""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from defi_int.orders.eip712 import DOMAIN_FIELDS, Domain
from defi_int.orders.signing import sign_digest

CANCEL_TYPE = "CancelOrder(bytes32 order,uint64 deadline)"
CANCEL_TYPEHASH = keccak(text=CANCEL_TYPE)


def cancel_digest(order_digest: bytes, deadline: int, domain: Domain) -> bytes:
    """The 32 bytes a wallet signs to cancel the order ``order_digest`` until ``deadline``."""
    struct = keccak(encode(["bytes32", "bytes32", "uint64"], [CANCEL_TYPEHASH, order_digest, deadline]))
    return keccak(b"\x19\x01" + domain.separator + struct)


def sign_cancel(account: LocalAccount, order_digest: bytes, deadline: int, domain: Domain) -> bytes:
    """The trader's 65-byte signature of a cancel (what a wallet's ``signTypedData`` gives)."""
    return sign_digest(account, cancel_digest(order_digest, deadline, domain))


def cancel_typed_data(order_digest: bytes, deadline: int, domain: Domain) -> dict[str, Any]:
    """The full EIP-712 payload for ``eth_signTypedData_v4`` / ethers ``signTypedData``."""
    return {
        "types": {
            "EIP712Domain": list(DOMAIN_FIELDS),
            "CancelOrder": [
                {"name": "order", "type": "bytes32"},
                {"name": "deadline", "type": "uint64"},
            ],
        },
        "primaryType": "CancelOrder",
        "domain": domain.as_dict(),
        "message": {"order": "0x" + order_digest.hex(), "deadline": deadline},
    }
