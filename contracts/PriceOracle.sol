// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {Owned} from "./libraries/Owned.sol";

/// @title PriceOracle
/// @notice Pushed index prices, one storage slot per market (price and time packed).
contract PriceOracle is IPriceOracle, Owned {
    struct Quote {
        uint192 price;
        uint64 updatedAt;
    }

    /// @inheritdoc IPriceOracle
    uint256 public constant MAX_AGE_LIMIT = 365 days;

    mapping(uint32 => Quote) private _quotes;
    /// @inheritdoc IPriceOracle
    uint256 public maxAge;
    /// @inheritdoc IPriceOracle
    mapping(address => bool) public isUpdater;

    constructor(address owner_, uint256 maxAge_) Owned(owner_) {
        _setMaxAge(maxAge_);
        isUpdater[owner_] = true;
        emit UpdaterSet(owner_, true);
    }

    /// @inheritdoc IPriceOracle
    function price(uint32 market) external view returns (uint256) {
        Quote memory q = _quotes[market];
        if (q.updatedAt == 0) revert UnknownMarket(market);
        if (block.timestamp > q.updatedAt + maxAge) revert StalePrice(market, q.updatedAt, block.timestamp, maxAge);
        return q.price;
    }

    /// @inheritdoc IPriceOracle
    function freshPrice(uint32 market) external view returns (uint256) {
        Quote memory q = _quotes[market];
        if (q.updatedAt == 0 || block.timestamp > q.updatedAt + maxAge) return 0;
        return q.price;
    }

    /// @inheritdoc IPriceOracle
    function latest(uint32 market) external view returns (uint256, uint256) {
        Quote memory q = _quotes[market];
        return (q.price, q.updatedAt);
    }

    /// @inheritdoc IPriceOracle
    function setPrice(uint32 market, uint256 newPrice) external {
        if (!isUpdater[msg.sender]) revert NotUpdater(msg.sender);
        if (newPrice == 0 || newPrice > type(uint128).max) revert PriceOutOfRange(market, newPrice);
        _quotes[market] = Quote(uint192(newPrice), uint64(block.timestamp));
        emit PriceUpdated(market, newPrice, block.timestamp);
    }

    /// @inheritdoc IPriceOracle
    function setMaxAge(uint256 maxAge_) external onlyOwner {
        _setMaxAge(maxAge_);
    }

    /// @inheritdoc IPriceOracle
    function setUpdater(address updater, bool allowed) external onlyOwner {
        isUpdater[updater] = allowed;
        emit UpdaterSet(updater, allowed);
    }

    /// @dev Bounded so that `updatedAt + maxAge` can never overflow a price read.
    function _setMaxAge(uint256 maxAge_) private {
        if (maxAge_ > MAX_AGE_LIMIT) revert InvalidMaxAge(maxAge_);
        maxAge = maxAge_;
        emit MaxAgeSet(maxAge_);
    }
}
