// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVault, IVaultAdmin} from "./interfaces/IVault.sol";
import {ICollateralToken} from "./interfaces/ICollateralToken.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {IPerpAmm} from "./interfaces/IPerpAmm.sol";
import {BookLib} from "./libraries/BookLib.sol";
import {VaultLedger} from "./vault/VaultLedger.sol";

/// @title Vault
/// @notice Collateral custody and the signed ledger of every account, with funding, the orders'
///         nonces and liquidation.
/// @dev The entry points a fill, a trade or a deposit runs, and every view; the shared ledger
///      machinery and the storage live in `VaultLedger`. The cold half (`IVaultAdmin`: liquidation,
///      a nonce's cancel, parameters) runs in `VaultModule`, by delegatecall in this storage, so
///      neither contract passes EIP-170's 24,576 bytes.
contract Vault is VaultLedger, IVault {
    /// @dev The `VaultModule` the `IVaultAdmin` functions run in.
    address private immutable _module;

    constructor(
        ICollateralToken token_,
        IPriceOracle oracle_,
        address owner_,
        address feeRecipient_,
        uint256 initialBps,
        uint256 maintenanceBps,
        address module_
    ) VaultLedger(token_, oracle_, owner_) {
        if (module_ == address(0)) revert ZeroAddress();
        _module = module_;
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
        (,, uint64 mark) = BookLib.unpack(_book(account, market));
        return mark;
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

    /// @inheritdoc IVault
    function nonceState(address trader, uint256 nonce) external view returns (uint8) {
        return uint8(_nonceState(trader, nonce));
    }

    /// @inheritdoc IVault
    function filledOf(bytes32 digest) external view returns (uint256) {
        return _filled[digest];
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

    /// @dev Cash enters through the home book (the first listed market); a home book holding a
    ///      position settles its funding first, a flat one needs no index.
    function _deposit(address account, address from, uint256 amount) private whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountOutOfRange(amount);
        if (!token.transferFrom(from, address(this), amount)) revert TokenTransferFailed();
        if (_markets.length == 0) revert MarketNotListed(0);
        uint32 home = _markets[0];
        uint256 old = _book(account, home);
        (int256 pos, int256 c, uint64 then) = BookLib.unpack(old);
        if (pos == 0) {
            _setBook(account, home, BookLib.pack(old, 0, c + int256(amount), then));
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
        (Ctx memory c, uint256 i) = _ctxFor(market);
        (uint64 mark, uint256 unit) = _accrue(c, i);
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
        (Ctx memory c, uint256 i) = _ctxFor(market);
        (uint64 mark, uint256 unit) = _accrue(c, i);
        // With a single listed market an account's whole equity is the book being written, and the
        // market being booked must have a fresh price: `_bookLegs` checks margin from the word.
        bool single = c.markets.length == 1;
        Leg memory leg = Leg(
            market, mark, unit, single ? _price(c, 0) : 0, c.initialBps, c.maintenanceBps, 0, 0, 0, 0, priceScale, 0, 0, 0, 0
        );
        uint256 count = legs.length / LEG_BYTES;
        charges = new int256[](count);
        if (single) {
            _bookLegs(legs, 0, count, leg, charges);
        } else {
            for (uint256 k; k < count; ++k) {
                (address account, int256 before, int256 after_, bool traded) = _bookLegs(legs, k, k + 1, leg, charges);
                if (traded) {
                    _requireMargin(account, c, BookLib.isReducing(before, after_) ? c.maintenanceBps : c.initialBps);
                }
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
        // the charges as `int256[]`, in place (the word before the array is free: `charges`
        // was allocated after `c` and `leg`, and nothing is read from memory after this)
        assembly ("memory-safe") {
            let head := sub(charges, 0x20)
            mstore(head, 0x20)
            return(head, add(0x40, shl(5, mload(charges))))
        }
    }

    /// @dev The bytes of one leg of `book`: five words.
    uint256 private constant LEG_BYTES = 0xa0;

    /// @dev What every leg of a `book` call shares, the desk's side of them and their funding,
    ///      summed. Offsets: market 0, mark 0x20, unit 0x40, price 0x60, initialBps 0x80,
    ///      maintenanceBps 0xa0, deskBase 0xc0, deskQuote 0xe0, fees 0x100, charged 0x120,
    ///      scale 0x140, and a failure's values: failure 0x160, errorA 0x180, errorB 0x1a0,
    ///      digest 0x1c0.
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
        // 1 AmountOutOfRange(errorA), 2 InsufficientMargin(account, errorA, errorB),
        // 3 OrderAlreadyFilled(digest), 4 OrderIsCancelled(digest), 5 Overfill(digest, errorA, errorB)
        uint256 failure;
        uint256 errorA;
        uint256 errorB;
        bytes32 digest;
    }

    /// @dev Legs `from` to `to` of `book`, written out for the hot path. For each: its nonce (in
    ///      the book's word when the book caches its block, else where `IVault`'s notes say),
    ///      then, with a size, `_apply` for its account in the same word, its charge into
    ///      `charges[k]` and, with a single market, the margin check (initial, or maintenance for
    ///      a leg that only shrinks the position) from the word, with BookLib's rounding. Returns
    ///      the last leg's account, its position before and after, and whether it traded.
    function _bookLegs(bytes calldata legs, uint256 from, uint256 to, Leg memory leg, int256[] memory charges)
        private
        returns (address account, int256 before, int256 after_, bool traded)
    {
        assembly ("memory-safe") {
            // the slot of `who`'s 128-nonce word `index`: keccak256(who ‖ index ‖ NONCE_WORDS)
            function nonceWord(who, index) -> slot {
                let ptr := mload(0x40)
                mstore(ptr, who)
                mstore(add(ptr, 0x20), index)
                mstore(add(ptr, 0x40), 0x687f83f2cfceda8a3b21a13db7a6ad74aa863f5c1fc3feca6719084bf255801d)
                slot := keccak256(ptr, 0x60)
            }
            // a fill of `amount` of an order of `orderSize` in nonce `state`: its new state, or a failure
            // (`p`: the leg, its order's digest at `p + 0x60`, read only when needed)
            function record(state, p, sizes, leg_) -> fail_, newState {
                if gt(state, 1) {
                    mstore(add(leg_, 0x160), add(1, state)) // FILLED: 3, CANCELLED: 4
                    mstore(add(leg_, 0x1c0), calldataload(add(p, 0x60)))
                    fail_ := 1
                    leave
                }
                let amount := and(sizes, 0xffffffffffffffffffffffffffffffff)
                // _filled[digest]: read for an order filled in part, written unless filled whole at once
                let slot := 0
                let prior := 0
                if state {
                    mstore(0, calldataload(add(p, 0x60)))
                    mstore(0x20, _filled.slot)
                    slot := keccak256(0, 0x40)
                    prior := sload(slot)
                }
                let left := sub(shr(128, sizes), prior)
                if gt(amount, left) {
                    mstore(add(leg_, 0x160), 5)
                    mstore(add(leg_, 0x180), amount)
                    mstore(add(leg_, 0x1a0), left)
                    mstore(add(leg_, 0x1c0), calldataload(add(p, 0x60)))
                    fail_ := 1
                    leave
                }
                newState := add(1, eq(amount, left)) // 1 PARTIAL, or 2 FILLED when nothing is left
                if or(eq(newState, 1), prior) {
                    if iszero(slot) {
                        mstore(0, calldataload(add(p, 0x60)))
                        mstore(0x20, _filled.slot)
                        slot := keccak256(0, 0x40)
                    }
                    sstore(slot, add(prior, amount))
                }
            }
            // the leg's nonce: recorded in the book's cached block (the word's top 32 bits: block |
            // states << 16) when it is there; returns those 32 bits as they are to be written
            function useNonce(p, who, market, old, leg_) -> fail_, window {
                let sizes := calldataload(add(p, 0x40))
                let nonce := calldataload(add(p, 0x80))
                let low := and(nonce, 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                window := shr(224, old)
                switch and(eq(shr(224, nonce), market), lt(low, 0x80000))
                case 1 {
                    let blk := shr(3, low)
                    let cached := and(window, 0xffff)
                    let states := shr(16, window)
                    if iszero(eq(cached, blk)) {
                        // write the cached block back into its word, read the nonce's block from its own
                        if states {
                            let back := nonceWord(who, or(shl(217, market), shr(4, cached)))
                            let off := shl(4, and(cached, 15))
                            sstore(back, or(and(sload(back), not(shl(off, 0xffff))), shl(off, states)))
                        }
                        let word := sload(nonceWord(who, or(shl(217, market), shr(4, blk))))
                        states := and(shr(shl(4, and(blk, 15)), word), 0xffff)
                        cached := blk
                    }
                    let shift := shl(1, and(low, 7))
                    let state := and(shr(shift, states), 3)
                    let newState := 0
                    fail_, newState := record(state, p, sizes, leg_)
                    if fail_ { leave }
                    window := or(cached, shl(16, xor(states, shl(shift, xor(state, newState)))))
                }
                default {
                    // the nonce's namespace caches it in another book, or its 128-nonce word holds it
                    let at := 0
                    let shift := 0
                    if lt(low, 0x80000) {
                        let ptr := mload(0x40)
                        mstore(ptr, who)
                        mstore(add(ptr, 0x20), shr(224, nonce))
                        mstore(add(ptr, 0x40), 0x1ae7fbd97eade76237dffcde2ad0825ec0656a95f0998be37f9f1e437e1dd854)
                        at := keccak256(ptr, 0x60)
                        shift := add(240, shl(1, and(low, 7)))
                        if iszero(eq(and(shr(224, sload(at)), 0xffff), shr(3, low))) { at := 0 }
                    }
                    if iszero(at) {
                        at := nonceWord(who, shr(7, nonce))
                        shift := shl(1, and(nonce, 127))
                    }
                    let word := sload(at)
                    let state := and(shr(shift, word), 3)
                    let newState := 0
                    fail_, newState := record(state, p, sizes, leg_)
                    if fail_ { leave }
                    sstore(at, xor(word, shl(shift, xor(state, newState))))
                }
            }
            function book(p, leg_, charge_) -> fail_, who_, was_, now_, traded_ {
                let head := calldataload(p)
                who_ := and(head, 0xffffffffffffffffffffffffffffffffffffffff)
                let fee := and(shr(160, head), 0x7fffffffffffffffffffffff)
                let amounts := calldataload(add(p, 0x20))
                let size := shr(128, amounts)
                let notional := and(amounts, 0xffffffffffffffffffffffffffffffff)
                let max := 0x7fffffffffffffffffffff // int88 max
                if gt(or(or(size, notional), fee), max) {
                    let bad := fee
                    if gt(notional, max) { bad := notional }
                    if gt(size, max) { bad := size }
                    mstore(add(leg_, 0x160), 1)
                    mstore(add(leg_, 0x180), bad)
                    fail_ := 1
                    leave
                }
                // the book: keccak256(account ‖ market ‖ BOOKS)
                let market := mload(leg_)
                let ptr := mload(0x40)
                mstore(ptr, who_)
                mstore(add(ptr, 0x20), market)
                mstore(add(ptr, 0x40), 0x1ae7fbd97eade76237dffcde2ad0825ec0656a95f0998be37f9f1e437e1dd854)
                let slot := keccak256(ptr, 0x60)
                let old := sload(slot)
                was_ := signextend(10, old)
                let window := 0
                fail_, window := useNonce(p, who_, market, old, leg_)
                if fail_ { leave }
                if iszero(size) {
                    // no internal leg: the nonce only
                    if iszero(eq(window, shr(224, old))) {
                        sstore(slot, or(and(old, 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffff), shl(224, window)))
                    }
                    now_ := was_
                    leave
                }
                traded_ := 1
                // a buy: +size and -notional; a sell: -size and +notional
                let sign := sub(shl(1, shr(255, head)), 1)
                let base := mul(size, sign)
                let quote := sub(0, mul(notional, sign))
                // BookLib.charge: position x mark difference (mod 2^48, signed) x unit / scale, rounded up
                let mark := mload(add(leg_, 0x20))
                let scale := mload(add(leg_, 0x140))
                let owed := mul(mul(was_, signextend(5, sub(mark, shr(176, old)))), mload(add(leg_, 0x40)))
                let charged := sdiv(add(owed, mul(sgt(owed, 0), sub(scale, 1))), scale)
                now_ := add(was_, base)
                let bal := sub(sub(add(signextend(10, shr(88, old)), quote), fee), charged)
                if or(iszero(eq(signextend(10, now_), now_)), iszero(eq(signextend(10, bal), bal))) {
                    let bad := bal
                    if iszero(eq(signextend(10, now_), now_)) { bad := now_ }
                    if slt(bad, 0) { bad := sub(0, bad) }
                    mstore(add(leg_, 0x160), 1)
                    mstore(add(leg_, 0x180), bad)
                    fail_ := 1
                    leave
                }
                let mask := 0xffffffffffffffffffffff
                let ledger := or(or(and(now_, mask), shl(88, and(bal, mask))), shl(176, and(mark, 0xffffffffffff)))
                sstore(slot, or(ledger, shl(224, window)))
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
                fail, account, before, after_, traded := book(add(legs.offset, mul(k, 0xa0)), leg, add(charges, shl(5, add(k, 1))))
                if fail { break }
            }
        }
        uint256 failure = leg.failure;
        if (failure == 1) revert AmountOutOfRange(leg.errorA);
        if (failure == 2) revert InsufficientMargin(account, int256(leg.errorA), leg.errorB);
        if (failure == 3) revert OrderAlreadyFilled(leg.digest);
        if (failure == 4) revert OrderIsCancelled(leg.digest);
        if (failure == 5) revert Overfill(leg.digest, leg.errorA, leg.errorB);
    }

    // ------------------------------------------------------------- funding

    /// @inheritdoc IVault
    function updateFunding(uint32 market) external {
        (Ctx memory c, uint256 i) = _ctxFor(market);
        _accrue(c, i);
    }

    // -------------------------------------------------------------- module

    /// @inheritdoc IVaultAdmin
    function liquidate(address, uint32, uint256) external returns (uint256) {
        return _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function cancelNonce(address, uint256, bytes32) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function withdrawAmm(address, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function withdrawInsurance(address, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function listMarket(uint32, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setInventoryCap(uint32, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setMarginRatios(uint256, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setFeeRecipient(address) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setOperator(address, bool) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setPaused(bool) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setShares(address) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setAmm(IPerpAmm) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setFunding(uint32, uint256, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setFundingImpact(uint32, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setLiquidationParams(uint256, uint256, uint256) external {
        _delegate();
    }

    /// @inheritdoc IVaultAdmin
    function setCloseFactor(uint256, uint256, uint256) external {
        _delegate();
    }

    /// @dev Runs the call in the module, in this storage, and returns or reverts with its result
    ///      (`result` is a formality: the assembly returns the module's output itself).
    function _delegate() private returns (uint256 result) {
        address module = _module;
        assembly {
            result := 0
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
