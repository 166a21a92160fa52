"""Funding arithmetic, identical to the Vault's (``contracts/vault/VaultLedger.sol``, ``BookLib``).

A market's funding index (price units: 1e18 USD per base unit) grows by ``premium * dt // period``,
so a premium counts for as long as it lasts. The premium is measured at the AMM's impact prices
(``impact_premium``, ``contracts/libraries/FundingLib.sol``): the pool's average price for selling
and for buying a fixed notional (``Funding.impact``), against the oracle, zero while the oracle
sits between them; it is clamped to ``cap_bps`` of the oracle price and sampled whenever the
market is touched. A book remembers the index, in the market's funding units
and modulo 2^48, when it last settled (its *mark*); touched again it pays
``position * (mark_now - mark_then) * unit / price_scale``, rounded up: a payer pays the exact
amount rounded up, a receiver gets it rounded down. Every charge goes to (or comes from) the
funding pool, so the pool holds what was charged less what was paid out.

Data flow: ``Funding.accrue`` (the written index and premium) -> ``mark_of`` -> ``charge`` per book.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from defi_int.market.amm import Pool, get_amount_out
from defi_int.types import BPS

MARK_MODULUS = 2**48
INT88_MAX = 2**87 - 1
INT88_MIN = -(2**87)
#: A funding unit is this fraction of the market's price when funding is first enabled.
RESOLUTION = 10**6


def mark_of(index: int, unit: int) -> int:
    """The funding mark of ``index`` (0 while funding was never enabled)."""
    return 0 if unit == 0 else (index // unit) % MARK_MODULUS


def owed(position: int, mark_then: int, mark_now: int, unit: int, price_scale: int) -> Fraction:
    """The exact funding a book of ``position`` owes between two marks (negative: it is owed)."""
    delta = (mark_now - mark_then) % MARK_MODULUS
    if delta >= MARK_MODULUS // 2:
        delta -= MARK_MODULUS
    return Fraction(position * delta * unit, price_scale)


def charge(position: int, mark_then: int, mark_now: int, unit: int, price_scale: int) -> int:
    """What the book settles: ``owed`` rounded up (a payer pays more, a receiver gets less)."""
    if position == 0 or mark_then == mark_now:
        return 0
    delta = (mark_now - mark_then) % MARK_MODULUS
    if delta >= MARK_MODULUS // 2:
        delta -= MARK_MODULUS
    return -((-position * delta * unit) // price_scale)  # ``owed`` rounded up, in integers


def impact_premium(index: int, pool: Pool, notional: int, price_scale: int) -> int:
    """The premium of ``pool`` over ``index`` at impact prices for ``notional`` collateral units
    (``FundingLib.impactPremium``): the impact bid's excess over the index, or minus the index's
    excess over the impact ask, zero in between; a notional of 0 measures at the mid."""
    if notional == 0:
        return pool.quote * price_scale // pool.base - index
    if pool.quote == 0 or pool.fee_bps >= BPS:
        return 0
    size = notional * price_scale // index
    if 0 < size <= 2**112 - 1:
        bid = get_amount_out(size, pool.base, pool.quote, pool.fee_bps) * price_scale // size
        if bid > index:
            return bid - index
    bought = get_amount_out(notional, pool.quote, pool.base, pool.fee_bps)
    if bought == 0:
        return 0
    ask = (notional * price_scale - 1) // bought + 1
    return -(index - ask) if ask < index else 0


def unit_for(price: int) -> int:
    """The funding unit the Vault fixes for a market whose last oracle price is ``price``."""
    return max(price // RESOLUTION, 1)


@dataclass
class Funding:
    """One market's funding parameters and its index as last written."""

    period: int = 0  # seconds over which a premium is paid in full; 0: off
    cap_bps: int = 0  # clamp of the premium, in bps of the oracle price
    unit: int = 0  # funding unit in price units; fixed once set
    index: int = 0  # price units
    premium: int = 0  # price units, as last sampled
    updated_at: int = 0
    impact: int = 0  # the notional (collateral units) the premium is measured at; 0: the mid

    def index_at(self, now: int) -> int:
        """The index a touch at ``now`` writes (what ``fundingIndex`` reads)."""
        if self.period == 0 or self.premium == 0:
            return self.index
        return self.index + self.premium * (now - self.updated_at) // self.period

    def premium_now(self, price: int | None, pool: Pool | None, price_scale: int) -> int:
        """The premium sampled now: zero while off, the oracle stale (``price`` None) or no pool."""
        if self.period == 0 or price is None or pool is None or pool.base == 0:
            return 0
        bound = price * self.cap_bps // BPS
        premium = impact_premium(price, pool, self.impact, price_scale)
        return max(min(premium, bound, INT88_MAX), -bound, INT88_MIN)

    def accrue(self, now: int, price: int | None, pool: Pool | None, price_scale: int) -> bool:
        """Brings the index up to ``now`` and samples the premium; returns whether the Vault writes."""
        index = self.index_at(now)
        premium = self.premium_now(price, pool, price_scale)
        changed = index != self.index or premium != self.premium
        if changed or (premium != 0 and self.updated_at != now):
            self.index, self.premium, self.updated_at = index, premium, now
        return changed

    @property
    def mark(self) -> int:
        """The mark of the index as last written."""
        return mark_of(self.index, self.unit)


def marks_now(funding: Mapping[int, Funding], now: int) -> dict[int, int]:
    """Every market's mark at ``now`` without writing (what views and margin of untouched books use)."""
    return {m: mark_of(f.index_at(now), f.unit) for m, f in funding.items()}
