"""Intake's checks of one order, the same for the simulator's keeper and the bot's API.

``verify_signature`` (the EIP-712 digest in the deployment's domain, a strict signature by the
trader) and ``check_admissible`` (a market the keeper quotes, a size, not expired at the time of
receipt). ``Keeper.intake`` runs both before its book; the bot's API runs the same two and adds
only what is the API's (the body's domain, the idempotent answer, the rate limit, the journal).
"""

from __future__ import annotations

from collections.abc import Container

from defi_int.exceptions import OrderRejected
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Order
from defi_int.orders.signing import recover_signer
from defi_int.reasons import Reason


def verify_signature(order: Order, signature: bytes, domain: Domain) -> bytes:
    """The order's EIP-712 digest in ``domain``, once its signature is strict and the trader's.

    Raises ``OrderRejected`` with the signature's reason (``bad_signature_length``, ``_s``, ``_v``,
    ``bad_signature``).
    """
    digest = order_digest(order, domain)
    signer = recover_signer(digest, signature)
    if signer.lower() != order.trader.lower():
        raise OrderRejected(Reason.BAD_SIGNATURE, f"signature is by {signer}, not {order.trader}", digest)
    return digest


def check_admissible(order: Order, digest: bytes, *, now: int, markets: Container[int]) -> None:
    """What an order needs at ``now`` to be taken at all: a market the keeper quotes, a size, no expiry.

    Raises ``OrderRejected`` (``unknown_market``, ``empty_order``, ``expired``).
    """
    if order.market not in markets:
        raise OrderRejected(Reason.UNKNOWN_MARKET, f"the keeper does not quote market {order.market}", digest)
    if order.size == 0:
        raise OrderRejected(Reason.EMPTY_ORDER, "the order's size is zero", digest)
    if now > order.expiry:
        raise OrderRejected(Reason.EXPIRED, f"expired at {order.expiry}, received at {now}", digest)
