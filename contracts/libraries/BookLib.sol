// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVaultBase} from "../interfaces/IVault.sol";

/// @title BookLib
/// @notice One ledger book (an account in one market) in one storage word, and the arithmetic
///         the Vault and its Python mirror (`defi_int/market/ledger.py`) share to the unit.
/// @dev Word layout, low bits first:
///        bits   0..87  position, int88, base units (1e18 fixed point): up to ~1.5e8 whole units
///        bits  88..175 cash, int88, collateral units (the account's cash is the sum over its books)
///        bits 176..223 funding mark: the market's funding index, in the market's funding units,
///                      when this book last settled funding, kept modulo 2^48
///        bits 224..255 the account's nonce window in this market's namespace (`NonceLib`): a
///                      fill's nonce state and its book share one word
///      A book settles funding by paying `position x (markNow - markThen) x unit / priceScale`
///      (rounded up: against the account). The difference of two marks is taken modulo 2^48 and
///      read as signed, which is exact while the index moves less than 2^47 funding units between
///      two touches of the book: a unit is 1e-6 of the market's price when funding was enabled, so
///      a book may stay untouched 2^47 / (1e6 x 1,000 x 8,760) > 16 years at a premium of 100 %
///      per hour on a price 1,000 times that one.
///      A flat book's mark is never read; it is set when the book next settles. Every ledger write
///      (`pack`) leaves the nonce window's bits as they were.
library BookLib {
    uint256 internal constant BPS = 10_000;
    /// @dev The ledger's bits of a book word (position, cash, mark); the rest is the nonce window.
    uint256 internal constant LEDGER_BITS = (1 << 224) - 1;

    /// @notice The three ledger fields of `word`.
    function unpack(uint256 word) internal pure returns (int256 pos, int256 cash, uint64 mark) {
        pos = int88(uint88(word));
        cash = int88(uint88(word >> 88));
        mark = uint64(uint48(word >> 176));
    }

    /// @notice `old` with its ledger fields replaced; reverts with `AmountOutOfRange` when a field
    ///         does not fit int88. The nonce window of `old` is kept.
    function pack(uint256 old, int256 pos, int256 cash, uint64 mark) internal pure returns (uint256) {
        return (old & ~LEDGER_BITS) | uint256(uint88(toInt88(pos))) | (uint256(uint88(toInt88(cash))) << 88)
            | (uint256(uint48(mark)) << 176);
    }

    function toInt88(int256 x) internal pure returns (int88) {
        if (x > type(int88).max || x < type(int88).min) revert IVaultBase.AmountOutOfRange(abs(x));
        return int88(x);
    }

    /// @notice Funding a book of `pos` owes from `markThen` to `markNow`, rounded up: a payer pays
    ///         the exact amount rounded up, a receiver receives it rounded down (a negative charge).
    /// @dev No overflow: |pos| < 2^87, the signed mark difference is within 2^47, `unit` < 2^96.
    function charge(int256 pos, uint64 markThen, uint64 markNow, uint256 unit, uint256 priceScale)
        internal
        pure
        returns (int256)
    {
        if (pos == 0 || markThen == markNow) return 0;
        int256 delta;
        unchecked {
            delta = int48(uint48(markNow - markThen));
        }
        return ceilDivSigned(pos * delta * int256(unit), priceScale);
    }

    /// @notice A book's value and margin requirement at `price`: a long is valued rounded down, a
    ///         short's liability rounded up, the requirement rounded up, all against the account.
    /// @dev No overflow: |pos| < 2^87 and prices are below 2^128 (the oracle's bound).
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
        return uint64(uint48(uint256(floorDiv(index, unit))));
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
