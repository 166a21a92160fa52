"""Pricing: the desk's price for one internal fill, from the oracle, its inventory and the AMM.

The chain of steps (DESIGN, keeper loop step 2):

1. **Reservation price** (Avellaneda–Stoikov): ``r = s · (1 − q·γ·σ²·τ)`` where ``s`` is the oracle
   price, ``q`` the desk's inventory in whole base units, ``γ`` the risk aversion, ``σ²`` the
   variance per second and ``τ`` the horizon in seconds. A long desk lowers its prices to shed
   inventory, a short desk raises them.
2. **Half-spread**: the trader buys at ``r`` plus the half-spread and sells at ``r`` minus it.
3. **Oracle band**: clamped to ``[s − band, s + band]``, the band the Settlement enforces.
4. **Best execution**: clamped so that the trader pays no more (receives no less) than the AMM
   would charge (pay) for the same size at that moment, with the contract's rounding.
5. **Edge**: the desk refuses a price that gives it less than ``min_edge_bps`` (of the oracle
   price) against its own reservation price, and a price that best execution pushed back outside
   the band. The edge is measured from ``r``, not from the oracle: a long desk selling below the
   oracle is shedding risk at a price it prefers, which is the point of the skew.

The band and best execution are the settle rules of ``defi_int.orders.rules``, the one home the
validator checks them from too. Everything is exact integer arithmetic on chain units, except the
skew, a float turned into parts per billion once. No web3, no pool: the caller hands over the
AMM's quote for the size.
"""

from __future__ import annotations

from dataclasses import dataclass

from defi_int.market.ledger import ceil_div
from defi_int.orders.rules import band, best_execution_bound
from defi_int.types import BPS, ONE

_PPB = 10**9
#: The skew never moves the reservation price by more than half the oracle price.
MAX_SKEW = 0.5


@dataclass(frozen=True)
class PricingParams:
    """The keeper's pricing knobs for one market."""

    half_spread_bps: float
    risk_aversion: float  # γ, per whole base unit
    variance_per_second: float  # σ² of relative price moves, per second
    horizon_seconds: float  # τ
    max_deviation_bps: int  # the Settlement's oracle band
    min_edge_bps: float
    price_scale: int  # size (1e18) * price (1e18) / price_scale = collateral units


def skew_fraction(inventory: int, params: PricingParams) -> float:
    """``q·γ·σ²·τ``, the relative distance of the reservation price below the oracle."""
    skew = (inventory / ONE) * params.risk_aversion * params.variance_per_second * params.horizon_seconds
    return max(-MAX_SKEW, min(MAX_SKEW, skew))


def reservation_price(mark: int, inventory: int, params: PricingParams) -> int:
    """``r = s · (1 − q·γ·σ²·τ)``, rounded toward the oracle."""
    ppb = round(skew_fraction(inventory, params) * _PPB)
    shift = mark * abs(ppb) // _PPB
    return mark - shift if ppb >= 0 else mark + shift


def quoted_price(trader_buys: bool, mark: int, inventory: int, params: PricingParams) -> int:
    """The reservation price plus the half-spread on the trader's side (rounded in the desk's favour)."""
    r = reservation_price(mark, inventory, params)
    spread_ppb = round(params.half_spread_bps * _PPB / BPS)
    if trader_buys:
        return r + ceil_div(r * spread_ppb, _PPB)
    return r - ceil_div(r * spread_ppb, _PPB)


def desk_price(
    trader_buys: bool, size: int, mark: int, inventory: int, amm_quote: int | None, params: PricingParams
) -> int | None:
    """The desk's price for filling ``size`` internally, or ``None`` when it will not fill.

    See the module docstring for the steps. ``amm_quote`` is the AMM's quote for the same size as
    the AMM will stand when this fill's internal leg runs on-chain (after earlier AMM legs of the
    same batch): ``rules.amm_reference``. Without one (no pool, or a size the AMM cannot quote) the
    desk declines rather than price blind.
    """
    if size <= 0 or amm_quote is None:
        return None
    low, high = band(mark, params.max_deviation_bps)
    reservation = reservation_price(mark, inventory, params)
    price = min(high, max(low, quoted_price(trader_buys, mark, inventory, params)))
    bound = best_execution_bound(trader_buys, size, amm_quote, params.price_scale)
    price = min(price, bound) if trader_buys else max(price, bound)
    if not low <= price <= high:
        return None
    edge = (price - reservation) if trader_buys else (reservation - price)
    if edge * BPS < params.min_edge_bps * mark:
        return None
    return price
