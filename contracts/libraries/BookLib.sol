// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault} from "../interfaces/IVault.sol";

/// @title BookLib
/// @notice One ledger book (an account in one market) in one storage word, and the arithmetic
///         the Vault and its Python mirror (`defi_int/market/ledger.py`) share to the unit.
/// @dev Word layout, low bits first:
///        bits   0..95  position, int96, base units (1e18 fixed point): up to ~3.9e10 whole units
///        bits  96..191 cash, int96, collateral units (the account's cash is the sum over its books)
///        bits 192..255 funding mark: the market's funding index, in the market's funding units,
///                      when this book last settled funding, kept modulo 2^64
///      A book settles funding by paying `position x (markNow - markThen) x unit / priceScale`
///      (rounded up: against the account). The difference of two marks is taken modulo 2^64 and
///      read as signed, which is exact while the index moves less than 2^63 funding units between
///      two touches of the book: a unit is 1e-9 of the market's price when funding was enabled, so
///      a book may stay untouched 2^63 / (1e9 x 1,000 x 8,760) > 1,000 years at a premium of 100 %
///      per hour on a price 1,000 times that one.
///      A flat book's mark is never read; it is set when the book next settles.
library BookLib {
    uint256 internal constant BPS = 10_000;

    /// @notice The three fields of `word`.
    function unpack(uint256 word) internal pure returns (int256 pos, int256 cash, uint64 mark) {
        pos = int96(uint96(word));
        cash = int96(uint96(word >> 96));
        mark = uint64(word >> 192);
    }

    /// @notice The word for a book; reverts with `AmountOutOfRange` when a field does not fit int96.
    function pack(int256 pos, int256 cash, uint64 mark) internal pure returns (uint256) {
        return uint256(uint96(toInt96(pos))) | (uint256(uint96(toInt96(cash))) << 96) | (uint256(mark) << 192);
    }

    function toInt96(int256 x) internal pure returns (int96) {
        if (x > type(int96).max || x < type(int96).min) revert IVault.AmountOutOfRange(abs(x));
        return int96(x);
    }

    /// @notice Funding a book of `pos` owes from `markThen` to `markNow`, rounded up: a payer pays
    ///         the exact amount rounded up, a receiver receives it rounded down (a negative charge).
    /// @dev No overflow: |pos| < 2^95, the signed mark difference is within 2^63, `unit` < 2^96.
    function charge(int256 pos, uint64 markThen, uint64 markNow, uint256 unit, uint256 priceScale)
        internal
        pure
        returns (int256)
    {
        if (pos == 0 || markThen == markNow) return 0;
        int256 delta;
        unchecked {
            delta = int64(markNow - markThen);
        }
        return ceilDivSigned(pos * delta * int256(unit), priceScale);
    }

    /// @notice A book's value and margin requirement at `price`: a long is valued rounded down, a
    ///         short's liability rounded up, the requirement rounded up, all against the account.
    /// @dev No overflow: |pos| < 2^95 and prices are below 2^128 (the oracle's bound).
    function margin(int256 pos, uint256 price, uint256 ratioBps, uint256 priceScale)
        internal
        pure
        returns (int256 value, uint256 required)
    {
        if (pos == 0) return (0, 0);
        uint256 amount = abs(pos) * price;
        value = pos > 0 ? int256(amount / priceScale) : -int256(ceilDiv(amount, priceScale));
        if (ratioBps != 0) required = ceilDiv(amount * ratioBps, priceScale * BPS);
    }

    /// @notice The funding mark of `index` in funding units of `unit` price units (0: funding off).
    function markOf(int256 index, uint256 unit) internal pure returns (uint64) {
        if (unit == 0) return 0;
        return uint64(uint256(floorDiv(index, unit)));
    }

    /// @notice Whether moving from `before` to `after_` only shrinks the position (same sign, smaller).
    function isReducing(int256 before, int256 after_) internal pure returns (bool) {
        return before >= 0 ? after_ >= 0 && after_ < before : after_ <= 0 && after_ > before;
    }

    function abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    function ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /// @notice `a / b` rounded towards +infinity, for `b > 0`.
    function ceilDivSigned(int256 a, uint256 b) internal pure returns (int256) {
        return a >= 0 ? int256(ceilDiv(uint256(a), b)) : -int256(uint256(-a) / b);
    }

    /// @notice `a / b` rounded towards -infinity, for `b > 0` (Python's `//`).
    function floorDiv(int256 a, uint256 b) internal pure returns (int256 q) {
        q = a / int256(b);
        if (a < 0 && q * int256(b) != a) q -= 1;
    }
}
