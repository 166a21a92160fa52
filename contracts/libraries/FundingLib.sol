// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AmmMath} from "./AmmMath.sol";

/// @title FundingLib
/// @notice The funding premium of a constant-product pool over the index, measured at impact
///         prices (dYdX's impact bid and ask): the pool's average price for a fixed notional on
///         each side. The Python mirror is `defi_int.market.funding.impact_premium`, equal to the unit.
/// @dev The impact bid is what selling `notional` worth of base at the index pays per base unit
///      (rounded down); the impact ask what `notional` of quote pays per base unit it buys (rounded
///      up). The premium is the bid's excess over the index when positive, minus the index's excess
///      over the ask when positive, zero in between: a pool inside its fee and its impact over
///      `notional` pays no funding, so a trade smaller than that moves nothing, and a pool held
///      further away pays all of its distance beyond them. In a constant-product pool the ask is
///      never below the bid, so at most one side counts. A notional of 0 measures at the mid.
library FundingLib {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_RESERVE = type(uint112).max;

    /// @notice The premium (price units, 1e18 USD per base unit) of a pool of `base`/`quote`
    ///         reserves and `feeBps` over `index`, at impact prices for `notional` collateral units.
    /// @dev No overflow for `notional` < 2^96, reserves < 2^112, `index` < 2^128, `scale` <= 1e36.
    function impactPremium(uint256 index, uint256 base, uint256 quote, uint256 feeBps, uint256 notional, uint256 scale)
        internal
        pure
        returns (int256)
    {
        if (notional == 0) return int256(quote * scale / base) - int256(index);
        if (quote == 0 || feeBps >= BPS) return 0;
        uint256 size = notional * scale / index;
        if (size != 0 && size <= MAX_RESERVE) {
            uint256 bid = AmmMath.getAmountOut(size, base, quote, feeBps) * scale / size;
            if (bid > index) return int256(bid - index);
        }
        uint256 bought = AmmMath.getAmountOut(notional, quote, base, feeBps);
        if (bought == 0) return 0;
        uint256 ask = (notional * scale - 1) / bought + 1;
        return ask < index ? -int256(index - ask) : int256(0);
    }
}
