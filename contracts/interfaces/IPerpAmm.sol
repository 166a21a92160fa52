// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault} from "./IVault.sol";

/// @title IPerpAmm
/// @notice The external venue: virtual constant-product reserves per market (base in 1e18 units,
///         quote in collateral units) with Uniswap v2 swap arithmetic. Trades book between the
///         trader's account and the AMM's own account in the Vault; the fee stays in the reserves.
/// @dev A buy of `size` base costs `getAmountIn(size, quote, base, fee)` quote; a sell of `size`
///      base pays `getAmountOut(size, base, quote, fee)` quote. Both round against the trader.
interface IPerpAmm {
    /// @notice Thrown when `market` has no pool.
    error PoolNotInitialized(uint32 market);
    /// @notice Thrown when `market` already has a pool.
    error PoolAlreadyInitialized(uint32 market);
    /// @notice Thrown when the reserves given do not fit 112 bits or are zero.
    error InvalidReserves(uint256 base, uint256 quote);
    /// @notice Thrown when a swap of `size` would trade `quote`, worse than the trader's `limitQuote`.
    error SlippageExceeded(uint256 quote, uint256 limitQuote);
    /// @notice Thrown when `caller` calls a Settlement-only function.
    error NotSettlement(address caller);
    /// @notice Thrown when the Settlement is set a second time.
    error SettlementAlreadySet();
    /// @notice Thrown when `caller` calls a Vault-only function.
    error NotVault(address caller);
    /// @notice Thrown when a swap names a `size` above 2^128 - 1 base units (no order could carry it).
    error SizeOutOfRange(uint256 size);

    /// @notice Emitted when `market`'s pool starts with virtual reserves `base`/`quote` and `feeBps`.
    event PoolInitialized(uint32 indexed market, uint256 base, uint256 quote, uint256 feeBps);
    /// @notice Emitted when `market`'s pool fee becomes `feeBps`.
    event PoolFeeSet(uint32 indexed market, uint256 feeBps);
    /// @notice Emitted for every trade against the pool, with the reserves it leaves.
    event Swap(
        address indexed account,
        uint32 indexed market,
        bool isBuy,
        uint256 size,
        uint256 quote,
        uint256 baseReserve,
        uint256 quoteReserve
    );
    /// @notice Emitted when `settlement` becomes the contract that may trade for others.
    event SettlementSet(address indexed settlement);

    /// @notice The Vault that holds the AMM's book.
    function vault() external view returns (IVault);
    /// @notice The Settlement allowed to call `swapFor`.
    function settlement() external view returns (address);
    /// @notice Virtual reserves of `market`: base units (1e18) and quote (collateral units).
    function reserves(uint32 market) external view returns (uint256 base, uint256 quote);
    /// @notice The pool fee of `market` in bps.
    function feeBps(uint32 market) external view returns (uint256);
    /// @notice Reserves and fee of `market` in one call; all zero for a market with no pool.
    function pool(uint32 market) external view returns (uint256 base, uint256 quote, uint256 feeBps);
    /// @notice Quote paid to buy `size` base from `market` now (reverts when the pool cannot fill it).
    function quoteBuy(uint32 market, uint256 size) external view returns (uint256);
    /// @notice Quote received for selling `size` base to `market` now.
    function quoteSell(uint32 market, uint256 size) external view returns (uint256);

    /// @notice Uniswap v2 `getAmountOut` with the fee in bps.
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 feeBps)
        external
        pure
        returns (uint256);
    /// @notice Uniswap v2 `getAmountIn` with the fee in bps.
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint256 feeBps)
        external
        pure
        returns (uint256);

    /// @notice Trades `size` base for the caller; `limitQuote` is the most quote paid on a buy or
    ///         the least received on a sell. Returns the quote traded.
    function swap(uint32 market, bool isBuy, uint256 size, uint256 limitQuote) external returns (uint256 quote);
    /// @notice Trades `size` base for `account`, charging it `feeBps` of the quote on top (rounded
    ///         up) for the fee recipient. Settlement only. Returns the quote traded and the fee.
    function swapFor(address account, uint32 market, bool isBuy, uint256 size, uint256 limitQuote, uint256 feeBps)
        external
        returns (uint256 quote, uint256 fee);

    /// @notice Moves `market`'s pool for a trade of `size` base by `account` that the Vault books
    ///         itself (a liquidation closing a position on the AMM): the same pricing, limit and
    ///         `Swap` event as `swap`, without touching the ledger. Vault only. Returns the quote.
    function liquidationSwap(address account, uint32 market, bool isBuy, uint256 size, uint256 limitQuote)
        external
        returns (uint256 quote);

    /// @notice Opens `market`'s pool with virtual reserves, each nonzero and below 2^112 (the
    ///         pool's slot), and a fee below 10000 bps (`AmmMath.FeeTooHigh`: the swap arithmetic
    ///         needs a fee below 100 %). Owner only.
    function initializePool(uint32 market, uint256 base, uint256 quote, uint256 feeBps) external;
    /// @notice Changes `market`'s pool fee, below 10000 bps (`AmmMath.FeeTooHigh`). Owner only.
    function setPoolFee(uint32 market, uint256 feeBps) external;
    /// @notice Names the Settlement once (nonzero; `SettlementAlreadySet` after). Owner only.
    function setSettlement(address settlement) external;
}
