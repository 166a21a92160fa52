"""The market snapshot the loop publishes and the API reads (quotes, markets, breakers, metrics).

The loop reads the chain once per iteration (``defi_int.chain.views.market_state`` today, the
keeper core's venue snapshot later) and hands the result to ``BotState.publish`` as a
``DeskSnapshot``: plain ints and the ``Pool`` mirror, no web3. ``DeskSnapshot.from_states`` takes
anything shaped like ``chain.views.MarketState`` (the keeper's ``quote.MarketLike``), so this module
needs no import of the chain layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from defi_int.keeper.quote import MarketLike
from defi_int.market.amm import Pool


@dataclass(frozen=True)
class MarketSnapshot:
    """One listed market as the loop last saw it."""

    market: int
    oracle_price: int  # the last posted price, 1e18 USD per base unit, stale or not
    updated_at: int  # when it was posted, unix seconds (0: never)
    max_age: int  # seconds the oracle keeps a price readable
    fresh: bool  # the oracle answers at the snapshot's time
    pool: Pool | None  # the AMM pool (None: no pool)
    inventory: int  # the desk's position, base units (1e18)
    inventory_cap: int  # the most |inventory| the vault lets the desk hold

    def amm_mid(self, price_scale: int) -> int | None:
        """The AMM's mid price (1e18), or None without a pool."""
        return None if self.pool is None else self.pool.mid(price_scale)

    def oracle_age(self, now: int) -> int:
        """Seconds since the oracle price was posted, at ``now``."""
        return max(0, now - self.updated_at)


@dataclass(frozen=True)
class DeskSnapshot:
    """The desk at one block: every market, and the desk's equity (collateral units) when known."""

    block: int
    time: int  # the block's timestamp (or the time the state was judged at), unix seconds
    price_scale: int  # size (1e18) x price (1e18) / price_scale = collateral units
    markets: Mapping[int, MarketSnapshot]
    equity: int | None = None  # the desk's Vault cash plus its positions at the oracle marks

    @classmethod
    def from_states(
        cls,
        states: Mapping[int, MarketLike],
        *,
        block: int,
        time: int,
        price_scale: int,
        equity: int | None = None,
    ) -> DeskSnapshot:
        """A snapshot from ``chain.views.market_state``'s answer (or anything shaped like it)."""
        markets = {
            m: MarketSnapshot(
                market=s.market,
                oracle_price=s.oracle_price,
                updated_at=s.updated_at,
                max_age=s.max_age,
                fresh=s.fresh,
                pool=None if s.pool is None else Pool(s.pool.base, s.pool.quote, s.pool.fee_bps),
                inventory=s.inventory,
                inventory_cap=s.inventory_cap,
            )
            for m, s in states.items()
        }
        return cls(block=block, time=time, price_scale=price_scale, markets=markets, equity=equity)
