"""Pricing: the desk's price for one internal fill, from the oracle, its inventory and the AMM.

The chain of steps (DESIGN, keeper loop step 2), in one of three modes (``PricingParams.mode``,
the scenario's ``keeper.pricing_mode``):

1. **Reservation price** (Avellaneda–Stoikov), ``s`` the oracle price, ``q`` the desk's inventory
   in whole base units, ``γ`` the risk aversion. A long desk lowers its prices to shed inventory,
   a short desk raises them.

   - ``bps`` (the default): ``r = s · (1 − q·γ·σ²·τ)``, ``σ²`` the *relative* variance per second
     and ``τ`` a constant horizon in seconds; the skew is clamped to ±``MAX_SKEW``.
   - ``as``: the paper's ``r = s − q·γ·σ²·(T − t)``, ``σ²`` the *absolute* variance (USD² per
     second) and ``T − t`` the seconds left to the end of the session (``session_end − now``).
   - ``as_symmetric``: ``r = s``, the paper's benchmark: no skew at all.
2. **Half-spread**: the trader buys at ``r`` plus the half-spread and sells at ``r`` minus it.

   - ``bps``: ``half_spread_bps`` of ``r``. The spread is applied to the *skewed* price, so it is
     multiplicative and moves with the inventory: ``ask − bid = 2·h·s·(1 − q·γ·σ²·τ)``, narrower
     for a long desk, wider for a short one (by the skew's fraction of it, a few parts per
     million at the shipped settings). Kept for its results; the paper's mode below does not.
   - ``as``: half of the paper's optimal spread ``γ·σ²·(T − t) + (2/γ)·ln(1 + γ/k)``, ``k`` the
     decay of the fills' intensity with distance (``fill_decay``, per USD). It does not depend on
     the inventory: bid and ask are ``r ∓ δ`` with the same ``δ`` whatever ``q`` is (``γ = 0``
     is the limit ``2/k``).
   - ``as_symmetric``: half of that spread's average over the session,
     ``γ·σ²·(T − t₀)/2 + (2/γ)·ln(1 + γ/k)``, around ``s``: the paper's "symmetric strategy".

   In the paper's modes the distances are computed in float (USD) and turned into 1e18 wei once:
   the skew rounded to the nearest wei, the half-spread rounded up (in the desk's favour).
3. **Oracle band**: clamped to ``[s − band, s + band]``, the band the Settlement enforces.
4. **Best execution**: clamped so that the trader pays no more (receives no less) than the AMM
   would charge (pay) for the same size at that moment, with the contract's rounding.
5. **Edge**: the desk refuses a price that gives it less than ``min_edge_bps`` (of the oracle
   price) against its own reservation price, and a price that best execution pushed back outside
   the band. The edge is measured from ``r``, not from the oracle: a long desk selling below the
   oracle is shedding risk at a price it prefers, which is the point of the skew.

The band and best execution are the settle rules of ``defi_int.orders.rules``, the one home the
validator checks them from too. Everything is exact integer arithmetic on chain units, except the
skew (and, in the paper's modes, the half-spread), a float turned into integers once. No web3, no
pool: the caller hands over the AMM's quote for the size, and the batch's time ``now`` for the
paper's modes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from defi_int.market.ledger import ceil_div
from defi_int.orders.rules import band, best_execution_bound
from defi_int.params import KeeperParams, param_of
from defi_int.reasons import Reason
from defi_int.types import BPS, ONE

_PPB = 10**9
#: The skew never moves the reservation price by more than half the oracle price (``bps`` mode).
MAX_SKEW = 0.5
#: The pricing modes (declared as ``keeper.pricing_mode``); see the module docstring.
MODES: Final = param_of(KeeperParams, "pricing_mode").options


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
    mode: str = "bps"  # one of MODES
    price_variance_per_second: float = 0.0  # σ² in USD² per second (the paper's modes)
    fill_decay: float = 1.5  # k, per USD: fills arrive at A·e^(−k·δ) (the paper's modes)
    session_start: int = 0  # unix seconds: the session the horizon runs to the end of (the paper's modes)
    session_end: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"pricing mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.mode != "bps" and not (self.fill_decay > 0 and self.session_end > self.session_start):
            raise ValueError(f"the {self.mode} mode needs fill_decay > 0 and a session (start < end)")


def skew_fraction(inventory: int, params: PricingParams) -> float:
    """``q·γ·σ²·τ``, the relative distance of the reservation price below the oracle (``bps`` mode)."""
    skew = (inventory / ONE) * params.risk_aversion * params.variance_per_second * params.horizon_seconds
    return max(-MAX_SKEW, min(MAX_SKEW, skew))


def time_left(params: PricingParams, now: int | None) -> float:
    """``T − t``: seconds from ``now`` to the end of the session, never below zero."""
    if now is None:
        raise ValueError(f"the {params.mode} pricing mode needs the batch's time (now)")
    return float(max(0, params.session_end - now))


def optimal_spread(params: PricingParams, now: int | None) -> float:
    """The paper's whole spread in USD at ``now``: ``γ·σ²·(T − t) + (2/γ)·ln(1 + γ/k)``.

    ``as_symmetric``: its average over the session, ``γ·σ²·(T − t₀)/2 + (2/γ)·ln(1 + γ/k)``.
    """
    gamma, k, variance = params.risk_aversion, params.fill_decay, params.price_variance_per_second
    arrivals = 2.0 / k if gamma == 0 else (2.0 / gamma) * math.log1p(gamma / k)
    if params.mode == "as_symmetric":
        return gamma * variance * (params.session_end - params.session_start) / 2.0 + arrivals
    return gamma * variance * time_left(params, now) + arrivals


def _wei(usd: float) -> int:
    """A distance in USD as a 1e18 price, to the nearest wei."""
    return round(usd * ONE)


def reservation_price(mark: int, inventory: int, params: PricingParams, now: int | None = None) -> int:
    """The reservation price ``r`` of the mode (``bps``: ``s · (1 − q·γ·σ²·τ)``, rounded toward the oracle)."""
    if params.mode == "as":
        skew = (inventory / ONE) * params.risk_aversion * params.price_variance_per_second * time_left(params, now)
        return mark - _wei(skew)
    if params.mode == "as_symmetric":
        return mark
    ppb = round(skew_fraction(inventory, params) * _PPB)
    shift = mark * abs(ppb) // _PPB
    return mark - shift if ppb >= 0 else mark + shift


def quoted_price(trader_buys: bool, mark: int, inventory: int, params: PricingParams, now: int | None = None) -> int:
    """The reservation price plus the half-spread on the trader's side (rounded in the desk's favour)."""
    r = reservation_price(mark, inventory, params, now)
    if params.mode != "bps":
        half = math.ceil(optimal_spread(params, now) * ONE / 2)
        return r + half if trader_buys else r - half
    spread_ppb = round(params.half_spread_bps * _PPB / BPS)
    if trader_buys:
        return r + ceil_div(r * spread_ppb, _PPB)
    return r - ceil_div(r * spread_ppb, _PPB)


@dataclass(frozen=True)
class DeskPrice:
    """The desk's price for one size, or why it has none: the reason that bound and a sentence."""

    price: int | None
    reason: Reason | None = None  # None when priced
    detail: str = ""


