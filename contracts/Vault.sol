// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault, Booking} from "./interfaces/IVault.sol";
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

    /// @dev Per account and market: position (low 128 bits) and cash (high 128 bits), both signed,
    ///      in one slot, so a fill reads and writes a single cold slot per trader. An account's cash is the sum over its books; deposits and
    ///      withdrawals go through the book of the first listed market (the home book).
    mapping(address => mapping(uint32 => uint256)) private _books;
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

    /// @dev Oracle marks read during one call, loaded on first use (the oracle cannot change
    ///      within a call: the Vault makes no calls but these static reads).
    struct Marks {
        uint32[] markets;
        uint256[] prices;
        uint256 initialBps;
        uint256 maintenanceBps;
        uint256 knownIndex; // the market whose book word is already in hand, or type(uint256).max
        uint256 knownWord;
    }

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
    function cash(address account) public view returns (int256 total) {
        uint256 count = _markets.length;
        for (uint256 i; i < count; ++i) {
            (, int256 c) = _unpack(_books[account][_markets[i]]);
            total += c;
        }
    }

    /// @inheritdoc IVault
    function position(address account, uint32 market) external view returns (int256) {
        (int256 pos,) = _unpack(_books[account][market]);
        return pos;
    }

    /// @inheritdoc IVault
    function inventory(uint32 market) external view returns (int256) {
        (int256 pos,) = _unpack(_books[address(this)][market]);
        return pos;
    }

    /// @inheritdoc IVault
    function markets() external view returns (uint32[] memory) {
        return _markets;
    }

    /// @inheritdoc IVault
    function equity(address account) external view returns (int256 value) {
        (value,) = _marginState(account, _newMarks(), 0);
    }

    /// @inheritdoc IVault
    function marginRequired(address account, uint256 ratioBps) external view returns (uint256 required) {
        (, required) = _marginState(account, _newMarks(), ratioBps);
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
        _move(account, _homeMarket(), 0, int256(amount));
        emit Deposited(account, msg.sender, amount);
    }

    /// @dev Cash leaves through the home book, which may go negative while the account's total
    ///      cash covers the amount.
    function _withdraw(address account, address to, uint256 amount) private whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        int256 balance = cash(account);
        if (amount > uint256(uint128(type(int128).max)) || balance < int256(amount)) {
            revert InsufficientCash(account, balance, amount);
        }
        _move(account, _homeMarket(), 0, -int256(amount));
        Marks memory marks = _newMarks();
        _requireMargin(account, marks, marks.initialBps);
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
        Marks memory marks = _newMarks();
        _indexOf(marks, market);
        (int256 before,) = _move(account, market, baseDelta, quoteDelta - int256(fee));
        (int256 counterBefore,) = _move(counterparty, market, -baseDelta, -quoteDelta);
        if (fee != 0) _move(feeRecipient, market, 0, int256(fee));

        _checkAccount(account, marks, before, before + baseDelta);
        int256 counterAfter = counterBefore - baseDelta;
        if (counterparty == address(this)) {
            _checkInventoryCap(market, counterBefore, counterAfter);
        } else if (counterparty != msg.sender) {
            _checkAccount(counterparty, marks, counterBefore, counterAfter);
        }
    }

    /// @inheritdoc IVault
    function book(uint32 market, Booking[] calldata bookings) external onlyOperator whenNotPaused {
        Marks memory marks = _newMarks();
        uint256 idx = _indexOf(marks, market);
        // With a single listed market an account's whole equity is the book being written, so the
        // margin check needs no further storage reads.
        bool single = marks.markets.length == 1;
        uint256 mark = single ? _mark(marks, 0) : 0;
        int256 deskBase;
        int256 deskQuote;
        uint256 fees;
        for (uint256 i; i < bookings.length; ++i) {
            Booking calldata b = bookings[i];
            (int256 baseDelta, int256 quoteDelta, uint256 fee) = (b.baseDelta, b.quoteDelta, b.fee);
            (int256 before, uint256 word) = _move(b.account, market, baseDelta, quoteDelta - int256(fee));
            deskBase -= baseDelta;
            deskQuote -= quoteDelta;
            fees += fee;
            int256 after_ = before + baseDelta;
            uint256 ratio = _isReducing(before, after_) ? marks.maintenanceBps : marks.initialBps;
            if (single) {
                (int256 value, uint256 required) = _bookMargin(word, mark, ratio);
                if (value < 0 || uint256(value) < required) revert InsufficientMargin(b.account, value, required);
            } else {
                marks.knownIndex = idx;
                marks.knownWord = word;
                _requireMargin(b.account, marks, ratio);
            }
        }
        if (fees != 0) _move(feeRecipient, market, 0, int256(fees));
        (int256 deskBefore,) = _move(address(this), market, deskBase, deskQuote);
        _checkInventoryCap(market, deskBefore, deskBefore + deskBase);
    }

    /// @dev Applies deltas to one book in a single slot write; returns the position before.
    function _move(address account, uint32 market, int256 baseDelta, int256 cashDelta)
        private
        returns (int256 before, uint256 word)
    {
        int256 cashBefore;
        (before, cashBefore) = _unpack(_books[account][market]);
        word = _pack(before + baseDelta, cashBefore + cashDelta);
        _books[account][market] = word;
    }

    function _checkAccount(address account, Marks memory marks, int256 before, int256 after_) private view {
        _requireMargin(account, marks, _isReducing(before, after_) ? marks.maintenanceBps : marks.initialBps);
    }

    /// @dev A trade that only shrinks the position needs maintenance margin; anything else initial.
    function _isReducing(int256 before, int256 after_) private pure returns (bool) {
        return before >= 0 ? after_ >= 0 && after_ < before : after_ <= 0 && after_ > before;
    }

    function _checkInventoryCap(uint32 market, int256 before, int256 after_) private view {
        uint256 cap = inventoryCap[market];
        uint256 size = _abs(after_);
        if (size > cap && size >= _abs(before)) revert InventoryCapExceeded(market, after_, cap);
    }

    function _requireMargin(address account, Marks memory marks, uint256 ratioBps) private view {
        (int256 value, uint256 required) = _marginState(account, marks, ratioBps);
        if (value < 0 || uint256(value) < required) revert InsufficientMargin(account, value, required);
    }

    /// @dev Marks every position at the oracle. Value rounds down and the requirement rounds up,
    ///      both against the account.
    function _marginState(address account, Marks memory marks, uint256 ratioBps)
        private
        view
        returns (int256 value, uint256 required)
    {
        uint256 count = marks.markets.length;
        for (uint256 i; i < count; ++i) {
            uint256 word = i == marks.knownIndex ? marks.knownWord : _books[account][marks.markets[i]];
            if (word == 0) continue;
            (int256 v, uint256 r) = _bookMargin(word, _mark(marks, i), ratioBps);
            value += v;
            required += r;
        }
    }

    /// @dev One book's value and requirement at `mark`; a flat book needs no price.
    function _bookMargin(uint256 word, uint256 mark, uint256 ratioBps) private view returns (int256 value, uint256 required) {
        (int256 pos, int256 c) = _unpack(word);
        value = c;
        if (pos == 0) return (value, 0);
        uint256 amount = _abs(pos) * mark;
        if (pos > 0) {
            value += int256(amount / priceScale);
        } else {
            value -= int256(_ceilDiv(amount, priceScale));
        }
        if (ratioBps != 0) required = _ceilDiv(amount * ratioBps, priceScale * BPS);
    }

    function _newMarks() private view returns (Marks memory marks) {
        marks.markets = _markets;
        marks.prices = new uint256[](marks.markets.length);
        (marks.initialBps, marks.maintenanceBps) = (initialMarginBps, maintenanceMarginBps);
        marks.knownIndex = type(uint256).max;
    }

    function _mark(Marks memory marks, uint256 i) private view returns (uint256 price) {
        price = marks.prices[i];
        if (price == 0) {
            price = oracle.price(marks.markets[i]);
            marks.prices[i] = price;
        }
    }

    function _indexOf(Marks memory marks, uint32 market) private pure returns (uint256) {
        uint256 count = marks.markets.length;
        for (uint256 i; i < count; ++i) {
            if (marks.markets[i] == market) return i;
        }
        revert MarketNotListed(market);
    }

    function _homeMarket() private view returns (uint32) {
        if (_markets.length == 0) revert MarketNotListed(0);
        return _markets[0];
    }

    function _pack(int256 pos, int256 c) private pure returns (uint256) {
        return uint256(uint128(_toInt128(pos))) | (uint256(uint128(_toInt128(c))) << 128);
    }

    function _unpack(uint256 word) private pure returns (int256 pos, int256 c) {
        pos = int128(uint128(word));
        c = int128(uint128(word >> 128));
    }

    function _toInt128(int256 x) private pure returns (int128) {
        if (x > type(int128).max || x < type(int128).min) revert AmountOutOfRange(_abs(x));
        return int128(x);
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
