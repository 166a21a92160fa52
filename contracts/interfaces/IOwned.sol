// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IOwned
/// @notice Single-owner access control shared by every defi-int contract.
interface IOwned {
    /// @notice Thrown when a function reserved to the owner is called by `caller`.
    error NotOwner(address caller);
    /// @notice Thrown when an address parameter that must be set is the zero address.
    error ZeroAddress();

    /// @notice Emitted when ownership moves from `previousOwner` to `newOwner`.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice The account allowed to change parameters and roles.
    function owner() external view returns (address);

    /// @notice Hands ownership to `newOwner`.
    function transferOwnership(address newOwner) external;
}
