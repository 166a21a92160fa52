// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IOwned} from "../interfaces/IOwned.sol";

/// @title Owned
/// @notice Minimal single-owner base (solmate's `Owned`, with custom errors).
abstract contract Owned is IOwned {
    /// @inheritdoc IOwned
    address public owner;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(address owner_) {
        if (owner_ == address(0)) revert ZeroAddress();
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
    }

    /// @inheritdoc IOwned
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
