// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title AmmMath
/// @notice Uniswap v2 swap arithmetic with the fee in bps. With `feeBps = 30` both functions equal
///         `UniswapV2Library.getAmountOut/getAmountIn` to the unit: multiplying Uniswap's numerator
///         and denominator by 10 leaves every floor unchanged.
library AmmMath {
    uint256 internal constant BPS = 10_000;

    /// @notice Thrown when a swap names an amount of zero.
    error InsufficientAmount();
    /// @notice Thrown when a reserve is zero or the requested output is not below the output reserve.
    error InsufficientLiquidity();
    /// @notice Thrown when the fee is 10000 bps or more.
    error FeeTooHigh(uint256 feeBps);

    /// @notice Output for exactly `amountIn`, rounded down (against the trader).
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 feeBps)
        internal
        pure
        returns (uint256)
    {
        if (amountIn == 0) revert InsufficientAmount();
        if (reserveIn == 0 || reserveOut == 0) revert InsufficientLiquidity();
        if (feeBps >= BPS) revert FeeTooHigh(feeBps);
        uint256 amountInWithFee = amountIn * (BPS - feeBps);
        return (amountInWithFee * reserveOut) / (reserveIn * BPS + amountInWithFee);
    }

    /// @notice Input needed for exactly `amountOut`, floor plus one (Uniswap v2's rounding, against the trader).
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint256 feeBps)
        internal
        pure
        returns (uint256)
    {
        if (amountOut == 0) revert InsufficientAmount();
        if (reserveIn == 0 || reserveOut <= amountOut) revert InsufficientLiquidity();
        if (feeBps >= BPS) revert FeeTooHigh(feeBps);
        return (reserveIn * amountOut * BPS) / ((reserveOut - amountOut) * (BPS - feeBps)) + 1;
    }
}
