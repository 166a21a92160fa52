// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault} from "./IVault.sol";

/// @title IDeskShares
/// @notice Depositors' shares of the desk's net asset value (HLP, GLP and Drift's vaults do the
///         same): deposit collateral into the desk's cash for shares priced at `IVault.deskNav()`;
///         withdraw through a request that matures after a lock-up and pays at the NAV when it is
///         claimed, within a daily cap on outflows. The owner's capital is shares like anyone's.
/// @dev Pricing. `deskNav()` is the desk's cash, plus its inventory marked at the oracle, less the
///      funding it owes (rounded against the desk); it reverts while an oracle the desk's inventory
///      needs is stale, so every deposit and claim prices at fresh oracles. Shares are priced with
///      `OFFSET` virtual shares and one virtual unit (OpenZeppelin's ERC-4626 offset, so a donation
///      cannot inflate the first share): a deposit of `amount` mints
///      `(amount - fee) x (totalShares + OFFSET) / (nav + 1)` shares, rounded down; a claim of
///      `shares` is worth `shares x (nav + 1) / (totalShares + OFFSET)`, rounded down, and pays that
///      less the fee. The fee (`feeBps`, rounded up) stays in the desk. So neither a deposit nor a
///      claim ever lowers `(nav + 1) / (totalShares + OFFSET)`, the NAV per share: what one holder
///      gets is never taken from the others, and the fee goes to them. Front-running a known
///      oracle update pays at most the depositor's share of the NAV's move while it held shares
///      (it must hold through the lock-up) and costs two fees.
///
///      Withdrawals. `requestWithdrawal` moves shares into a request (they still count in
///      `totalShares`: the request bears the desk's PnL until it is claimed); after `lockup`
///      seconds its owner claims it. A day's claims (UTC days of `block.timestamp / 1 days`) pay at
///      most `dailyOutflowBps` of the NAV at the day's first claim; a claim beyond what is left
///      pays what is left and keeps the rest of the request. A claim pays out of the desk's cash
///      under a trader's withdrawal rule (initial margin after, `IVault`).
interface IDeskShares {
    /// @notice Thrown when a deposit, request or claim names zero.
    error ZeroAmount();
    /// @notice Thrown when a deposit of `amount` would mint no share.
    error NoShares(uint256 amount);
    /// @notice Thrown when `account` holds `held` shares, fewer than the `shares` it names.
    error InsufficientShares(address account, uint256 held, uint256 shares);
    /// @notice Thrown when the desk's NAV is `nav`, not positive: shares cannot be priced.
    error NavNotPositive(int256 nav);
    /// @notice Thrown when request `id` does not exist or is claimed.
    error UnknownRequest(uint256 id);
    /// @notice Thrown when `caller` claims request `id` of `owner`.
    error NotRequestOwner(uint256 id, address caller, address owner);
    /// @notice Thrown when request `id` is claimed before it matures at `maturesAt`.
    error NotMature(uint256 id, uint256 maturesAt, uint256 now_);
    /// @notice Thrown when today's outflow cap is spent: `left` remains of it.
    error DailyOutflowExceeded(uint256 left);
    /// @notice Thrown when the lock-up is above `MAX_LOCKUP`, the fee above `MAX_FEE_BPS` or the daily
    ///         outflow cap is zero or above 10000 bps.
    error InvalidShareParams(uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps);

    /// @notice Emitted when `from` deposits `amount` (of which `fee` stays in the desk) for
    ///         `shares` of `account`, at `nav` before the deposit, `totalShares` after.
    event SharesDeposited(
        address indexed account, address indexed from, uint256 amount, uint256 fee, uint256 shares, int256 nav, uint256 totalShares
    );
    /// @notice Emitted when `owner` asks to withdraw `shares` in request `id`, claimable from `maturesAt`.
    event WithdrawalRequested(uint256 indexed id, address indexed owner, uint256 shares, uint256 maturesAt);
    /// @notice Emitted when `shares` of request `id` are claimed for `amount` paid to its owner
    ///         (`fee` kept by the desk), at `nav` before the claim, `totalShares` after.
    event WithdrawalClaimed(
        uint256 indexed id, address indexed owner, uint256 shares, uint256 amount, uint256 fee, int256 nav, uint256 totalShares
    );
    /// @notice Emitted when the lock-up, the fee or the daily outflow cap change.
    event ShareParamsSet(uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps);

    /// @notice The virtual shares that price the first deposit (10^6 shares per collateral unit).
    function OFFSET() external view returns (uint256);
    /// @notice The longest lock-up the owner may set: 30 days.
    function MAX_LOCKUP() external view returns (uint256);
    /// @notice The highest fee the owner may set: 100 bps (1 %) of each deposit and claim.
    function MAX_FEE_BPS() external view returns (uint256);

    /// @notice The Vault whose desk the shares are of.
    function vault() external view returns (IVault);
    /// @notice Shares outstanding, those in unclaimed requests included.
    function totalShares() external view returns (uint256);
    /// @notice The shares `account` holds outside requests.
    function sharesOf(address account) external view returns (uint256);
    /// @notice Request `id`: its owner, the shares still in it and when it matures (zeros once claimed).
    function request(uint256 id) external view returns (address owner, uint256 shares, uint256 maturesAt);
    /// @notice How many requests were made (the next request's id).
    function requestCount() external view returns (uint256);
    /// @notice Seconds before a request may be claimed, the fee in bps, and the daily outflow cap in bps of the NAV.
    function params() external view returns (uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps);
    /// @notice Today's outflow: the day (`block.timestamp / 1 days`) of the last claim, what was
    ///         paid that day, and that day's cap (set at its first claim).
    function outflow() external view returns (uint256 day, uint256 paid, uint256 cap);
    /// @notice What `shares` are worth now before the fee (reverts like `deskNav`).
    function previewClaim(uint256 shares) external view returns (uint256);
    /// @notice The shares a deposit of `amount` mints now (reverts like `deskNav`).
    function previewDeposit(uint256 amount) external view returns (uint256);

    /// @notice Moves `amount` of the caller's tokens (the Vault approved for them) into the desk's
    ///         cash for shares of the caller. Returns the shares minted.
    function deposit(uint256 amount) external returns (uint256 shares);
    /// @notice `deposit`, the shares for `account`.
    function depositFor(address account, uint256 amount) external returns (uint256 shares);
    /// @notice Puts `shares` of the caller's in a withdrawal request maturing after the lock-up. Returns its id.
    function requestWithdrawal(uint256 shares) external returns (uint256 id);
    /// @notice Pays request `id` at the NAV now (its owner only, once mature), within today's
    ///         outflow cap. Returns the amount paid.
    function claim(uint256 id) external returns (uint256 amount);
    /// @notice Sets the lock-up (at most `MAX_LOCKUP`), the fee (at most `MAX_FEE_BPS`) and the daily
    ///         outflow cap (1..10000 bps of the NAV). Owner only.
    function setParams(uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps) external;
}
