"""Uniswap v2 swap arithmetic with the fee in bps, identical to ``contracts/libraries/AmmMath.sol``.

A pool holds virtual reserves: ``base`` (1e18 base units) and ``quote`` (collateral units). Buying
``size`` base costs ``get_amount_in(size, quote, base, fee)``; selling pays
``get_amount_out(size, base, quote, fee)``. Both round against the trader.
"""

from __future__ import annotations

from dataclasses import dataclass

from defi_int.types import BPS


class AmmMathError(ArithmeticError):
    """The swap is impossible: zero amount, empty reserve, or output not below its reserve."""


def _check_fee(fee_bps: int) -> None:
    if not 0 <= fee_bps < BPS:
        raise AmmMathError(f"FeeTooHigh({fee_bps})")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int) -> int:
    """Output for exactly ``amount_in``, rounded down."""
    if amount_in <= 0:
        raise AmmMathError("InsufficientAmount")
    if reserve_in <= 0 or reserve_out <= 0:
        raise AmmMathError("InsufficientLiquidity")
    _check_fee(fee_bps)
    with_fee = amount_in * (BPS - fee_bps)
    return (with_fee * reserve_out) // (reserve_in * BPS + with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int) -> int:
    """Input needed for exactly ``amount_out``: floor plus one, as Uniswap v2."""
    if amount_out <= 0:
        raise AmmMathError("InsufficientAmount")
    if reserve_in <= 0 or reserve_out <= amount_out:
        raise AmmMathError("InsufficientLiquidity")
    _check_fee(fee_bps)
    return (reserve_in * amount_out * BPS) // ((reserve_out - amount_out) * (BPS - fee_bps)) + 1


@dataclass
class Pool:
    """A mutable mirror of one PerpAmm pool."""

    base: int
    quote: int
    fee_bps: int

    def quote_buy(self, size: int) -> int:
        """Quote paid to buy ``size`` base now."""
        return get_amount_in(size, self.quote, self.base, self.fee_bps)

    def quote_sell(self, size: int) -> int:
        """Quote received for selling ``size`` base now."""
        return get_amount_out(size, self.base, self.quote, self.fee_bps)

    def swap(self, is_buy: bool, size: int) -> int:
        """Applies a trade of ``size`` base and returns the quote traded."""
        if is_buy:
            amount = self.quote_buy(size)
            self.base -= size
            self.quote += amount
        else:
            amount = self.quote_sell(size)
            self.base += size
            self.quote -= amount
        return amount

    def mid(self, price_scale: int) -> int:
        """Mid price, 1e18 USD per base unit (rounded down)."""
        return self.quote * price_scale // self.base
