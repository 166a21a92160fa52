// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IDeskShares} from "./interfaces/IDeskShares.sol";
import {IVault} from "./interfaces/IVault.sol";
import {Owned} from "./libraries/Owned.sol";

/// @title DeskShares
/// @notice Depositors' shares of the desk's NAV: deposits, withdrawal requests, claims.
/// @dev The Vault holds the money (the desk's cash) and prices it (`deskNav`); this contract holds
///      the shares and the requests, and moves cash only through the Vault's `shareDeposit` and
///      `sharePayout`. The Python mirror is `defi_int.market.shares.Shares`, equal to the unit.
contract DeskShares is IDeskShares, Owned {
    uint256 private constant BPS = 10_000;
    /// @inheritdoc IDeskShares
    uint256 public constant OFFSET = 1e6;
    /// @inheritdoc IDeskShares
    uint256 public constant MAX_LOCKUP = 30 days;
    /// @inheritdoc IDeskShares
    uint256 public constant MAX_FEE_BPS = 100;

    struct Request {
        address owner;
        uint64 maturesAt;
        uint256 shares;
    }

    /// @inheritdoc IDeskShares
    IVault public immutable vault;
    /// @inheritdoc IDeskShares
    uint256 public totalShares;
    /// @inheritdoc IDeskShares
    mapping(address => uint256) public sharesOf;
    mapping(uint256 => Request) private _requests;
    /// @inheritdoc IDeskShares
    uint256 public requestCount;
    // One slot: the parameters.
    uint64 private _lockup;
    uint16 private _feeBps;
    uint16 private _dailyOutflowBps;
    // The current day's outflow.
    uint256 private _day;
    uint256 private _claimed;
    uint256 private _cap;

    constructor(IVault vault_, address owner_, uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps)
        Owned(owner_)
    {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
        _setParams(lockup, feeBps, dailyOutflowBps);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDeskShares
    function request(uint256 id) external view returns (address, uint256, uint256) {
        Request memory r = _requests[id];
        return (r.owner, r.shares, r.maturesAt);
    }

    /// @inheritdoc IDeskShares
    function params() external view returns (uint256, uint256, uint256) {
        return (_lockup, _feeBps, _dailyOutflowBps);
    }

    /// @inheritdoc IDeskShares
    function outflow() external view returns (uint256, uint256, uint256) {
        return (_day, _claimed, _cap);
    }

    /// @inheritdoc IDeskShares
    function previewClaim(uint256 shares) external view returns (uint256) {
        return _value(shares, _nav());
    }

    /// @inheritdoc IDeskShares
    function previewDeposit(uint256 amount) external view returns (uint256) {
        return _mintable(amount - _fee(amount), vault.deskNav());
    }

    // ------------------------------------------------------------- deposits

    /// @inheritdoc IDeskShares
    function deposit(uint256 amount) external returns (uint256) {
        return _deposit(msg.sender, amount);
    }

    /// @inheritdoc IDeskShares
    function depositFor(address account, uint256 amount) external returns (uint256) {
        return _deposit(account, amount);
    }

    /// @dev Prices at the NAV before the cash arrives, then the Vault pulls it into the desk.
    function _deposit(address account, uint256 amount) private returns (uint256 shares) {
        if (amount == 0) revert ZeroAmount();
        int256 nav = vault.deskNav();
        uint256 fee = _fee(amount);
        shares = _mintable(amount - fee, nav);
        if (shares == 0) revert NoShares(amount);
        totalShares += shares;
        sharesOf[account] += shares;
        vault.shareDeposit(msg.sender, amount);
        emit SharesDeposited(account, msg.sender, amount, fee, shares, nav, totalShares);
    }

    // ---------------------------------------------------------- withdrawals

    /// @inheritdoc IDeskShares
    function requestWithdrawal(uint256 shares) external returns (uint256 id) {
        if (shares == 0) revert ZeroAmount();
        uint256 held = sharesOf[msg.sender];
        if (held < shares) revert InsufficientShares(msg.sender, held, shares);
        sharesOf[msg.sender] = held - shares;
        id = requestCount++;
        uint256 maturesAt = block.timestamp + _lockup;
        _requests[id] = Request(msg.sender, uint64(maturesAt), shares);
        emit WithdrawalRequested(id, msg.sender, shares, maturesAt);
    }

    /// @inheritdoc IDeskShares
    /// @dev Steps: the request must be the caller's and mature; the NAV now prices it; today's
    ///      cap bounds the shares claimed; the shares burn; the Vault pays their worth less the fee.
    function claim(uint256 id) external returns (uint256 amount) {
        Request storage r = _requests[id];
        address owner_ = r.owner;
        if (owner_ == address(0)) revert UnknownRequest(id);
        if (msg.sender != owner_) revert NotRequestOwner(id, msg.sender, owner_);
        if (block.timestamp < r.maturesAt) revert NotMature(id, r.maturesAt, block.timestamp);
        int256 nav = _nav();
        uint256 left = _outflowLeft(nav);
        uint256 shares = r.shares;
        uint256 most = left * (totalShares + OFFSET) / (uint256(nav) + 1);
        if (most == 0) revert DailyOutflowExceeded(left);
        if (shares > most) shares = most;
        uint256 gross = _value(shares, nav);
        // what is left of today's cap buys no whole unit: nothing to pay today
        if (gross == 0 && shares < r.shares) revert DailyOutflowExceeded(left);
        _claimed += gross;
        uint256 fee = _fee(gross);
        amount = gross - fee;
        totalShares -= shares;
        if (shares == r.shares) delete _requests[id];
        else r.shares -= shares;
        if (amount != 0) vault.sharePayout(owner_, amount);
        emit WithdrawalClaimed(id, owner_, shares, amount, fee, nav, totalShares);
    }

    /// @dev What today's cap leaves; the first claim of a day sets the day's cap from the NAV.
    function _outflowLeft(int256 nav) private returns (uint256) {
        uint256 today = block.timestamp / 1 days;
        if (today != _day) {
            (_day, _claimed, _cap) = (today, 0, uint256(nav) * _dailyOutflowBps / BPS);
        }
        return _cap > _claimed ? _cap - _claimed : 0;
    }

    // ----------------------------------------------------------- parameters

    /// @inheritdoc IDeskShares
    function setParams(uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps) external onlyOwner {
        _setParams(lockup, feeBps, dailyOutflowBps);
    }

    function _setParams(uint256 lockup, uint256 feeBps, uint256 dailyOutflowBps) private {
        if (lockup > MAX_LOCKUP || feeBps > MAX_FEE_BPS || dailyOutflowBps == 0 || dailyOutflowBps > BPS) {
            revert InvalidShareParams(lockup, feeBps, dailyOutflowBps);
        }
        (_lockup, _feeBps, _dailyOutflowBps) = (uint64(lockup), uint16(feeBps), uint16(dailyOutflowBps));
        emit ShareParamsSet(lockup, feeBps, dailyOutflowBps);
    }

    // -------------------------------------------------------------- pricing

    /// @dev The desk's NAV, which must be positive to price shares.
    function _nav() private view returns (int256 nav) {
        nav = vault.deskNav();
        if (nav <= 0) revert NavNotPositive(nav);
    }

    function _mintable(uint256 net, int256 nav) private view returns (uint256) {
        if (nav < 0) revert NavNotPositive(nav);
        return net * (totalShares + OFFSET) / (uint256(nav) + 1);
    }

    function _value(uint256 shares, int256 nav) private view returns (uint256) {
        return shares * (uint256(nav) + 1) / (totalShares + OFFSET);
    }

    function _fee(uint256 amount) private view returns (uint256) {
        uint256 raw = amount * _feeBps;
        return raw == 0 ? 0 : (raw - 1) / BPS + 1;
    }
}
