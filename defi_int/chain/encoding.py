"""The packed calldata of ``Settlement.settleCompact``: each fill in ~150 bytes, no ABI padding.

``settle(Fill[])`` ABI-encodes a fill in ~610 bytes (nine order words, an offset, four fill words,
a length and a padded signature); packed, a fill filled whole internally is 150 bytes plus its
nonce's length, which saves about 1,800 gas of calldata per fill. The layout (big-endian, also on
``ISettlement.settleCompact``)::

    trader 20 | market 4 | flags 1 | size 16 | limitPrice 16 | expiry 8 |
    nonceLength 1 | nonce nonceLength (at most 32) | maxFeeBps 2 |
    internalPrice 16                                 (flag bit 3: the whole order internally)
    | internalSize 16 | internalPrice 16 | ammSize 16   (otherwise)
    feeBps 2 | r 32 | s 32

    flags: bit 0 isBuy, bit 1 allowAmm, bit 2 v is 28 (else 27), bit 3 as above

A fill that cannot be packed (a signature that is not 65 bytes with v 27 or 28, a field out of
range) is refused with ``OrderRejected(Reason.MALFORMED)`` before anything is sent; ``settle(Fill[])``
carries those to the chain, which names the fault. ``unpack_fills`` reads packed fills back (what
``views.settle_fills`` does with a settle transaction's calldata).
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.chain.node import checksum
from defi_int.exceptions import ChainError, OrderRejected
from defi_int.orders.model import Fill, Order
from defi_int.reasons import Reason

_FILL_FIELDS = {"internal_size": 16, "internal_price": 16, "amm_size": 16, "fee_bps": 2}
IS_BUY, ALLOW_AMM, V_IS_28, WHOLE_INTERNAL = 1, 2, 4, 8


def pack_fill(fill: Fill) -> bytes:
    """One fill, packed."""
    order = fill.order
    for name, width in _FILL_FIELDS.items():
        value = getattr(fill, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** (8 * width):
            raise OrderRejected(Reason.MALFORMED, f"fill {name}={value!r} does not fit uint{8 * width}")
    signature = bytes(fill.signature)
    if len(signature) != 65 or signature[64] not in (27, 28):
        raise OrderRejected(Reason.MALFORMED, "a packed fill carries a 65-byte signature with v 27 or 28")
    whole = fill.internal_size == order.size and fill.amm_size == 0
    flags = (
        (IS_BUY if order.is_buy else 0)
        | (ALLOW_AMM if order.allow_amm else 0)
        | (V_IS_28 if signature[64] == 28 else 0)
        | (WHOLE_INTERNAL if whole else 0)
    )
    nonce = order.nonce.to_bytes(32, "big").lstrip(b"\0")
    if whole:
        legs = fill.internal_price.to_bytes(16, "big")
    else:
        legs = b"".join(v.to_bytes(16, "big") for v in (fill.internal_size, fill.internal_price, fill.amm_size))
    return b"".join(
        (
            bytes.fromhex(order.trader[2:]),
            order.market.to_bytes(4, "big"),
            bytes((flags,)),
            order.size.to_bytes(16, "big"),
            order.limit_price.to_bytes(16, "big"),
            order.expiry.to_bytes(8, "big"),
            bytes((len(nonce),)),
            nonce,
            order.max_fee_bps.to_bytes(2, "big"),
            legs,
            fill.fee_bps.to_bytes(2, "big"),
            signature[:64],
        )
    )


def pack_fills(fills: Sequence[Fill]) -> bytes:
    """The ``packed`` argument of ``settleCompact`` for ``fills``, in order."""
    return b"".join(pack_fill(f) for f in fills)


def unpack_fills(packed: bytes) -> list[Fill]:
    """The fills ``pack_fills`` packed into ``packed``, in order; ``ChainError`` when it is not such a packing."""
    fills: list[Fill] = []
    at, end = 0, len(packed)

    def take(width: int) -> int:
        nonlocal at
        if at + width > end:
            raise ChainError(f"packed fills cut short at byte {at} of {end}")
        value = int.from_bytes(packed[at : at + width], "big")
        at += width
        return value

    while at < end:
        trader = checksum("0x" + packed[at : at + 20].hex())
        take(20)
        market, flags = take(4), take(1)
        size, limit, expiry = take(16), take(16), take(8)
        nonce = take(take(1))
        max_fee = take(2)
        if flags & WHOLE_INTERNAL:
            internal_size, internal_price, amm_size = size, take(16), 0
        else:
            internal_size, internal_price, amm_size = take(16), take(16), take(16)
        fee_bps, r, s_ = take(2), take(32), take(32)
        v = 28 if flags & V_IS_28 else 27
        order = Order(
            trader, market, bool(flags & IS_BUY), size, limit, expiry, nonce, max_fee, bool(flags & ALLOW_AMM)
        )
        signature = r.to_bytes(32, "big") + s_.to_bytes(32, "big") + bytes((v,))
        fills.append(Fill(order, signature, internal_size, internal_price, amm_size, fee_bps))
    return fills
