"""Order refuses, as OrderRejected("malformed"), anything the ABI could not encode as the signed struct."""

import pytest

from defi_int.exceptions import OrderRejected
from defi_int.orders.eip712 import struct_hash
from defi_int.orders.model import ORDER_FIELDS, Fill, Order

TRADER = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
VALID = {
    "trader": TRADER,
    "market": 0,
    "is_buy": True,
    "size": 10**18,
    "limit_price": 2_000 * 10**18,
    "expiry": 1_800_000_000,
    "nonce": 1,
    "max_fee_bps": 30,
    "allow_amm": False,
}


def order(**overrides):
    return Order(**{**VALID, **overrides})


def assert_malformed(**overrides):
    with pytest.raises(OrderRejected) as info:
        order(**overrides)
    assert info.value.reason == "malformed"
    assert info.value.digest is None
    return info.value


def test_a_valid_order_keeps_its_fields_in_abi_order():
    o = order()
    assert tuple(VALID) == ORDER_FIELDS
    assert o.as_tuple() == tuple(VALID.values())


def test_as_message_uses_the_solidity_field_names_and_round_trips():
    o = order()
    message = o.as_message()
    assert list(message) == [
        "trader",
        "market",
        "isBuy",
        "size",
        "limitPrice",
        "expiry",
        "nonce",
        "maxFeeBps",
        "allowAmm",
    ]
    assert Order.from_message(message) == o


@pytest.mark.parametrize(
    "trader",
    [
        TRADER[2:],  # no 0x
        TRADER[:-1],  # 19.5 bytes
        TRADER + "0",  # 20.5 bytes
        "0x" + "g" * 40,  # not hex
        "0X" + TRADER[2:],  # upper-case prefix
        " " + TRADER[:-1],  # leading blank
        "",
        None,
        int(TRADER, 16),
        bytes.fromhex(TRADER[2:]),
    ],
    ids=["no-prefix", "short", "long", "not-hex", "upper-prefix", "leading-blank", "empty", "none", "int", "bytes"],
)
def test_a_bad_trader_address_is_malformed(trader):
    exc = assert_malformed(trader=trader)
    assert "trader" in exc.detail


@pytest.mark.parametrize(
    "trader",
    ["0x" + "1_" * 19 + "11", "0x" + "1" * 39 + " ", "0x" + "\u0661" * 40],
    ids=["underscores", "trailing-blank", "arabic-indic-digits"],
)
def test_a_trader_that_int_parses_but_is_not_hex_is_malformed(trader):
    assert_malformed(trader=trader)


def test_a_mixed_case_trader_with_a_wrong_checksum_is_malformed():
    assert_malformed(trader="0x5b38Da6a701c568545dCfcB03FcB875f56beddC4")  # TRADER with its first letter lowered


def test_the_address_forms_eth_abi_accepts_are_well_formed_and_hash():
    for trader in (TRADER, TRADER.lower(), "0x" + TRADER[2:].upper()):
        assert len(struct_hash(order(trader=trader))) == 32


UINT_BITS = {"market": 32, "size": 128, "limit_price": 128, "expiry": 64, "nonce": 256, "max_fee_bps": 16}


@pytest.mark.parametrize("field", sorted(UINT_BITS))
def test_a_uint_field_one_past_its_width_is_malformed(field):
    exc = assert_malformed(**{field: 2 ** UINT_BITS[field]})
    assert f"uint{UINT_BITS[field]}" in exc.detail


@pytest.mark.parametrize("field", sorted(UINT_BITS))
def test_a_negative_uint_field_is_malformed(field):
    assert_malformed(**{field: -1})


@pytest.mark.parametrize("field", sorted(UINT_BITS))
def test_a_uint_field_at_its_largest_value_is_well_formed(field):
    o = order(**{field: 2 ** UINT_BITS[field] - 1})
    assert getattr(o, field) == 2 ** UINT_BITS[field] - 1
    assert len(struct_hash(o)) == 32


@pytest.mark.parametrize("field", sorted(UINT_BITS))
@pytest.mark.parametrize("value", [True, 1.0, "1", None], ids=["bool", "float", "str", "none"])
def test_a_uint_field_that_is_not_an_int_is_malformed(field, value):
    exc = assert_malformed(**{field: value})
    assert field in exc.detail


@pytest.mark.parametrize("field", ["is_buy", "allow_amm"])
@pytest.mark.parametrize("value", [1, 0, "true", None, 1.0], ids=["one", "zero", "str", "none", "float"])
def test_a_flag_that_is_not_a_bool_is_malformed(field, value):
    exc = assert_malformed(**{field: value})
    assert exc.detail == f"{field} must be a bool"


def test_from_message_with_a_missing_field_is_malformed():
    message = order().as_message()
    del message["nonce"]
    with pytest.raises(OrderRejected) as info:
        Order.from_message(message)
    assert info.value.reason == "malformed"
    assert "['nonce']" in info.value.detail


def test_from_message_with_an_extra_field_is_malformed():
    message = {**order().as_message(), "salt": 1}
    with pytest.raises(OrderRejected) as info:
        Order.from_message(message)
    assert info.value.reason == "malformed"
    assert "['salt']" in info.value.detail


def test_from_message_with_python_field_names_is_malformed():
    with pytest.raises(OrderRejected) as info:
        Order.from_message(dict(VALID))
    assert info.value.reason == "malformed"


def test_a_fill_amount_is_both_legs_and_its_tuple_nests_the_order():
    o = order()
    fill = Fill(o, b"\x01" * 65, 3, 2_000 * 10**18, 4, 10)
    assert fill.amount == 7
    assert fill.as_tuple() == (o.as_tuple(), b"\x01" * 65, 3, 2_000 * 10**18, 4, 10)