def desk_quote(
    trader_buys: bool,
    size: int,
    mark: int,
    inventory: int,
    amm_quote: int | None,
    params: PricingParams,
    now: int | None = None,
) -> DeskPrice:
    """The desk's price for filling ``size`` internally, or the reason it will not fill.

    See the module docstring for the steps. ``amm_quote`` is the AMM's quote for the same size as
    the AMM will stand when this fill's internal leg runs on-chain (after earlier AMM legs of the
    same batch): ``rules.amm_reference``. Without one (no pool, or a size the AMM cannot quote) the
    desk declines rather than price blind (``amm_liquidity``). ``now`` (unix seconds, when the fill
    lands) is needed by the paper's modes only. The reasons: best execution pushed the price out
    of the band or below the desk's edge (``amm_better``), the band cut the edge or the price is
    not positive (``outside_band``).
    """
    if size <= 0:
        return DeskPrice(None, Reason.EMPTY_ORDER, "nothing left to price")
    if amm_quote is None:
        return DeskPrice(None, Reason.AMM_LIQUIDITY, "the AMM cannot quote the size, so the desk does not price it")
    low, high = band(mark, params.max_deviation_bps)
    reservation = reservation_price(mark, inventory, params, now)
    banded = min(high, max(low, quoted_price(trader_buys, mark, inventory, params, now)))
    bound = best_execution_bound(trader_buys, size, amm_quote, params.price_scale)
    price = min(banded, bound) if trader_buys else max(banded, bound)
    amm_binds = price != banded
    if not low <= price <= high:
        return DeskPrice(None, Reason.AMM_BETTER, f"the AMM's price for the size ({bound}) is beyond the oracle band")
    if price <= 0:
        return DeskPrice(None, Reason.OUTSIDE_BAND, "no positive price within the oracle band")
    edge = (price - reservation) if trader_buys else (reservation - price)
    if edge * BPS < params.min_edge_bps * mark:
        if amm_binds:
            detail = f"beating the AMM's price ({bound}) leaves the desk less than its {params.min_edge_bps} bps edge"
            return DeskPrice(None, Reason.AMM_BETTER, detail)
        detail = (
            f"the oracle band leaves the desk less than its {params.min_edge_bps} bps edge from its reservation price"
        )
        return DeskPrice(None, Reason.OUTSIDE_BAND, detail)
    return DeskPrice(price)


def widened(
    trader_buys: bool,
    price: int,
    widen_bps: float,
    mark: int,
    size: int,
    amm_quote: int | None,
    params: PricingParams,
    limit: int | None = None,
) -> int:
    """``price`` moved ``widen_bps`` of the mark in the desk's favour (the predicted markout priced in),
    never past the oracle band, nor worse for the trader than the AMM's ``amm_quote`` for ``size``,
    nor past the order's ``limit``."""
    if widen_bps <= 0:
        return price
    shift = math.ceil(mark * widen_bps / BPS)
    low, high = band(mark, params.max_deviation_bps)
    if trader_buys:
        bound = (
            high if amm_quote is None else min(high, best_execution_bound(True, size, amm_quote, params.price_scale))
        )
        bound = bound if limit is None else min(bound, limit)
        return max(price, min(price + shift, bound))
    bound = low if amm_quote is None else max(low, best_execution_bound(False, size, amm_quote, params.price_scale))
    bound = bound if limit is None else max(bound, limit)
    return min(price, max(price - shift, bound))


def desk_price(
    trader_buys: bool,
    size: int,
    mark: int,
    inventory: int,
    amm_quote: int | None,
    params: PricingParams,
    now: int | None = None,
) -> int | None:
    """``desk_quote``'s price alone (None when the desk will not fill)."""
    return desk_quote(trader_buys, size, mark, inventory, amm_quote, params, now).price
