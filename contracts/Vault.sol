// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault} from "./interfaces/IVault.sol";
import {ICollateralToken} from "./interfaces/ICollateralToken.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {IPerpAmm} from "./interfaces/IPerpAmm.sol";
import {BookLib} from "./libraries/BookLib.sol";
import {VaultLedger} from "./vault/VaultLedger.sol";
import {VaultLiquidation} from "./vault/VaultLiquidation.sol";

/// @title Vault
/// @notice Collateral custody and the signed ledger of every account, with funding and liquidation.
/// @dev The entry points; the shared ledger machinery and the storage live in `VaultLedger`.
contract Vault is VaultLiquidation {
    constructor(
        ICollateralToken token_,
        IPriceOracle oracle_,
        address owner_,
        address feeRecipient_,
        uint256 initialBps,
        uint256 maintenanceBps
    ) VaultLedger(token_, oracle_, owner_) {
        _setFeeRecipient(feeRecipient_);
        _setMarginRatios(initialBps, maintenanceBps);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IVault
    function desk() public view returns (address) {
        return address(this);
    }

    /// @inheritdoc IVault
    function amm() external view returns (IPerpAmm) {
        return _amm;
    }

    /// @inheritdoc IVault
    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @inheritdoc IVault
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc IVault
    function initialMarginBps() external view returns (uint256) {
        return _initialBps;
    }

    /// @inheritdoc IVault
    function maintenanceMarginBps() external view returns (uint256) {
        return _maintenanceBps;
    }

    /// @inheritdoc IVault
    function inventoryCap(uint32 market) external view returns (uint256) {
        return _info[market].cap;
    }

    /// @inheritdoc IVault
    function markets() external view returns (uint32[] memory) {
        return _markets;
    }

    /// @inheritdoc IVault
    function cash(address account) public view returns (int256) {
        return _cashOf(account, _markets);
    }

    /// @inheritdoc IVault
    function position(address account, uint32 market) public view returns (int256) {
        return _positionOf(account, market);
    }

    /// @inheritdoc IVault
    function inventory(uint32 market) external view returns (int256) {
        return position(address(this), market);
    }

    /// @inheritdoc IVault
    function equity(address account) external view returns (int256 value) {
        (value,) = _marginState(account, _ctx(), 0);
    }

    /// @inheritdoc IVault
    function deskNav() external view returns (int256 nav) {
        (nav,) = _marginState(address(this), _ctx(), 0);
    }

    /// @inheritdoc IVault
    function shares() external view returns (address) {
        return _shares;
    }

    /// @inheritdoc IVault
    function marginRequired(address account, uint256 ratioBps) external view returns (uint256 required) {
        (, required) = _marginState(account, _ctx(), ratioBps);
    }

    /// @inheritdoc IVault
    function isLiquidatable(address account) external view returns (bool) {
        Ctx memory c = _ctx();
        bool open;
        for (uint256 i; i < c.markets.length; ++i) {
            if (position(account, c.markets[i]) != 0) open = true;
        }
        if (!open) return false;
        (int256 value, uint256 required) = _marginState(account, c, c.maintenanceBps);
        return value < 0 || uint256(value) < required;
    }

    /// @inheritdoc IVault
    function fundingParams(uint32 market) external view returns (uint256, uint256, uint256) {
        Market memory info = _info[market];
        return (info.fundingPeriod, info.fundingCapBps, info.fundingUnit);
    }

    /// @inheritdoc IVault
    function fundingState(uint32 market) external view returns (int256, int256, uint256) {
        Funding memory f = _funding[market];
        return (f.index, f.premium, f.updatedAt);
    }

    /// @inheritdoc IVault
    function fundingIndex(uint32 market) external view returns (int256) {
        return _indexAt(_funding[market], _info[market].fundingPeriod);
    }

    /// @inheritdoc IVault
    function fundingMarkOf(address account, uint32 market) external view returns (uint256) {
        return _book(account, market) >> 192;
    }

    /// @inheritdoc IVault
    function pendingFunding(address account, uint32 market) external view returns (int256) {
        Ctx memory c = _ctx();
        (uint64 mark, uint256 unit) = _markNow(c, _indexOf(c, market));
        (int256 pos,, uint64 then) = BookLib.unpack(_book(account, market));
        return BookLib.charge(pos, then, mark, unit, priceScale);
    }

    /// @inheritdoc IVault
    function liquidationParams() external view returns (uint256, uint256, uint256) {
        return (_penaltyBps, _liquidatorShareBps, _maxSlippageBps);
    }

    /// @inheritdoc IVault
    function closeFactor() external view returns (uint256, uint256, uint256) {
        return (_liquidationBufferBps, _fullLiquidationBps, _minLiquidationNotional);
    }

    /// @inheritdoc IVault
    function fundingImpact(uint32 market) external view returns (uint256) {
        return _impactNotional[market];
    }

    // ------------------------------------------------------------- custody

    /// @inheritdoc IVault
    function deposit(uint256 amount) external {
        _deposit(msg.sender, msg.sender, amount);
    }

    /// @inheritdoc IVault
    function depositFor(address account, uint256 amount) external {
        _deposit(account, msg.sender, amount);
    }

    /// @inheritdoc IVault
    function withdraw(uint256 amount) external {
        _withdraw(msg.sender, msg.sender, amount);
    }

    /// @inheritdoc IVault
    function shareDeposit(address from, uint256 amount) external onlyShares {
        _deposit(address(this), from, amount);
    }

    /// @inheritdoc IVault
    function sharePayout(address to, uint256 amount) external onlyShares {
        _withdraw(address(this), to, amount);
    }

    /// @inheritdoc IVault
    function withdrawAmm(address to, uint256 amount) external onlyOwner {
        _withdraw(address(_amm), to, amount);
    }

    /// @inheritdoc IVault
    function withdrawInsurance(address to, uint256 amount) external onlyOwner {
        _withdraw(insuranceFund, to, amount);
    }

    /// @dev Cash enters through the home book (the first listed market); a home book holding a
    ///      position settles its funding first, a flat one needs no index.
    function _deposit(address account, address from, uint256 amount) private whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountOutOfRange(amount);
        if (!token.transferFrom(from, address(this), amount)) revert TokenTransferFailed();
        if (_markets.length == 0) revert MarketNotListed(0);
        uint32 home = _markets[0];
        (int256 pos, int256 c, uint64 then) = BookLib.unpack(_book(account, home));
        if (pos == 0) {
            _setBook(account, home, BookLib.pack(0, c + int256(amount), then));
        } else {
            Ctx memory ctx = _ctx();
            (uint64 mark, uint256 unit) = _accrue(ctx, 0);
            (, int256 charged,) = _apply(account, home, 0, int256(amount), mark, unit);
            Charges memory ch = _newCharges(1);
            _note(ch, account, charged);
            _closeCharges(home, ch, mark, unit);
        }
        emit Deposited(account, from, amount);
    }

    /// @dev Settles the account's funding everywhere, then pays out through the home book, which
    ///      may go negative while the account's total cash covers the amount.
    function _withdraw(address account, address to, uint256 amount) private whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Ctx memory c = _ctx();
        if (c.markets.length == 0) revert MarketNotListed(0);
        _settleAll(account, c);
        int256 balance = _cashOf(account, c.markets);
        if (amount > MAX_AMOUNT || balance < int256(amount)) revert InsufficientCash(account, balance, amount);
        uint32 home = c.markets[0];
        (int256 pos, int256 homeCash, uint64 then) = BookLib.unpack(_book(account, home));
        _setBook(account, home, BookLib.pack(pos, homeCash - int256(amount), then));
        _requireMargin(account, c, c.initialBps);
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
        Ctx memory c = _ctx();
        (uint64 mark, uint256 unit) = _accrue(c, _indexOf(c, market));
        Charges memory ch = _newCharges(3);
        (int256 before, int256 charged,) = _apply(account, market, baseDelta, quoteDelta - _int(fee), mark, unit);
        _note(ch, account, charged);
        (int256 counterBefore, int256 counterCharged,) = _apply(counterparty, market, -baseDelta, -quoteDelta, mark, unit);
        _note(ch, counterparty, counterCharged);
        if (fee != 0) {
            (, int256 feeCharged,) = _apply(_feeRecipient, market, 0, int256(fee), mark, unit);
            _note(ch, _feeRecipient, feeCharged);
        }
        _closeCharges(market, ch, mark, unit);
        _check(account, market, c, before, before + baseDelta);
        _check(counterparty, market, c, counterBefore, counterBefore - baseDelta);
    }

    /// @inheritdoc IVault
    function book(uint32 market, bytes calldata legs)
        external
        onlyOperator
        whenNotPaused
        returns (int256[] memory charges)
    {
        Ctx memory c = _ctx();
        (uint64 mark, uint256 unit) = _accrue(c, _indexOf(c, market));
        // With a single listed market an account's whole equity is the book being written, and the
        // market being booked must have a fresh price: `_bookLeg` checks margin from the word.
        bool single = c.markets.length == 1;
        Leg memory leg =
            Leg(market, mark, unit, single ? _price(c, 0) : 0, c.initialBps, c.maintenanceBps, 0, 0, 0, 0, priceScale, 0, 0, 0);
        uint256 count = legs.length >> 7;
        charges = new int256[](count);
        if (single) {
            _bookLegs(legs, 0, count, leg, charges);
        } else {
            for (uint256 k; k < count; ++k) {
                (address account, int256 before, int256 after_) = _bookLegs(legs, k, k + 1, leg, charges);
                _requireMargin(account, c, BookLib.isReducing(before, after_) ? c.maintenanceBps : c.initialBps);
            }
        }
        Charges memory ch = _newCharges(2);
        ch.total = leg.charged;
        if (leg.fees != 0) {
            (, int256 feeCharged,) = _apply(_feeRecipient, market, 0, _int(leg.fees), mark, unit);
            _note(ch, _feeRecipient, feeCharged);
        }
        (int256 deskBefore, int256 deskCharged,) = _apply(address(this), market, leg.deskBase, leg.deskQuote, mark, unit);
        _note(ch, address(this), deskCharged);
        _closeCharges(market, ch, mark, unit);
        _check(address(this), market, c, deskBefore, deskBefore + leg.deskBase);
    }

    /// @dev What every leg of a `book` call shares, the desk's side of them and their funding,
    ///      summed. Offsets: market 0, mark 0x20, unit 0x40, price 0x60, initialBps 0x80,
    ///      maintenanceBps 0xa0, deskBase 0xc0, deskQuote 0xe0, fees 0x100, charged 0x120,
    ///      scale 0x140, and a failure's values: failure 0x160, errorA 0x180, errorB 0x1a0.
    struct Leg {
        uint32 market;
        uint64 mark;
        uint256 unit;
        uint256 price; // nonzero: a single listed market, whose margin the leg checks itself
        uint256 initialBps;
        uint256 maintenanceBps;
        int256 deskBase;
        int256 deskQuote;
        uint256 fees;
        int256 charged;
        uint256 scale;
        uint256 failure; // 1: AmountOutOfRange(errorA), 2: InsufficientMargin(account, errorA, errorB)
        uint256 errorA;
        uint256 errorB;
    }

    /// @dev Legs `from` to `to` of `book`, written out for the hot path: for each, `_apply` for its
    ///      account, its charge into `charges[k]` and, with a single market, the margin check
    ///      (initial, or maintenance for a leg that only shrinks the position) from the book's
    ///      word, with BookLib's rounding. A leg's four words are `uint160(account) | isBuy << 255`,
    ///      size, notional, fee. Returns the last leg's account and its position before and after.
    function _bookLegs(bytes calldata legs, uint256 from, uint256 to, Leg memory leg, int256[] memory charges)
        private
        returns (address account, int256 before, int256 after_)
    {
        assembly ("memory-safe") {
            function book(p, leg_, charge_) -> fail_, who_, was_, now_ {
                let head := calldataload(p)
                who_ := and(head, 0xffffffffffffffffffffffffffffffffffffffff)
                let size := calldataload(add(p, 0x20))
                let notional := calldataload(add(p, 0x40))
                let fee := calldataload(add(p, 0x60))
                let max := 0x7fffffffffffffffffffffff // int96 max
                if gt(or(or(size, notional), fee), max) {
                    let bad := fee
                    if gt(notional, max) { bad := notional }
                    if gt(size, max) { bad := size }
                    mstore(add(leg_, 0x160), 1)
                    mstore(add(leg_, 0x180), bad)
                    fail_ := 1
                    leave
                }
                // a buy: +size and -notional; a sell: -size and +notional
                let sign := sub(shl(1, shr(255, head)), 1)
                let base := mul(size, sign)
                let quote := sub(0, mul(notional, sign))
                // the book: keccak256(account ‖ market ‖ BOOKS)
                let ptr := mload(0x40)
                mstore(ptr, who_)
                mstore(add(ptr, 0x20), mload(leg_))
                mstore(add(ptr, 0x40), 0x1ae7fbd97eade76237dffcde2ad0825ec0656a95f0998be37f9f1e437e1dd854)
                let slot := keccak256(ptr, 0x60)
                let old := sload(slot)
                was_ := signextend(11, old)
                // BookLib.charge: position x mark difference (mod 2^64, signed) x unit / scale, rounded up
                let mark := mload(add(leg_, 0x20))
                let scale := mload(add(leg_, 0x140))
                let owed := mul(mul(was_, signextend(7, sub(mark, shr(192, old)))), mload(add(leg_, 0x40)))
                let charged := sdiv(add(owed, mul(sgt(owed, 0), sub(scale, 1))), scale)
                now_ := add(was_, base)
                let bal := sub(sub(add(signextend(11, shr(96, old)), quote), fee), charged)
                if or(iszero(eq(signextend(11, now_), now_)), iszero(eq(signextend(11, bal), bal))) {
                    let bad := bal
                    if iszero(eq(signextend(11, now_), now_)) { bad := now_ }
                    if slt(bad, 0) { bad := sub(0, bad) }
                    mstore(add(leg_, 0x160), 1)
                    mstore(add(leg_, 0x180), bad)
                    fail_ := 1
                    leave
                }
                let mask := 0xffffffffffffffffffffffff
                sstore(slot, or(or(and(now_, mask), shl(96, and(bal, mask))), shl(192, mark)))
                // the charge for the caller; the sums for the desk, the fee recipient and the pool
                mstore(charge_, charged)
                mstore(add(leg_, 0x120), add(mload(add(leg_, 0x120)), charged))
                mstore(add(leg_, 0xc0), sub(mload(add(leg_, 0xc0)), base))
                mstore(add(leg_, 0xe0), sub(mload(add(leg_, 0xe0)), quote))
                mstore(add(leg_, 0x100), add(mload(add(leg_, 0x100)), fee))
                // margin from the word: cash plus the position marked (rounded down: against the account)
                let price := mload(add(leg_, 0x60))
                if price {
                    let x := mul(now_, price)
                    let value := add(bal, sub(sdiv(x, scale), and(slt(x, 0), iszero(iszero(smod(x, scale))))))
                    // a leg that only shrinks the position needs maintenance, any other initial
                    let ratio := mload(add(leg_, 0x80))
                    if and(iszero(slt(mul(now_, was_), 0)), lt(mul(now_, now_), mul(was_, was_))) {
                        ratio := mload(add(leg_, 0xa0))
                    }
                    if slt(x, 0) { x := sub(0, x) }
                    let required := 0
                    if x { required := add(div(sub(mul(x, ratio), 1), mul(scale, 10000)), 1) }
                    if or(slt(value, 0), lt(value, required)) {
                        mstore(add(leg_, 0x160), 2)
                        mstore(add(leg_, 0x180), value)
                        mstore(add(leg_, 0x1a0), required)
                        fail_ := 1
                    }
                }
            }
            for { let k := from } lt(k, to) { k := add(k, 1) } {
                let fail := 0
                fail, account, before, after_ := book(add(legs.offset, shl(7, k)), leg, add(charges, shl(5, add(k, 1))))
                if fail { break }
            }
        }
        uint256 failure = leg.failure;
        if (failure == 1) revert AmountOutOfRange(leg.errorA);
        if (failure == 2) revert InsufficientMargin(account, int256(leg.errorA), leg.errorB);
    }

    // ------------------------------------------------------------- funding

    /// @inheritdoc IVault
    function updateFunding(uint32 market) external {
        Ctx memory c = _ctx();
        _accrue(c, _indexOf(c, market));
    }

    // ----------------------------------------------------------- parameters

    /// @inheritdoc IVault
    function listMarket(uint32 market, uint256 cap) external onlyOwner {
        if (market == type(uint32).max) revert InvalidMarket(market);
        if (_info[market].listed) revert MarketAlreadyListed(market);
        if (cap > type(uint96).max) revert AmountOutOfRange(cap);
        _info[market] = Market(true, uint96(cap), 0, 0, 0);
        _markets.push(market);
        emit MarketListed(market, cap);
    }

    /// @inheritdoc IVault
    function setInventoryCap(uint32 market, uint256 cap) external onlyOwner {
        if (!_info[market].listed) revert MarketNotListed(market);
        if (cap > type(uint96).max) revert AmountOutOfRange(cap);
        _info[market].cap = uint96(cap);
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
        _paused = paused_;
        emit PausedSet(paused_);
    }

    /// @inheritdoc IVault
    function setShares(address shares_) external onlyOwner {
        if (_shares != address(0)) revert SharesAlreadySet();
        if (shares_ == address(0)) revert ZeroAddress();
        _shares = shares_;
        emit SharesSet(shares_);
    }

    /// @inheritdoc IVault
    function setAmm(IPerpAmm amm_) external onlyOwner {
        if (address(_amm) != address(0)) revert AmmAlreadySet();
        if (address(amm_) == address(0)) revert ZeroAddress();
        _amm = amm_;
        emit AmmSet(address(amm_));
    }

    /// @inheritdoc IVault
    /// @dev The index is brought up to now under the old parameters, then the premium is sampled
    ///      under the new ones.
    function setFunding(uint32 market, uint256 period, uint256 capBps) external onlyOwner {
        if ((period != 0 && (period < MIN_FUNDING_PERIOD || period > MAX_FUNDING_PERIOD)) || capBps > BPS) {
            revert InvalidFundingParams(period, capBps);
        }
        Ctx memory c = _ctx();
        uint256 i = _indexOf(c, market);
        _accrue(c, i);
        Market storage info = _info[market];
        if (info.fundingUnit == 0 && period != 0) {
            (uint256 price,) = oracle.latest(market);
            uint256 unit = price / FUNDING_RESOLUTION;
            if (price == 0 || unit > type(uint96).max) revert FundingUnitUnavailable(market, price);
            info.fundingUnit = uint96(unit == 0 ? 1 : unit);
        }
        (info.fundingPeriod, info.fundingCapBps) = (uint32(period), uint16(capBps));
        _accrue(c, i);
        emit FundingParamsSet(market, period, capBps, info.fundingUnit);
    }

    /// @inheritdoc IVault
    function setFundingImpact(uint32 market, uint256 notional) external onlyOwner {
        if (notional > MAX_AMOUNT) revert AmountOutOfRange(notional);
        Ctx memory c = _ctx();
        uint256 i = _indexOf(c, market);
        _accrue(c, i);
        _impactNotional[market] = notional;
        _accrue(c, i);
        emit FundingImpactSet(market, notional);
    }

    /// @inheritdoc IVault
    function setLiquidationParams(uint256 penaltyBps, uint256 liquidatorShareBps, uint256 maxSlippageBps)
        external
        onlyOwner
    {
        if (penaltyBps > MAX_PENALTY_BPS || liquidatorShareBps > BPS || maxSlippageBps > MAX_SLIPPAGE_BPS) {
            revert InvalidLiquidationParams(penaltyBps, liquidatorShareBps, maxSlippageBps);
        }
        (_penaltyBps, _liquidatorShareBps, _maxSlippageBps) =
            (uint16(penaltyBps), uint16(liquidatorShareBps), uint16(maxSlippageBps));
        emit LiquidationParamsSet(penaltyBps, liquidatorShareBps, maxSlippageBps);
    }

    /// @inheritdoc IVault
    function setCloseFactor(uint256 bufferBps, uint256 fullLiquidationBps, uint256 minNotional) external onlyOwner {
        if (bufferBps > MAX_LIQUIDATION_BUFFER_BPS || fullLiquidationBps > MAX_FULL_LIQUIDATION_BPS || minNotional > MAX_AMOUNT) {
            revert InvalidCloseFactor(bufferBps, fullLiquidationBps, minNotional);
        }
        (_liquidationBufferBps, _fullLiquidationBps) = (uint16(bufferBps), uint16(fullLiquidationBps));
        _minLiquidationNotional = minNotional;
        emit CloseFactorSet(bufferBps, fullLiquidationBps, minNotional);
    }

    function _setMarginRatios(uint256 initialBps, uint256 maintenanceBps) private {
        if (maintenanceBps == 0 || maintenanceBps > initialBps || initialBps > BPS) {
            revert InvalidMarginRatios(initialBps, maintenanceBps);
        }
        (_initialBps, _maintenanceBps) = (uint16(initialBps), uint16(maintenanceBps));
        emit MarginRatiosSet(initialBps, maintenanceBps);
    }

    function _setFeeRecipient(address recipient) private {
        if (recipient == address(0)) revert ZeroAddress();
        _feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }
}
