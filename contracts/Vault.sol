// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault} from "./interfaces/IVault.sol";
import {ICollateralToken} from "./interfaces/ICollateralToken.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {Owned} from "./libraries/Owned.sol";

/// @title Vault
/// @notice Collateral custody and the signed ledger of every account.
contract Vault is IVault, Owned {
    uint256 private constant BPS = 10_000;

    /// @inheritdoc IVault
    ICollateralToken public immutable token;
    /// @inheritdoc IVault
    IPriceOracle public immutable oracle;
    /// @inheritdoc IVault
    uint256 public immutable priceScale;

    /// @inheritdoc IVault
    mapping(address => int256) public cash;
    mapping(address => mapping(uint32 => int256)) private _position;
    /// @inheritdoc IVault
    mapping(address => bool) public isOperator;
    /// @inheritdoc IVault
    mapping(uint32 => uint256) public inventoryCap;
    mapping(uint32 => bool) private _listed;
    uint32[] private _markets;
    /// @inheritdoc IVault
    address public feeRecipient;
    /// @inheritdoc IVault
    uint256 public initialMarginBps;
    /// @inheritdoc IVault
    uint256 public maintenanceMarginBps;
    /// @inheritdoc IVault
    bool public paused;

    modifier onlyOperator() {
        if (!isOperator[msg.sender]) revert NotOperator(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert Paused();
        _;
    }

    constructor(
        ICollateralToken token_,
        IPriceOracle oracle_,
        address owner_,
        address feeRecipient_,
        uint256 initialBps,
        uint256 maintenanceBps
    ) Owned(owner_) {
        if (address(token_) == address(0) || address(oracle_) == address(0)) revert ZeroAddress();
        token = token_;
        oracle = oracle_;
        priceScale = 10 ** (36 - uint256(token_.decimals()));
        _setFeeRecipient(feeRecipient_);
        _setMarginRatios(initialBps, maintenanceBps);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IVault
    function desk() public view returns (address) {
        return address(this);
    }

    /// @inheritdoc IVault
    function position(address account, uint32 market) external view returns (int256) {
        return _position[account][market];
    }

    /// @inheritdoc IVault
    function inventory(uint32 market) external view returns (int256) {
        return _position[address(this)][market];
    }

    /// @inheritdoc IVault
    function markets() external view returns (uint32[] memory) {
        return _markets;
    }

    /// @inheritdoc IVault
    function equity(address account) external view returns (int256 value) {
        (value,) = _marginState(account, 0);
    }

    /// @inheritdoc IVault
    function marginRequired(address account, uint256 ratioBps) external view returns (uint256 required) {
        (, required) = _marginState(account, ratioBps);
    }

    // ------------------------------------------------------------- custody

    /// @inheritdoc IVault
    function deposit(uint256 amount) external {
        _deposit(msg.sender, amount);
    }

    /// @inheritdoc IVault
    function depositFor(address account, uint256 amount) external {
        _deposit(account, amount);
    }

    /// @inheritdoc IVault
    function withdraw(uint256 amount) external {
        _withdraw(msg.sender, msg.sender, amount);
    }

    /// @inheritdoc IVault
    function withdrawDesk(address to, uint256 amount) external onlyOwner {
        _withdraw(address(this), to, amount);
    }

    function _deposit(address account, uint256 amount) private whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        if (amount > uint256(uint128(type(int128).max))) revert AmountOutOfRange(amount);
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TokenTransferFailed();
        cash[account] += int256(amount);
        emit Deposited(account, msg.sender, amount);
    }

    function _withdraw(address account, address to, uint256 amount) private whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        int256 balance = cash[account];
        if (amount > uint256(uint128(type(int128).max)) || balance < int256(amount)) {
            revert InsufficientCash(account, balance, amount);
        }
        cash[account] = balance - int256(amount);
        _requireMargin(account, initialMarginBps);
        if (!token.transfer(to, amount)) revert TokenTransferFailed();
        emit Withdrawn(account, to, amount);
    }

    // --------------------------------------------------------------- trades

    /// @inheritdoc IVault
    function trade(
        address account,
        address counterparty,
        uint32 market,
        int256 baseDelta,
        int256 quoteDelta,
        uint256 fee
    ) external onlyOperator whenNotPaused {
        if (!_listed[market]) revert MarketNotListed(market);
        int256 signedFee = int256(fee);
        cash[account] += quoteDelta - signedFee;
        cash[counterparty] -= quoteDelta;
        if (fee != 0) cash[feeRecipient] += signedFee;
        int256 before = _position[account][market];
        _position[account][market] = before + baseDelta;
        int256 counterBefore = _position[counterparty][market];
        int256 counterAfter = counterBefore - baseDelta;
        _position[counterparty][market] = counterAfter;

        _checkAccount(account, before, before + baseDelta);
        if (counterparty == address(this)) {
            _checkInventoryCap(market, counterBefore, counterAfter);
        } else if (counterparty != msg.sender) {
            _checkAccount(counterparty, counterBefore, counterAfter);
        }
    }

    /// @dev A trade that only shrinks the position needs maintenance margin; anything else initial.
    function _checkAccount(address account, int256 before, int256 after_) private view {
        bool reducing = (before >= 0 ? after_ >= 0 && after_ < before : after_ <= 0 && after_ > before);
        _requireMargin(account, reducing ? maintenanceMarginBps : initialMarginBps);
    }

    function _checkInventoryCap(uint32 market, int256 before, int256 after_) private view {
        uint256 cap = inventoryCap[market];
        uint256 size = _abs(after_);
        if (size > cap && size >= _abs(before)) revert InventoryCapExceeded(market, after_, cap);
    }

    function _requireMargin(address account, uint256 ratioBps) private view {
        (int256 value, uint256 required) = _marginState(account, ratioBps);
        if (value < 0 || uint256(value) < required) revert InsufficientMargin(account, value, required);
    }

    /// @dev Marks every position at the oracle. Value rounds down and the requirement rounds up,
    ///      both against the account.
    function _marginState(address account, uint256 ratioBps) private view returns (int256 value, uint256 required) {
        value = cash[account];
        uint256 count = _markets.length;
        for (uint256 i; i < count; ++i) {
            uint32 market = _markets[i];
            int256 pos = _position[account][market];
            if (pos == 0) continue;
            uint256 mark = oracle.price(market);
            uint256 notional = _abs(pos) * mark;
            if (pos > 0) {
                value += int256(notional / priceScale);
            } else {
                value -= int256(_ceilDiv(notional, priceScale));
            }
            if (ratioBps != 0) required += _ceilDiv(notional * ratioBps, priceScale * BPS);
        }
    }

    // ----------------------------------------------------------- parameters

    /// @inheritdoc IVault
    function listMarket(uint32 market, uint256 cap) external onlyOwner {
        if (_listed[market]) revert MarketAlreadyListed(market);
        _listed[market] = true;
        _markets.push(market);
        inventoryCap[market] = cap;
        emit MarketListed(market, cap);
    }

    /// @inheritdoc IVault
    function setInventoryCap(uint32 market, uint256 cap) external onlyOwner {
        if (!_listed[market]) revert MarketNotListed(market);
        inventoryCap[market] = cap;
        emit InventoryCapSet(market, cap);
    }

    /// @inheritdoc IVault
    function setMarginRatios(uint256 initialBps, uint256 maintenanceBps) external onlyOwner {
        _setMarginRatios(initialBps, maintenanceBps);
    }

    /// @inheritdoc IVault
    function setFeeRecipient(address recipient) external onlyOwner {
        _setFeeRecipient(recipient);
    }

    /// @inheritdoc IVault
    function setOperator(address operator, bool allowed) external onlyOwner {
        isOperator[operator] = allowed;
        emit OperatorSet(operator, allowed);
    }

    /// @inheritdoc IVault
    function setPaused(bool paused_) external onlyOwner {
        paused = paused_;
        emit PausedSet(paused_);
    }

    function _setMarginRatios(uint256 initialBps, uint256 maintenanceBps) private {
        if (maintenanceBps == 0 || maintenanceBps > initialBps || initialBps > BPS) {
            revert InvalidMarginRatios(initialBps, maintenanceBps);
        }
        initialMarginBps = initialBps;
        maintenanceMarginBps = maintenanceBps;
        emit MarginRatiosSet(initialBps, maintenanceBps);
    }

    function _setFeeRecipient(address recipient) private {
        if (recipient == address(0)) revert ZeroAddress();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    function _abs(int256 x) private pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
