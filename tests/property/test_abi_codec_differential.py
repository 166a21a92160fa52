"""The hot path's ABI encoder and decoder give exactly what eth_abi gives, and refuse what it refuses.

Types are drawn from a grammar of elementary types, ``bytes``, ``string``, fixed and dynamic
arrays and nested tuples (the settle batch's ``Fill[]`` among them); values are drawn for each.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import decode, encode
from hypothesis import given
from hypothesis import strategies as st

from defi_int.chain.codec import decode_abi, encode_abi

ELEMENTARY = ["uint8", "uint32", "uint128", "uint256", "int8", "int64", "int256", "bool", "address", "bytes32"]
FILL = "((address,uint32,bool,uint128,uint128,uint64,uint256,uint16,bool),bytes,uint128,uint128,uint128,uint16)[]"


def _types() -> st.SearchStrategy[str]:
    leaves = st.sampled_from([*ELEMENTARY, "bytes", "string", "bytes4"])
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            inner.map(lambda t: t + "[]"),
            st.tuples(inner, st.integers(1, 3)).map(lambda p: f"{p[0]}[{p[1]}]"),
            st.lists(inner, min_size=1, max_size=4).map(lambda ts: "(" + ",".join(ts) + ")"),
        ),
        max_leaves=6,
    )


def _values(abi_type: str) -> st.SearchStrategy[Any]:
    if abi_type.endswith("]"):
        inner, _, size = abi_type[:-1].rpartition("[")
        items = _values(inner)
        return st.lists(items, max_size=3) if not size else st.lists(items, min_size=int(size), max_size=int(size))
    if abi_type.startswith("("):
        depth, parts, start = 0, [], 1
        for i, c in enumerate(abi_type):
            depth += c == "("
            depth -= c == ")"
            if (c == "," and depth == 1) or (c == ")" and depth == 0):
                parts.append(abi_type[start:i])
                start = i + 1
        return st.tuples(*(_values(p) for p in parts))
    if abi_type.startswith("uint"):
        return st.integers(0, 2 ** int(abi_type[4:]) - 1)
    if abi_type.startswith("int"):
        bits = int(abi_type[3:])
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if abi_type == "bool":
        return st.booleans()
    if abi_type == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if abi_type == "string":
        return st.text(max_size=40)
    if abi_type == "bytes":
        return st.binary(max_size=70)
    return st.binary(min_size=int(abi_type[5:]), max_size=int(abi_type[5:]))


@given(
    st.lists(_types(), min_size=1, max_size=4).flatmap(lambda ts: st.tuples(st.just(ts), _values(f"({','.join(ts)})")))
)
def test_encoding_equals_eth_abis_for_any_types_and_values(drawn: tuple[list[str], tuple[Any, ...]]) -> None:
    types, values = drawn

    assert encode_abi(tuple(types), values) == encode(types, values)


@given(
    st.lists(st.sampled_from(ELEMENTARY), min_size=1, max_size=5).flatmap(
        lambda ts: st.tuples(st.just(ts), _values(f"({','.join(ts)})"))
    )
)
def test_decoding_static_words_equals_eth_abis(drawn: tuple[list[str], tuple[Any, ...]]) -> None:
    types, values = drawn
    data = encode(types, values)

    assert decode_abi(tuple(types), data) == decode(types, data)


@given(st.sampled_from(ELEMENTARY).flatmap(lambda t: st.tuples(st.just(t + "[]"), _values(t + "[]"))))
def test_decoding_one_array_of_static_words_equals_eth_abis(drawn: tuple[str, list[Any]]) -> None:
    abi_type, value = drawn
    data = encode([abi_type], [value])

    assert decode_abi((abi_type,), data) == decode([abi_type], data)


def test_a_fill_batch_encodes_as_eth_abi_encodes_it() -> None:
    order = ("0x" + "ab" * 20, 7, True, 10**18, 2_000 * 10**18, 2**40, 2**200, 30, False)
    fills = [(order, b"\x11" * 65, 10**18, 1_999 * 10**18, 0, 2), (order, b"", 0, 0, 5 * 10**17, 0)]

    assert encode_abi((FILL,), (fills,)) == encode([FILL], [fills])


@pytest.mark.parametrize(
    ("abi_type", "value"),
    [
        ("uint8", 256),
        ("uint8", -1),
        ("int8", 128),
        ("bool", 1),
        ("address", "0x1234"),
        ("bytes4", b"12345"),
        ("uint256", True),
        ("bytes", "text"),
    ],
)
def test_a_value_out_of_its_type_is_refused(abi_type: str, value: Any) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        encode_abi((abi_type,), (value,))


def test_an_irregular_word_is_left_to_eth_abi_which_refuses_it() -> None:
    with pytest.raises(Exception, match="Boolean must be either"):
        decode_abi(("bool",), (2).to_bytes(32, "big"))
