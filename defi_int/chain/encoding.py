"""The packed calldata of ``Settlement.settleCompact``: each fill in 214 bytes, no ABI padding.

``settle(Fill[])`` ABI-encodes a fill in ~610 bytes (nine order words, an offset, four fill
words, a length and a padded signature); packed, the same fill is 214 bytes, which saves about
1,600 gas of calldata per fill. The layout (big-endian, documented on ``ISettlement``)::

    trader 20 | market 4 | flags 1 (bit 0 isBuy, bit 1 allowAmm) | size 16 | limitPrice 16 |
    expiry 8 | nonce 32 | maxFeeBps 2 | internalSize 16 | internalPrice 16 | ammSize 16 |
    feeBps 2 | r 32 | s 32 | v 1

Values are range-checked here (``Order`` already checks its own fields), so a fill that cannot be
packed is refused with ``OrderRejected("malformed")`` before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from defi_int.exceptions import OrderRejected
from defi_int.orders.model import Fill

#: Bytes per fill (``Settlement.FILL_BYTES``).
FILL_BYTES = 214
_FILL_FIELDS = {"internal_size": 16, "internal_price": 16, "amm_size": 16, "fee_bps": 2}


def pack_fill(fill: Fill) -> bytes:
    """One fill's 214 bytes."""
    order = fill.order
    for name, width in _FILL_FIELDS.items():
        value = getattr(fill, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** (8 * width):
            raise OrderRejected("malformed", f"fill {name}={value!r} does not fit uint{8 * width}")
    signature = bytes(fill.signature)
    if len(signature) != 65:
        # settle(Fill[]) would let the chain refuse it with InvalidSignatureLength; here it cannot be packed.
        raise OrderRejected("malformed", f"signature is {len(signature)} bytes, the packed batch needs 65")
    flags = int(order.is_buy) | (int(order.allow_amm) << 1)
    return b"".join(
        (
            bytes.fromhex(order.trader[2:]),
            order.market.to_bytes(4, "big"),
            bytes((flags,)),
            order.size.to_bytes(16, "big"),
            order.limit_price.to_bytes(16, "big"),
            order.expiry.to_bytes(8, "big"),
            order.nonce.to_bytes(32, "big"),
            order.max_fee_bps.to_bytes(2, "big"),
            fill.internal_size.to_bytes(16, "big"),
            fill.internal_price.to_bytes(16, "big"),
            fill.amm_size.to_bytes(16, "big"),
            fill.fee_bps.to_bytes(2, "big"),
            signature,
        )
    )


def pack_fills(fills: Sequence[Fill]) -> bytes:
    """The ``packed`` argument of ``settleCompact`` for ``fills``, in order."""
    return b"".join(pack_fill(f) for f in fills)
