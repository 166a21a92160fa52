// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IPriceOracle
/// @notice Index price per market: USD per one base unit, 1e18 fixed point, with the time it was
///         set. Reading a price older than `maxAge` reverts, so nothing on-chain ever acts on a
///         stale price.
interface IPriceOracle {
    /// @notice Thrown when `market`'s price was set at `updatedAt`, more than `maxAge` seconds before `now_`.
    error StalePrice(uint32 market, uint256 updatedAt, uint256 now_, uint256 maxAge);
    /// @notice Thrown when `market` has never been given a price.
    error UnknownMarket(uint32 market);
    /// @notice Thrown when `price` posted for `market` is zero or above 2^128 - 1 (no order's
    ///         `uint128` limit could carry it, and every notional `size x price` must fit 256 bits).
    error PriceOutOfRange(uint32 market, uint256 price);
    /// @notice Thrown when the oldest readable age is set above `MAX_AGE_LIMIT` seconds.
    error InvalidMaxAge(uint256 maxAge);
    /// @notice Thrown when `caller` posts a price without being an updater.
    error NotUpdater(address caller);

    /// @notice Emitted when `market`'s price becomes `price` at `updatedAt`.
    event PriceUpdated(uint32 indexed market, uint256 price, uint256 updatedAt);
    /// @notice Emitted when the oldest readable price age changes to `maxAge` seconds.
    event MaxAgeSet(uint256 maxAge);
    /// @notice Emitted when `updater` gains (`allowed`) or loses the right to post prices.
    event UpdaterSet(address indexed updater, bool allowed);

    /// @notice The current price of `market`; reverts with `StalePrice` when older than `maxAge`.
    function price(uint32 market) external view returns (uint256);

    /// @notice The current price of `market`, or 0 when it is stale or was never posted (never reverts).
    function freshPrice(uint32 market) external view returns (uint256);

    /// @notice The last posted price of `market` and its time, stale or not.
    function latest(uint32 market) external view returns (uint256 price, uint256 updatedAt);

    /// @notice How many seconds a price stays readable through `price`.
    function maxAge() external view returns (uint256);

    /// @notice The largest `maxAge` the owner may set: one year.
    function MAX_AGE_LIMIT() external view returns (uint256);

    /// @notice Whether `account` may post prices.
    function isUpdater(address account) external view returns (bool);

    /// @notice Posts `price` for `market`, stamped with the current block time. Updaters only.
    function setPrice(uint32 market, uint256 price) external;

    /// @notice Sets how many seconds a price stays readable, at most `MAX_AGE_LIMIT`. Owner only.
    function setMaxAge(uint256 maxAge) external;

    /// @notice Grants or revokes the right to post prices. Owner only.
    function setUpdater(address updater, bool allowed) external;
}
