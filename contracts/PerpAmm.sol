// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IPerpAmm} from "./interfaces/IPerpAmm.sol";
import {IVault} from "./interfaces/IVault.sol";
import {AmmMath} from "./libraries/AmmMath.sol";
import {Owned} from "./libraries/Owned.sol";

/// @title PerpAmm
/// @notice Virtual x·y=k pools, one storage slot per market.
contract PerpAmm is IPerpAmm, Owned {
    struct Pool {
        uint112 base;
        uint112 quote;
        uint16 feeBps;
    }

    /// @inheritdoc IPerpAmm
    IVault public immutable vault;
    /// @inheritdoc IPerpAmm
    address public settlement;
    mapping(uint32 => Pool) private _pools;

    constructor(IVault vault_, address owner_) Owned(owner_) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IPerpAmm
    function reserves(uint32 market) external view returns (uint256, uint256) {
        Pool memory p = _pools[market];
        return (p.base, p.quote);
    }

    /// @inheritdoc IPerpAmm
    function feeBps(uint32 market) external view returns (uint256) {
        return _pools[market].feeBps;
    }

    /// @inheritdoc IPerpAmm
    function pool(uint32 market) external view returns (uint256, uint256, uint256) {
        Pool memory p = _pools[market];
        return (p.base, p.quote, p.feeBps);
    }

    /// @inheritdoc IPerpAmm
    function quoteBuy(uint32 market, uint256 size) external view returns (uint256) {
        Pool memory p = _pool(market);
        return AmmMath.getAmountIn(size, p.quote, p.base, p.feeBps);
    }

    /// @inheritdoc IPerpAmm
    function quoteSell(uint32 market, uint256 size) external view returns (uint256) {
        Pool memory p = _pool(market);
        return AmmMath.getAmountOut(size, p.base, p.quote, p.feeBps);
    }

    /// @inheritdoc IPerpAmm
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        external
        pure
        returns (uint256)
    {
        return AmmMath.getAmountOut(amountIn, reserveIn, reserveOut, fee);
    }

    /// @inheritdoc IPerpAmm
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        external
        pure
        returns (uint256)
    {
        return AmmMath.getAmountIn(amountOut, reserveIn, reserveOut, fee);
    }

    // --------------------------------------------------------------- trades

    /// @inheritdoc IPerpAmm
    function swap(uint32 market, bool isBuy, uint256 size, uint256 limitQuote) external returns (uint256 quote) {
        (quote,) = _swap(msg.sender, market, isBuy, size, limitQuote, 0);
    }

    /// @inheritdoc IPerpAmm
    function swapFor(address account, uint32 market, bool isBuy, uint256 size, uint256 limitQuote, uint256 fee)
        external
        returns (uint256, uint256)
    {
        if (msg.sender != settlement) revert NotSettlement(msg.sender);
        return _swap(account, market, isBuy, size, limitQuote, fee);
    }

    /// @inheritdoc IPerpAmm
    function liquidationSwap(address account, uint32 market, bool isBuy, uint256 size, uint256 limitQuote)
        external
        returns (uint256 quote)
    {
        if (msg.sender != address(vault)) revert NotVault(msg.sender);
        quote = _move(account, market, isBuy, size, limitQuote);
    }

    /// @dev Reserves move before the ledger so the Vault's margin check sees the trade done;
    ///      the Vault reverts the whole call if the account cannot carry it.
    function _swap(address account, uint32 market, bool isBuy, uint256 size, uint256 limitQuote, uint256 feeBps_)
        private
        returns (uint256 quote, uint256 fee)
    {
        quote = _move(account, market, isBuy, size, limitQuote);
        fee = quote * feeBps_ == 0 ? 0 : (quote * feeBps_ - 1) / AmmMath.BPS + 1;
        int256 signedSize = int256(size);
        int256 signedQuote = int256(quote);
        vault.trade(account, address(this), market, isBuy ? signedSize : -signedSize, isBuy ? -signedQuote : signedQuote, fee);
    }

    /// @dev Prices a trade on the pool, holds it to `limitQuote` and moves the reserves.
    function _move(address account, uint32 market, bool isBuy, uint256 size, uint256 limitQuote)
        private
        returns (uint256 quote)
    {
        if (size > type(uint128).max) revert SizeOutOfRange(size);
        Pool memory p = _pool(market);
        if (isBuy) {
            quote = AmmMath.getAmountIn(size, p.quote, p.base, p.feeBps);
            if (quote > limitQuote) revert SlippageExceeded(quote, limitQuote);
            p.base -= uint112(size);
            p.quote = _toUint112(p.quote + quote, p.base);
        } else {
            quote = AmmMath.getAmountOut(size, p.base, p.quote, p.feeBps);
            if (quote < limitQuote) revert SlippageExceeded(quote, limitQuote);
            p.base = _toUint112(p.base + size, p.quote);
            p.quote -= uint112(quote);
        }
        _pools[market] = p;
        emit Swap(account, market, isBuy, size, quote, p.base, p.quote);
    }

    // ----------------------------------------------------------- parameters

    /// @inheritdoc IPerpAmm
    function initializePool(uint32 market, uint256 base, uint256 quote, uint256 fee) external onlyOwner {
        if (_pools[market].base != 0) revert PoolAlreadyInitialized(market);
        if (base == 0 || quote == 0 || base > type(uint112).max || quote > type(uint112).max) {
            revert InvalidReserves(base, quote);
        }
        if (fee >= AmmMath.BPS) revert AmmMath.FeeTooHigh(fee);
        _pools[market] = Pool(uint112(base), uint112(quote), uint16(fee));
        emit PoolInitialized(market, base, quote, fee);
    }

    /// @inheritdoc IPerpAmm
    function setPoolFee(uint32 market, uint256 fee) external onlyOwner {
        _pool(market);
        if (fee >= AmmMath.BPS) revert AmmMath.FeeTooHigh(fee);
        _pools[market].feeBps = uint16(fee);
        emit PoolFeeSet(market, fee);
    }

    /// @inheritdoc IPerpAmm
    function setSettlement(address settlement_) external onlyOwner {
        if (settlement != address(0)) revert SettlementAlreadySet();
        if (settlement_ == address(0)) revert ZeroAddress();
        settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    function _pool(uint32 market) private view returns (Pool memory p) {
        p = _pools[market];
        if (p.base == 0) revert PoolNotInitialized(market);
    }

    function _toUint112(uint256 x, uint256 other) private pure returns (uint112) {
        if (x > type(uint112).max) revert InvalidReserves(x, other);
        return uint112(x);
    }
}
