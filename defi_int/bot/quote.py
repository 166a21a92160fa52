"""Quotes: the price the desk would fill at now, and the AMM's price for the same size.

``quote`` prices one (market, side, size) on the latest ``DeskSnapshot`` with the keeper's pure
pricing (``keeper.pricing.desk_price``: reservation price, half-spread, oracle band, best
execution against the AMM, minimum edge), and checks what would stop the desk from filling it:
an open breaker, the desk's inventory room on that side. The AMM's price is the average price of
the same size through the pool, rounded against the trader as the contract checks limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from defi_int.bot.breakers import BreakerBoard
from defi_int.bot.snapshot import DeskSnapshot
from defi_int.keeper.matching import inventory_room
from defi_int.keeper.pricing import PricingParams, desk_price
from defi_int.market.amm import AmmMathError
from defi_int.orders.rules import amm_reference, average_price


@dataclass(frozen=True)
class Quote:
    """A quote for ``size`` base units of ``market``; a price is None with the reason it is missing."""

    market: int
    trader_buys: bool
    size: int
    desk_price: int | None
    desk_reason: str | None
    amm_price: int | None  # average price of the same size on the AMM, 1e18
    amm_quote: int | None  # collateral units the AMM would charge (buy) or pay (sell)
    amm_reason: str | None
    oracle_price: int
    oracle_fresh: bool
    block: int
    time: int


def quote(
    snapshot: DeskSnapshot,
    board: BreakerBoard,
    pricing: PricingParams,
    risk_limit: int,
    market: int,
    trader_buys: bool,
    size: int,
) -> Quote:
    """See the module docstring; ``market`` must be in the snapshot."""
    state = snapshot.markets[market]
    amm_price = amm_quote = None
    amm_reason = None
    if state.pool is None:
        amm_reason = "the market has no AMM pool"
    else:
        try:
            amm_quote = state.pool.quote_buy(size) if trader_buys else state.pool.quote_sell(size)
        except AmmMathError as exc:
            amm_reason = f"the AMM cannot trade this size ({exc})"
        else:
            amm_price = average_price(amm_quote, size, snapshot.price_scale, is_buy=trader_buys)
    price, reason = _desk(snapshot, board, pricing, risk_limit, market, trader_buys, size)
    return Quote(
        market,
        trader_buys,
        size,
        price,
        reason,
        amm_price,
        amm_quote,
        amm_reason,
        state.oracle_price,
        state.fresh,
        snapshot.block,
        snapshot.time,
    )


def _desk(
    snapshot: DeskSnapshot,
    board: BreakerBoard,
    pricing: PricingParams,
    risk_limit: int,
    market: int,
    trader_buys: bool,
    size: int,
) -> tuple[int | None, str | None]:
    state = snapshot.markets[market]
    if not state.fresh:
        return None, "the oracle price is stale"
    blocked = board.blocks_internal(market, trader_buys, state.inventory)
    if blocked is not None:
        return None, blocked.reason()
    room = inventory_room(trader_buys, state.inventory, risk_limit)
    if size > room:
        return None, f"the desk's inventory room on this side is {room} base units"
    reference = amm_reference(state.pool, trader_buys, size)
    price = desk_price(trader_buys, size, state.oracle_price, state.inventory, reference, pricing)
    if price is None:
        return None, "no price within the oracle band beats the AMM with the desk's minimum edge"
    return price, None
