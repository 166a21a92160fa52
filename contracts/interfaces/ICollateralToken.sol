// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ICollateralToken
/// @notice The ERC-20 used as margin (6 decimals by default, like USDC), with an owner mint for
///         tests and simulations.
interface ICollateralToken {
    /// @notice Thrown when `account` holds `balance`, less than the `needed` amount.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice Thrown when `spender` may move only `allowance` of `owner`'s tokens, less than `needed`.
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    /// @notice Thrown when tokens would be sent to the zero address.
    error TransferToZeroAddress();

    /// @notice Emitted when `value` tokens move from `from` to `to` (mints come from address 0).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice Emitted when `owner` lets `spender` move up to `value` of its tokens.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function approve(address spender, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);

    /// @notice Creates `value` tokens for `to`. Owner only.
    function mint(address to, uint256 value) external;
}
