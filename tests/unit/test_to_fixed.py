"""to_fixed turns a decimal a person wrote into 1e18 fixed point exactly, or refuses it."""

import pytest

from defi_int.types import ONE, to_fixed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", 1_500_000_000_000_000_000),
        (2, 2 * ONE),
        ("0", 0),
        (0, 0),
        ("0.000000000000000001", 1),
        ("1e-18", 1),
        ("2000", 2_000 * ONE),
        ("2e3", 2_000 * ONE),
        ("-1.25", -1_250_000_000_000_000_000),
    ],
)
def test_to_fixed_converts_exactly(value, expected):
    assert to_fixed(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.1, 100_000_000_000_000_000), (1.1, 1_100_000_000_000_000_000), (2000.5, 2_000_500_000_000_000_000_000)],
)
def test_a_float_is_read_through_its_shortest_repr_not_its_binary_value(value, expected):
    assert to_fixed(value) == expected


@pytest.mark.parametrize("value", ["0.0000000000000000001", "1.0000000000000000001", 1e-19, "1e-19"])
def test_more_than_18_decimals_raises_value_error(value):
    with pytest.raises(ValueError, match="more than 18 decimals"):
        to_fixed(value)


def test_a_value_with_18_decimals_and_ten_integer_digits_is_exact():
    assert to_fixed("1234567890.123456789012345678") == 1_234_567_890_123_456_789_012_345_678


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12345678901.123456789012345678", 12_345_678_901_123_456_789_012_345_678),
        (123456789012345678901234567890, 123456789012345678901234567890 * ONE),
    ],
    ids=["29-significant-digits", "30-digit-integer"],
)
def test_to_fixed_stays_exact_beyond_28_significant_digits(value, expected):
    assert to_fixed(value) == expected


def test_to_fixed_refuses_a_19th_decimal_on_a_large_value():
    with pytest.raises(ValueError):
        to_fixed("10000000000.0000000000000000001")
