"""Units as types. Amounts that go on chain are ints in their fixed-point unit, never floats.

- ``BaseUnits``: position sizes, 1e18 fixed point (1.5 ETH = 1_500_000_000_000_000_000).
- ``Price``: USD per one base unit, 1e18 fixed point.
- ``Collateral``: collateral token units (6 decimals by default: 1 USDC = 1_000_000).
- ``Bps``: basis points, 1/10000.
- ``Wei``: native currency for gas.
- ``MarketId``: the uint32 market identifier.
"""

from __future__ import annotations

from typing import NewType

BaseUnits = NewType("BaseUnits", int)
Price = NewType("Price", int)
Collateral = NewType("Collateral", int)
Bps = NewType("Bps", int)
Wei = NewType("Wei", int)
MarketId = NewType("MarketId", int)
Address = NewType("Address", str)

ONE = 10**18
BPS = 10_000


def to_fixed(value: str | int | float) -> int:
    """Converts a decimal written by a person ("1.5", 2) into 1e18 fixed point, exactly.

    Raises ValueError for anything else: not a number, not finite, more than 18 decimals, or
    more than 200 digits before the point (no amount on chain comes near; it keeps the conversion cheap).
    """
    from decimal import Context, Decimal, InvalidOperation

    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if number and number.adjusted() > 200:
        raise ValueError(f"{value!r} is too large")
    if number and number.adjusted() < -18:
        raise ValueError(f"{value!r} has more than 18 decimals")
    scaled = number.scaleb(18, context=Context(prec=300))
    if scaled != scaled.to_integral_value(context=Context(prec=300)):
        raise ValueError(f"{value!r} has more than 18 decimals")
    return int(scaled)
