// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ICollateralToken} from "./ICollateralToken.sol";
import {IPriceOracle} from "./IPriceOracle.sol";

/// @notice One internal leg for `IVault.book`: `account` gains `baseDelta` in the booked market
///         and `quoteDelta` cash and pays `fee`; the desk takes the opposite side.
struct Booking {
    address account;
    int256 baseDelta;
    int256 quoteDelta;
    uint256 fee;
}

/// @title IVault
/// @notice Custody of all collateral and the ledger of every account: `cash` in collateral units
///         (signed) and `position[market]` in base units, 1e18 fixed point (signed).
/// @dev Accounts are traders, the desk (the vault's own book, keyed by the vault's address), the
///      AMM's book (keyed by the AMM's address) and the fee recipient. Invariants kept by every
///      function: the token balance of the vault equals the sum of all cash, to the unit; the
///      positions of each market sum to zero; the desk's |position| never exceeds its cap
///      (a trade may only bring an over-cap inventory closer to zero). Operators (Settlement,
///      PerpAmm) move the ledger through `trade`; their own books are exempt from margin.
interface IVault {
    /// @notice Thrown when `caller` calls an operator-only function.
    error NotOperator(address caller);
    /// @notice Thrown when the vault is paused.
    error Paused();
    /// @notice Thrown when an amount of zero is deposited or withdrawn.
    error ZeroAmount();
    /// @notice Thrown when the collateral token refuses a transfer.
    error TokenTransferFailed();
    /// @notice Thrown when `account` would withdraw `amount` with only `cash` in cash.
    error InsufficientCash(address account, int256 cash, uint256 amount);
    /// @notice Thrown when `account`'s `equity` would fall below its `required` margin.
    error InsufficientMargin(address account, int256 equity, uint256 required);
    /// @notice Thrown when the desk's inventory in `market` would reach `inventory`, beyond `cap`.
    error InventoryCapExceeded(uint32 market, int256 inventory, uint256 cap);
    /// @notice Thrown when `market` is not listed.
    error MarketNotListed(uint32 market);
    /// @notice Thrown when `market` is listed twice.
    error MarketAlreadyListed(uint32 market);
    /// @notice Thrown when margin ratios are not 0 < maintenance <= initial <= 10000 bps.
    error InvalidMarginRatios(uint256 initialBps, uint256 maintenanceBps);
    /// @notice Thrown when an amount does not fit the ledger's signed 128-bit range.
    error AmountOutOfRange(uint256 amount);

    /// @notice Emitted when `from` deposits `amount` to `account`'s cash.
    event Deposited(address indexed account, address indexed from, uint256 amount);
    /// @notice Emitted when `amount` of `account`'s cash is paid out to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice Emitted when `operator` is granted (`allowed`) or denied the right to move the ledger.
    event OperatorSet(address indexed operator, bool allowed);
    /// @notice Emitted when `market` is listed with an inventory cap of `cap` base units.
    event MarketListed(uint32 indexed market, uint256 cap);
    /// @notice Emitted when the desk's inventory cap in `market` becomes `cap`.
    event InventoryCapSet(uint32 indexed market, uint256 cap);
    /// @notice Emitted when the margin ratios change.
    event MarginRatiosSet(uint256 initialBps, uint256 maintenanceBps);
    /// @notice Emitted when fees start accruing to `recipient`.
    event FeeRecipientSet(address indexed recipient);
    /// @notice Emitted when the vault is paused (`paused`) or resumed.
    event PausedSet(bool paused);

    /// @notice The collateral token.
    function token() external view returns (ICollateralToken);
    /// @notice The oracle that marks positions for margin.
    function oracle() external view returns (IPriceOracle);
    /// @notice size (1e18) x price (1e18) / priceScale = collateral units.
    function priceScale() external view returns (uint256);
    /// @notice The desk's account: the vault's own book.
    function desk() external view returns (address);
    /// @notice The account that receives fees.
    function feeRecipient() external view returns (address);
    /// @notice Whether `account` may move the ledger through `trade`.
    function isOperator(address account) external view returns (bool);
    /// @notice Initial margin ratio in bps, required after any trade that adds risk and after withdrawals.
    function initialMarginBps() external view returns (uint256);
    /// @notice Maintenance margin ratio in bps, required after trades that only reduce risk.
    function maintenanceMarginBps() external view returns (uint256);
    /// @notice The desk's inventory cap in `market`, in base units.
    function inventoryCap(uint32 market) external view returns (uint256);
    /// @notice The listed markets, in listing order.
    function markets() external view returns (uint32[] memory);
    /// @notice Whether deposits, withdrawals and trades are stopped.
    function paused() external view returns (bool);

    /// @notice Signed cash of `account`, in collateral units: deposits less withdrawals plus every
    ///         market's trade cash flows and fees received.
    function cash(address account) external view returns (int256);
    /// @notice Signed position of `account` in `market`, in base units (1e18).
    function position(address account, uint32 market) external view returns (int256);
    /// @notice The desk's own position in `market`.
    function inventory(uint32 market) external view returns (int256);
    /// @notice Cash plus every position marked at the oracle (rounded down), in collateral units.
    function equity(address account) external view returns (int256);
    /// @notice The margin `account` needs at `ratioBps`, rounded up, in collateral units.
    function marginRequired(address account, uint256 ratioBps) external view returns (uint256);

    /// @notice Moves `amount` tokens from the caller into its own cash.
    function deposit(uint256 amount) external;
    /// @notice Moves `amount` tokens from the caller into `account`'s cash.
    function depositFor(address account, uint256 amount) external;
    /// @notice Pays `amount` of the caller's cash out; cash must cover it and initial margin must hold after.
    function withdraw(uint256 amount) external;
    /// @notice Pays `amount` of the desk's cash out to `to`, under the same checks. Owner only.
    function withdrawDesk(address to, uint256 amount) external;

    /// @notice Books a trade: `account` gains `baseDelta` in `market` and `quoteDelta` cash and pays
    ///         `fee` to the fee recipient; `counterparty` takes the opposite. Checks margin and the
    ///         desk's cap as the contract notes say. Operators only.
    function trade(
        address account,
        address counterparty,
        uint32 market,
        int256 baseDelta,
        int256 quoteDelta,
        uint256 fee
    ) external;

    /// @notice Books a batch of internal legs in `market` against the desk, in order: each
    ///         account's margin is checked after its own leg; the desk's book and the fee recipient
    ///         are written once at the end, and the desk's cap is checked on its net inventory.
    ///         Operators only.
    function book(uint32 market, Booking[] calldata bookings) external;

    /// @notice Lists `market` with the desk's inventory cap. Owner only.
    function listMarket(uint32 market, uint256 cap) external;
    /// @notice Sets the desk's inventory cap in `market`. Owner only.
    function setInventoryCap(uint32 market, uint256 cap) external;
    /// @notice Sets the initial and maintenance margin ratios in bps. Owner only.
    function setMarginRatios(uint256 initialBps, uint256 maintenanceBps) external;
    /// @notice Sets the fee recipient. Owner only.
    function setFeeRecipient(address recipient) external;
    /// @notice Grants or revokes an operator. Owner only.
    function setOperator(address operator, bool allowed) external;
    /// @notice Stops or resumes deposits, withdrawals and trades. Owner only.
    function setPaused(bool paused) external;
}
