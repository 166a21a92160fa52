// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVaultAdmin} from "./interfaces/IVault.sol";
import {ICollateralToken} from "./interfaces/ICollateralToken.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {IPerpAmm} from "./interfaces/IPerpAmm.sol";
import {VaultLedger} from "./vault/VaultLedger.sol";
import {VaultLiquidation} from "./vault/VaultLiquidation.sol";

/// @title VaultModule
/// @notice The Vault's cold half, run by delegatecall in the Vault's storage: liquidation, a
///         nonce's cancel, the house books' payouts and every parameter (`IVaultAdmin`).
/// @dev The Vault (`Vault.sol`) keeps what a fill or a trade runs and forwards these calls here, so
///      neither contract passes EIP-170's 24,576 bytes. Both inherit `VaultLedger` and declare no
///      storage of their own, so their layouts are one. Constructed with the Vault's token, oracle
///      and owner (its immutables must equal the Vault's); called directly, every function reverts
///      `NotDelegated`.
contract VaultModule is VaultLiquidation {
    constructor(ICollateralToken token_, IPriceOracle oracle_, address owner_) VaultLedger(token_, oracle_, owner_) {}

    // --------------------------------------------------------------- nonces

    /// @inheritdoc IVaultAdmin
    function cancelNonce(address trader, uint256 nonce, bytes32 digest) external delegated onlyOperator {
        (, uint256 slot, uint256 shift) = _nonceAt(trader, nonce);
        uint256 word;
        assembly ("memory-safe") {
            word := sload(slot)
        }
        uint256 state = (word >> shift) & 3;
        if (state == FILLED) revert OrderAlreadyFilled(digest);
        if (state == CANCELLED) revert OrderIsCancelled(digest);
        word |= CANCELLED << shift;
        assembly ("memory-safe") {
            sstore(slot, word)
        }
    }

    // --------------------------------------------------------- house books

    /// @inheritdoc IVaultAdmin
    function withdrawAmm(address to, uint256 amount) external delegated onlyOwner {
        _withdraw(address(_amm), to, amount);
    }

    /// @inheritdoc IVaultAdmin
    function withdrawInsurance(address to, uint256 amount) external delegated onlyOwner {
        _withdraw(insuranceFund, to, amount);
    }

    // ----------------------------------------------------------- parameters

    /// @inheritdoc IVaultAdmin
    function listMarket(uint32 market, uint256 cap) external delegated onlyOwner {
        if (market == type(uint32).max) revert InvalidMarket(market);
        if (_info[market].listed) revert MarketAlreadyListed(market);
        if (cap > type(uint96).max) revert AmountOutOfRange(cap);
        _info[market] = Market(true, uint96(cap), 0, 0, 0);
        _markets.push(market);
        _marketCount = uint32(_markets.length);
        emit MarketListed(market, cap);
    }

    /// @inheritdoc IVaultAdmin
    function setInventoryCap(uint32 market, uint256 cap) external delegated onlyOwner {
        if (!_info[market].listed) revert MarketNotListed(market);
        if (cap > type(uint96).max) revert AmountOutOfRange(cap);
        _info[market].cap = uint96(cap);
        emit InventoryCapSet(market, cap);
    }

    /// @inheritdoc IVaultAdmin
    function setMarginRatios(uint256 initialBps, uint256 maintenanceBps) external delegated onlyOwner {
        _setMarginRatios(initialBps, maintenanceBps);
    }

    /// @inheritdoc IVaultAdmin
    function setFeeRecipient(address recipient) external delegated onlyOwner {
        _setFeeRecipient(recipient);
    }

    /// @inheritdoc IVaultAdmin
    function setOperator(address operator, bool allowed) external delegated onlyOwner {
        isOperator[operator] = allowed;
        emit OperatorSet(operator, allowed);
    }

    /// @inheritdoc IVaultAdmin
    function setPaused(bool paused_) external delegated onlyOwner {
        _paused = paused_;
        emit PausedSet(paused_);
    }

    /// @inheritdoc IVaultAdmin
    function setShares(address shares_) external delegated onlyOwner {
        if (_shares != address(0)) revert SharesAlreadySet();
        if (shares_ == address(0)) revert ZeroAddress();
        _shares = shares_;
        emit SharesSet(shares_);
    }

    /// @inheritdoc IVaultAdmin
    function setAmm(IPerpAmm amm_) external delegated onlyOwner {
        if (address(_amm) != address(0)) revert AmmAlreadySet();
        if (address(amm_) == address(0)) revert ZeroAddress();
        _amm = amm_;
        emit AmmSet(address(amm_));
    }

    /// @inheritdoc IVaultAdmin
    /// @dev The index is brought up to now under the old parameters, then the premium is sampled
    ///      under the new ones.
    function setFunding(uint32 market, uint256 period, uint256 capBps) external delegated onlyOwner {
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

    /// @inheritdoc IVaultAdmin
    function setFundingImpact(uint32 market, uint256 notional) external delegated onlyOwner {
        if (notional > MAX_AMOUNT) revert AmountOutOfRange(notional);
        Ctx memory c = _ctx();
        uint256 i = _indexOf(c, market);
        _accrue(c, i);
        _impactNotional[market] = notional;
        _accrue(c, i);
        emit FundingImpactSet(market, notional);
    }

    /// @inheritdoc IVaultAdmin
    function setLiquidationParams(uint256 penaltyBps, uint256 liquidatorShareBps, uint256 maxSlippageBps)
        external
        delegated
        onlyOwner
    {
        if (penaltyBps > MAX_PENALTY_BPS || liquidatorShareBps > BPS || maxSlippageBps > MAX_SLIPPAGE_BPS) {
            revert InvalidLiquidationParams(penaltyBps, liquidatorShareBps, maxSlippageBps);
        }
        (_penaltyBps, _liquidatorShareBps, _maxSlippageBps) =
            (uint16(penaltyBps), uint16(liquidatorShareBps), uint16(maxSlippageBps));
        emit LiquidationParamsSet(penaltyBps, liquidatorShareBps, maxSlippageBps);
    }

    /// @inheritdoc IVaultAdmin
    function setCloseFactor(uint256 bufferBps, uint256 fullLiquidationBps, uint256 minNotional) external delegated onlyOwner {
        if (bufferBps > MAX_LIQUIDATION_BUFFER_BPS || fullLiquidationBps > MAX_FULL_LIQUIDATION_BPS || minNotional > MAX_AMOUNT) {
            revert InvalidCloseFactor(bufferBps, fullLiquidationBps, minNotional);
        }
        (_liquidationBufferBps, _fullLiquidationBps) = (uint16(bufferBps), uint16(fullLiquidationBps));
        _minLiquidationNotional = minNotional;
        emit CloseFactorSet(bufferBps, fullLiquidationBps, minNotional);
    }
}
