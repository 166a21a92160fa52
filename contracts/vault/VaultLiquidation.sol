// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVaultAdmin} from "../interfaces/IVault.sol";
import {AmmMath} from "../libraries/AmmMath.sol";
import {BookLib} from "../libraries/BookLib.sol";
import {VaultLedger} from "./VaultLedger.sol";

/// @title VaultLiquidation
/// @notice `Vault.liquidate`: how much may be closed (the close factor), how much the desk and the
///         AMM can take, the close itself, the penalty and bad debt. The Python mirror is
///         `defi_int.market.ledger.Ledger.liquidate`, equal to the unit.
/// @dev Data flow: `_allowed` settles nothing and reads the account's margin (it must be below
///      maintenance) and the close factor's bound; `_deskRoom` and `_ammRoom` read what each venue
///      can take without reverting; `_closeToDesk` and `_closeOnAmm` book it; then the penalty, bad
///      debt, the funding charges, a new premium sample when the pool moved, and the house books'
///      rules, which hold by construction.
abstract contract VaultLiquidation is VaultLedger, IVaultAdmin {
    /// @dev This contract's own address: its code runs only by delegatecall from the Vault.
    address private immutable _self = address(this);

    modifier delegated() {
        if (address(this) == _self) revert NotDelegated();
        _;
    }

    /// @dev A liquidation in progress: the side closed, the oracle price, what may be closed and
    ///      what each venue took.
    struct Close {
        bool long;
        uint256 price;
        uint256 size;
        uint256 least; // the minimum size at the oracle price
        uint256 toDesk;
        uint256 toAmm;
        uint256 ammQuote;
        int256 cash; // the account's cash from the closes
        int256 deskBefore;
        int256 ammBefore;
    }

    /// @dev The AMM's pool and book as a liquidation close would move them.
    struct AmmSide {
        uint256 base;
        uint256 quote;
        uint256 fee;
        int256 position;
        bool fresh; // every market the AMM's book holds has a fresh price
        int256 value;
        uint256 required;
        uint256 own; // this market's part of `required`
    }

    /// @inheritdoc IVaultAdmin
    /// @dev Steps: settle the account's funding in `market`; it must be below maintenance and the
    ///      size not below the minimum; the close factor bounds the size; the desk takes what its
    ///      cap and its margin allow at the oracle price, the AMM what it can within
    ///      `maxSlippageBps` and its own margin; the penalty, capped at the equity left, is split;
    ///      bad debt is realized if no position is left; a moved pool is sampled again.
    function liquidate(address account, uint32 market, uint256 size)
        external
        delegated
        whenNotPaused
        returns (uint256 closed)
    {
        if (account == address(this) || account == address(_amm) || account == insuranceFund || account == fundingPool) {
            revert CannotLiquidate(account);
        }
        if (size == 0) revert ZeroAmount();
        Ctx memory c = _ctx();
        uint256 i = _indexOf(c, market);
        (uint64 mark, uint256 unit) = _accrue(c, i);
        Charges memory ch = _newCharges(5);
        (int256 pos, int256 charged,) = _apply(account, market, 0, 0, mark, unit);
        _note(ch, account, charged);
        Close memory x = _allowed(account, c, i, pos, size);
        x.toDesk = _deskRoom(x, market, c);
        if (x.toDesk < x.size && x.toDesk < x.least) x.toDesk = 0; // no partial close below the minimum
        x.toAmm = _ammRoom(x, market, c, x.size - x.toDesk);
        closed = x.toDesk + x.toAmm;
        if (closed == 0) revert CannotClose(account, market, x.size);
        _closeToDesk(x, market, ch, mark, unit);
        _closeOnAmm(x, account, market, ch, mark, unit);
        _apply(account, market, _signed(!x.long, closed), x.cash, mark, unit);
        uint256 penalty = _penalty(account, market, c, closed, x.price, ch, mark, unit);
        _realizeBadDebt(account, market, c, mark, unit);
        _closeCharges(market, ch, mark, unit);
        if (x.toAmm != 0) _accrue(c, i);
        if (x.toDesk != 0) _check(address(this), market, c, x.deskBefore, x.deskBefore + _signed(x.long, x.toDesk));
        if (x.toAmm != 0) _check(address(_amm), market, c, x.ammBefore, x.ammBefore + _signed(x.long, x.toAmm));
        emit Liquidated(
            account, market, msg.sender, _signed(x.long, closed), x.toDesk, x.toAmm, x.ammQuote, x.price, penalty
        );
    }

    /// @dev The account must be below maintenance and hold a position in market `i`; a size below
    ///      the minimum is refused unless it is the whole position; the close factor bounds it.
    function _allowed(address account, Ctx memory c, uint256 i, int256 pos, uint256 size)
        private
        view
        returns (Close memory x)
    {
        (int256 value, uint256 required) = _marginState(account, c, c.maintenanceBps);
        if (value >= 0 && uint256(value) >= required) revert NotLiquidatable(account, value, required);
        if (pos == 0) revert NoPosition(account, c.markets[i]);
        x.long = pos > 0;
        x.price = _price(c, i);
        uint256 held = BookLib.abs(pos);
        uint256 least = BookLib.ceilDiv(_minLiquidationNotional * priceScale, x.price);
        if (size < least && size < held) revert LiquidationTooSmall(size, least);
        x.least = least;
        uint256 most = _closeFactor(account, c, held, x.price, value, required, least);
        x.size = size < most ? size : most;
    }

    /// @dev The most that may be closed: all of it below `fullLiquidationBps` of maintenance, when
    ///      the penalty is not below maintenance plus the buffer, or when less would leave dust;
    ///      otherwise the size that brings the account to maintenance plus the buffer at the oracle
    ///      price after the penalty (at least `least`); three units more cover the roundings of
    ///      the close, the penalty and the requirement, so a desk close always gets there.
    function _closeFactor(
        address account,
        Ctx memory c,
        uint256 held,
        uint256 price,
        int256 value,
        uint256 required,
        uint256 least
    ) private view returns (uint256) {
        if (value < 0 || uint256(value) * BPS < required * _fullLiquidationBps) return held;
        uint256 ratio = c.maintenanceBps + _liquidationBufferBps;
        if (ratio <= _penaltyBps) return held;
        (, uint256 target) = _marginState(account, c, ratio);
        uint256 need = BookLib.ceilDiv((target - uint256(value) + 3) * priceScale * BPS, price * (ratio - _penaltyBps));
        if (need < least) need = least;
        return need >= held || held - need < least ? held : need;
    }

    // ------------------------------------------------------------- the desk

    /// @dev What the desk can take at the oracle price: up to its cap, and as far as its margin
    ///      carries: a take that only shrinks its position is always allowed; beyond, its position
    ///      on this side may reach the size whose maintenance margin the desk's equity covers (at
    ///      the oracle the desk's equity does not fall, so its floor holds after). Like the AMM's,
    ///      a take below the minimum size that is not all of it is none (`liquidate`).
    function _deskRoom(Close memory x, uint32 market, Ctx memory c) private view returns (uint256) {
        int256 facing = _facing(x.long, address(this), market);
        int256 cap = int256(uint256(_info[market].cap));
        if (cap <= facing) return 0;
        uint256 want = x.size < uint256(cap - facing) ? x.size : uint256(cap - facing);
        uint256 free = facing < 0 ? uint256(-facing) : 0;
        if (want <= free) return want;
        (bool fresh, int256 value, uint256 required) = _margin(address(this), c, c.maintenanceBps, false);
        if (!fresh) return free;
        uint256 scaled = priceScale * BPS;
        int256 slack = value - int256(required) + int256(BookLib.ceilDiv(BookLib.abs(facing) * x.price * c.maintenanceBps, scaled));
        if (slack <= 0) return free;
        int256 room = int256(uint256(slack) * scaled / (x.price * c.maintenanceBps)) - facing;
        if (room <= int256(free)) return free;
        return uint256(room) < want ? uint256(room) : want;
    }

    /// @dev The desk takes the account's side at the oracle price.
    function _closeToDesk(Close memory x, uint32 market, Charges memory ch, uint64 mark, uint256 unit) private {
        uint256 take = x.toDesk;
        if (take == 0) return;
        uint256 amount = take * x.price;
        // Against the account: a long sells for the notional rounded down, a short buys back rounded up.
        int256 quote = x.long ? int256(amount / priceScale) : -int256(BookLib.ceilDiv(amount, priceScale));
        x.cash += quote;
        int256 charged;
        (x.deskBefore, charged,) = _apply(address(this), market, _signed(x.long, take), -quote, mark, unit);
        _note(ch, address(this), charged);
    }

    // -------------------------------------------------------------- the AMM

    /// @dev What the AMM can close of `want`: all of it if the pool stays within the slippage bound
    ///      and the AMM's book within its floor, else the largest size found by bisection that does
    ///      (to within 2^-20 of it), unless that is below the minimum size: the bound's rounding
    ///      lets dust through at any price.
    function _ammRoom(Close memory x, uint32 market, Ctx memory c, uint256 want) private view returns (uint256) {
        if (want == 0 || address(_amm) == address(0)) return 0;
        AmmSide memory a;
        (a.base, a.quote, a.fee) = _amm.pool(market);
        if (a.base == 0) return 0;
        a.position = _positionOf(address(_amm), market);
        (a.fresh, a.value, a.required) = _margin(address(_amm), c, c.maintenanceBps, false);
        (, a.own) = BookLib.margin(a.position, x.price, c.maintenanceBps, priceScale);
        if (_ammTakes(x, a, c, want)) return want;
        uint256 lo;
        uint256 hi = want;
        while (hi - lo > 1 && hi - lo > hi >> 20) {
            uint256 mid = (lo + hi) >> 1;
            if (_ammTakes(x, a, c, mid)) lo = mid;
            else hi = mid;
        }
        return lo < x.least ? 0 : lo;
    }

    /// @dev Whether the AMM closes `size` without reverting: its price within `maxSlippageBps` of
    ///      the oracle, its reserves within 112 bits, its book within its floor.
    function _ammTakes(Close memory x, AmmSide memory a, Ctx memory c, uint256 size) private view returns (bool) {
        (bool ok, uint256 amount) = _ammQuote(x, a, size);
        if (!ok) return false;
        int256 after_ = a.position + _signed(x.long, size);
        if (BookLib.isReducing(a.position, after_)) return true;
        if (!a.fresh) return false;
        (int256 before,) = BookLib.margin(a.position, x.price, 0, priceScale);
        (int256 value, uint256 required) = BookLib.margin(after_, x.price, c.maintenanceBps, priceScale);
        value += a.value - before + (x.long ? -int256(amount) : int256(amount));
        required += a.required - a.own;
        return value >= 0 && uint256(value) >= required;
    }

    /// @dev The AMM's quote for closing `size` and whether it is within the bound and the pool's
    ///      range (a sale the pool would pay nothing for is not a close).
    function _ammQuote(Close memory x, AmmSide memory a, uint256 size) private view returns (bool, uint256 amount) {
        uint256 notional = size * x.price;
        uint256 slip = _maxSlippageBps;
        if (x.long) {
            // the account sells `size` to the pool
            if (a.base + size > MAX_RESERVE) return (false, 0);
            amount = AmmMath.getAmountOut(size, a.base, a.quote, a.fee);
            return (amount != 0 && amount >= notional * (BPS - slip) / (priceScale * BPS), amount);
        }
        // the account buys `size` back from the pool
        if (size >= a.base) return (false, 0);
        amount = AmmMath.getAmountIn(size, a.quote, a.base, a.fee);
        if (a.quote + amount > MAX_RESERVE) return (false, 0);
        return (amount <= BookLib.ceilDiv(notional * (BPS + slip), priceScale * BPS), amount);
    }

    /// @dev The AMM closes `toAmm` at its price, no further than `maxSlippageBps` from the oracle.
    function _closeOnAmm(Close memory x, address account, uint32 market, Charges memory ch, uint64 mark, uint256 unit)
        private
    {
        uint256 size = x.toAmm;
        if (size == 0) return;
        uint256 slip = _maxSlippageBps;
        uint256 limit = x.long
            ? size * x.price * (BPS - slip) / (priceScale * BPS)
            : BookLib.ceilDiv(size * x.price * (BPS + slip), priceScale * BPS);
        x.ammQuote = _amm.liquidationSwap(account, market, !x.long, size, limit);
        int256 quote = x.long ? _int(x.ammQuote) : -_int(x.ammQuote);
        x.cash += quote;
        int256 charged;
        (x.ammBefore, charged,) = _apply(address(_amm), market, _signed(x.long, size), -quote, mark, unit);
        _note(ch, address(_amm), charged);
    }

    // ---------------------------------------------------- penalty, bad debt

    /// @dev The penalty on the closed notional, capped at the equity the account has left.
    function _penalty(
        address account,
        uint32 market,
        Ctx memory c,
        uint256 closed,
        uint256 price,
        Charges memory ch,
        uint64 mark,
        uint256 unit
    ) private returns (uint256 penalty) {
        penalty = BookLib.ceilDiv(closed * price * _penaltyBps, priceScale * BPS);
        (int256 left,) = _marginState(account, c, 0);
        if (left <= 0) return 0;
        if (uint256(left) < penalty) penalty = uint256(left);
        if (penalty == 0) return 0;
        uint256 share = penalty * _liquidatorShareBps / BPS;
        _apply(account, market, 0, -int256(penalty), mark, unit);
        if (share != 0) {
            (, int256 charged,) = _apply(msg.sender, market, 0, int256(share), mark, unit);
            _note(ch, msg.sender, charged);
        }
        if (penalty != share) _apply(insuranceFund, market, 0, int256(penalty - share), mark, unit);
    }

    /// @dev An account left with no position and negative cash is bad debt, paid by the insurance fund.
    function _realizeBadDebt(address account, uint32 market, Ctx memory c, uint64 mark, uint256 unit) private {
        for (uint256 i; i < c.markets.length; ++i) {
            if (_positionOf(account, c.markets[i]) != 0) return;
        }
        int256 balance = _cashOf(account, c.markets);
        if (balance >= 0) return;
        uint256 debt = uint256(-balance);
        int256 fund = _cashOf(insuranceFund, c.markets);
        uint256 uncovered = fund <= 0 ? debt : (uint256(fund) >= debt ? 0 : debt - uint256(fund));
        _apply(account, market, 0, int256(debt), mark, unit);
        _apply(insuranceFund, market, 0, -int256(debt), mark, unit);
        badDebt += debt;
        emit BadDebtRealized(account, debt, uncovered);
    }

    /// @dev `account`'s position in `market` signed towards the liquidated side (long: as is).
    function _facing(bool long, address account, uint32 market) private view returns (int256) {
        int256 pos = _positionOf(account, market);
        return long ? pos : -pos;
    }

    function _signed(bool long, uint256 amount) private pure returns (int256) {
        return long ? int256(amount) : -int256(amount);
    }
}
