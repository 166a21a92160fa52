"""``unpack_fills`` reads back exactly what ``pack_fills`` packed (settleCompact's layout), fill by fill."""

from __future__ import annotations

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from defi_int.chain.encoding import pack_fills, unpack_fills
from defi_int.exceptions import ChainError
from defi_int.orders.model import Fill, Order

U128 = st.integers(0, 2**128 - 1)


@st.composite
def fills(draw: st.DrawFn) -> Fill:
    order = Order(
        to_checksum_address(draw(st.binary(min_size=20, max_size=20))),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.booleans()),
        draw(st.integers(1, 2**128 - 1)),
        draw(U128),
        draw(st.integers(0, 2**64 - 1)),
        draw(st.integers(0, 2**256 - 1)),
        draw(st.integers(0, 2**16 - 1)),
        draw(st.booleans()),
    )
    whole = draw(st.booleans())
    internal = order.size if whole else draw(U128)
    amm = 0 if whole else draw(U128)
    signature = draw(st.binary(min_size=64, max_size=64)) + bytes((draw(st.sampled_from([27, 28])),))
    return Fill(order, signature, internal, draw(U128), amm, draw(st.integers(0, 2**16 - 1)))


@given(st.lists(fills(), max_size=6))
def test_unpacking_packed_fills_gives_the_same_fills(batch):
    assert unpack_fills(pack_fills(batch)) == batch


def test_a_truncated_packing_is_refused_naming_where_it_ends():
    order = Order("0x" + "11" * 20, 0, True, 5, 7, 9, 3, 30, True)
    packed = pack_fills([Fill(order, bytes(64) + b"\x1b", 5, 7, 0, 2)])
    with pytest.raises(ChainError, match="cut short at byte"):
        unpack_fills(packed[:-1])
