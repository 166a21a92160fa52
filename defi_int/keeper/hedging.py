"""Hedging: when the desk trades its own book on the AMM.

``hedge_order`` (DESIGN, keeper loop step 5): past the soft inventory limit the desk trades its
own book on the AMM back to ``hedge_to``, with a quote limit ``slippage_bps`` worse than the AMM
mirror's quote, so a pool that moved under it makes the hedge revert instead of overpaying. (Which
flow the desk stops taking is the toxicity model's and the policy's: ``keeper.toxicity``,
``keeper.policy``.)

Pure: ints, floats for the statistics, no web3.
"""

from __future__ import annotations

from dataclasses import dataclass

from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.ledger import ceil_div
from defi_int.types import BPS


@dataclass(frozen=True)
class HedgeOrder:
    """A trade of the desk's own book on the AMM: ``is_buy`` ``size`` for at most/least ``limit_quote``."""

    market: int
    is_buy: bool
    size: int
    limit_quote: int
    expected_quote: int


def hedge_order(
    market: int, inventory: int, soft_limit: int | None, hedge_to: int, pool: Pool | None, slippage_bps: int
) -> HedgeOrder | None:
    """The hedge that brings ``|inventory|`` back to ``hedge_to``, or ``None`` while within ``soft_limit``."""
    if soft_limit is None or pool is None or abs(inventory) <= soft_limit:
        return None
    is_buy = inventory < 0  # a short desk buys back
    size = abs(inventory) - hedge_to
    try:
        quote = pool.quote_buy(size) if is_buy else pool.quote_sell(size)
    except AmmMathError:
        return None
    slippage = ceil_div(quote * slippage_bps, BPS)
    return HedgeOrder(market, is_buy, size, quote + slippage if is_buy else max(quote - slippage, 0), quote)
