"""The simulated market participants: what each one wants to do at a step, as plain decisions.

- ``NoiseTraders``: Poisson arrivals per trader, lognormal sizes, random side, a limit a random
  number of bps through the oracle on the trader's side, an expiry a few steps out, AMM routing
  allowed with some probability.
- ``InformedTraders``: they see the price path ``horizon`` steps ahead and trade in its direction
  when the expected move over the oracle beats ``min_edge_bps`` (their costs: the desk's spread and
  fee, or the AMM's fee). Their limit gives away at most half of that edge (``limit_rule =
  "half_edge"``), or is drawn from ``limit_offset_bps`` exactly as noise traders draw theirs
  (``"offset"``): then every term of an order is drawn exactly as a noise trader with the same keys
  draws it, draw for draw (the side too, then replaced by the edge's), and only the side and the
  moments they trade carry what they know.
- ``FastTraders``: the same, but what they see is the reference price now (the path: the real
  market), which a lagging oracle (``oracle.lag``) and so the desk's oracle-anchored prices show
  late; they trade the gap between the two.
- ``IntensityTraders`` (Avellaneda–Stoikov's market orders): every step, in every market, one
  buyer and one seller, each with a limit ``D`` USD through the oracle, where
  ``D = (ln(A·dt) + X)/k`` and ``X ~ Exp(1)``. A quote ``δ`` USD from the oracle fills when
  ``D ≥ δ``, which happens with probability ``min(1, A·dt·e^(−k·δ))``: the paper's "with
  probability λ(δ)·dt", exactly, for any ``δ``, including quotes through the oracle. The orders
  live for half a step (the step's batch sees them, the next one does not) and never allow the AMM.
- ``arbitrage_trade``: the size that moves an AMM pool's mid back to the oracle, when the gap is
  beyond the arbitrageur's threshold.

Addresses: trader ``i`` of a population signs with address ``i``; with ``rotate_every = N`` it moves
to a fresh one (the population's next unused index, ``count``, ``count + 1`` ...) after every ``N``
orders, so its history cannot follow it. ``OrderIntent.trader`` is that address index; the runner
derives, funds and labels the addresses (every one maps to its population).

Agents decide; the runner turns decisions into real signed orders (EIP-712, eth-account) and real
transactions. Every random number comes from the one ``numpy.random.Generator`` the runner owns,
drawn in a fixed order, so the same seed gives the same decisions.

Identical flow: what an agent draws, and how many draws it takes, never depends on the keeper or on
what filled: arrivals, sides, sizes, limits, expiries and AMM permissions are functions of the seed,
the step and the oracle path only (informed traders read the path, never the desk). So two keeper
policies run on the same scenario and seed receive the same orders (``defi-int compare`` relies on
it, and a test checks it order by order).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from defi_int.market.amm import AmmMathError, Pool
from defi_int.params import UINT128_MAX
from defi_int.sim.scenario import ArbSpec, TraderSpec
from defi_int.types import BPS, ONE

#: Sizes and limit offsets are drawn as floats and rounded to these grids.
SIZE_GRID = 10**12  # 1e-6 base units
MAX_SIZE = UINT128_MAX - UINT128_MAX % SIZE_GRID
_MAX_LOG_UNITS = math.log(MAX_SIZE / ONE)
_PPM = 10**6


@dataclass(frozen=True)
class OrderIntent:
    """What one trader wants: the runner fills in the nonce, signs and submits."""

    trader: int  # index of the address it is signed with, in its population's (see ``_Traders._signer``)
    market: int
    is_buy: bool
    size: int
    limit_price: int
    expiry: int
    allow_amm: bool
    max_fee_bps: int


def _size(rng: np.random.Generator, spec: TraderSpec) -> int:
    """A lognormal size on the grid, at most the largest size an order carries (uint128)."""
    mean = spec.size_mean / ONE
    mu = math.log(mean) - spec.size_sigma**2 / 2
    log_units = min(mu + spec.size_sigma * float(rng.standard_normal()), _MAX_LOG_UNITS)
    return min(MAX_SIZE, max(SIZE_GRID, round(float(np.exp(log_units)) * ONE / SIZE_GRID) * SIZE_GRID))


def _through(mark: int, is_buy: bool, offset_bps: float) -> int:
    """A price ``offset_bps`` through ``mark`` on the trader's side (above for a buy), never below 1."""
    shift = mark * round(offset_bps * 100) // _PPM
    return max(1, mark + shift if is_buy else mark - shift)


@dataclass(frozen=True)
class _Terms:
    """The terms a noise trader draws for one order (in this order: the draws are the flow)."""

    market: int
    is_buy: bool
    size: int
    offset_bps: float
    expiry: int
    allow_amm: bool


class _Traders:
    """What the populations share: Poisson arrivals per trader, the common draws, the addresses."""

    def __init__(self, spec: TraderSpec, markets: tuple[int, ...]) -> None:
        self.spec = spec
        self.markets = spec.markets or markets
        self._address = list(range(spec.count))  # the address index each trader signs with now
        self._signed = [0] * spec.count  # orders signed with it
        self._fresh = spec.count  # the next address no trader has used

    def _signer(self, trader: int) -> int:
        """The address ``trader`` signs its next order with: a fresh one after every ``rotate_every``."""
        every = self.spec.rotate_every
        if every is not None:
            if self._signed[trader] == every:
                self._address[trader], self._signed[trader] = self._fresh, 0
                self._fresh += 1
            self._signed[trader] += 1
        return self._address[trader]

    def _arrivals(self, rng: np.random.Generator) -> Iterator[int]:
        """The index of the trader behind each order this step, in a fixed order."""
        arrivals = rng.poisson(self.spec.rate, self.spec.count)
        for trader in np.flatnonzero(arrivals):
            for _ in range(int(arrivals[trader])):
                yield int(trader)

    def _market(self, rng: np.random.Generator) -> int:
        return self.markets[int(rng.integers(len(self.markets)))]

    def _expiry(self, rng: np.random.Generator, now: int, block_time: int) -> int:
        low, high = self.spec.expiry_steps
        return now + int(rng.integers(low, high + 1)) * block_time

    def _allow_amm(self, rng: np.random.Generator) -> bool:
        return bool(rng.random() < self.spec.allow_amm)

    def _terms(self, rng: np.random.Generator, now: int, block_time: int) -> _Terms:
        """One order's terms drawn as a noise trader draws them: market, side, size, limit offset,
        expiry, AMM permission."""
        market = self._market(rng)
        is_buy = bool(rng.random() < 0.5)
        size = _size(rng, self.spec)
        offset = float(rng.uniform(*self.spec.limit_offset_bps))
        return _Terms(market, is_buy, size, offset, self._expiry(rng, now, block_time), self._allow_amm(rng))

    def intents(
        self, rng: np.random.Generator, marks: dict[int, int], now: int, block_time: int, step: int
    ) -> list[OrderIntent]:
        """The orders this population wants at ``step`` (``marks``: the oracle's last posts)."""
        raise NotImplementedError


class NoiseTraders(_Traders):
    """One population of uninformed traders; see the module docstring."""

    def intents(
        self, rng: np.random.Generator, marks: dict[int, int], now: int, block_time: int, step: int
    ) -> list[OrderIntent]:
        spec = self.spec
        intents = []
        for trader in self._arrivals(rng):
            terms = self._terms(rng, now, block_time)
            if terms.market not in marks:
                continue  # no price to anchor a limit on
            limit = _through(marks[terms.market], terms.is_buy, terms.offset_bps)
            intents.append(
                OrderIntent(
                    self._signer(trader),
                    terms.market,
                    terms.is_buy,
                    terms.size,
                    limit,
                    terms.expiry,
                    terms.allow_amm,
                    spec.max_fee_bps,
                )
            )
        return intents


class InformedTraders(_Traders):
    """One population of traders who see the path ``horizon`` steps ahead."""

    def __init__(self, spec: TraderSpec, markets: tuple[int, ...], paths: dict[int, list[int]]) -> None:
        super().__init__(spec, markets)
        self.paths = paths

    def _sees(self, market: int, step: int) -> int:
        """The price the trader knows at ``step``: the path ``horizon`` steps ahead."""
        path = self.paths[market]
        return path[min(step + self.spec.horizon, len(path) - 1)]

    def _edge_terms(self, rng: np.random.Generator, now: int, block_time: int) -> _Terms:
        """The ``half_edge`` rule's draws (market, size, expiry, AMM permission): no side, no offset."""
        market = self._market(rng)
        size = _size(rng, self.spec)
        expiry = self._expiry(rng, now, block_time)
        return _Terms(market, False, size, 0.0, expiry, self._allow_amm(rng))

    def intents(
        self, rng: np.random.Generator, marks: dict[int, int], now: int, block_time: int, step: int
    ) -> list[OrderIntent]:
        spec = self.spec
        # ``offset``: a noise trader's terms, draw for draw; only the side is the trader's own.
        drawn = self._terms if spec.limit_rule == "offset" else self._edge_terms
        intents = []
        for trader in self._arrivals(rng):
            terms = drawn(rng, now, block_time)
            mark = marks.get(terms.market)
            if mark is None:
                continue
            edge_bps = (self._sees(terms.market, step) - mark) * BPS / mark
            if abs(edge_bps) <= spec.min_edge_bps:
                continue  # not worth the costs
            is_buy = edge_bps > 0
            offset = terms.offset_bps if spec.limit_rule == "offset" else abs(edge_bps) / 2
            intents.append(
                OrderIntent(
                    self._signer(trader),
                    terms.market,
                    is_buy,
                    terms.size,
                    _through(mark, is_buy, offset),
                    terms.expiry,
                    terms.allow_amm,
                    spec.max_fee_bps,
                )
            )
        return intents


class FastTraders(InformedTraders):
    """One population of traders who see the reference price now, ahead of a lagging oracle."""

    def _sees(self, market: int, step: int) -> int:
        return self.paths[market][step]


class IntensityTraders(_Traders):
    """Market orders whose fills arrive with intensity ``A·e^(−k·δ)`` (``intensity`` = A·dt, ``decay`` = k)."""

    def intents(
        self, rng: np.random.Generator, marks: dict[int, int], now: int, block_time: int, step: int
    ) -> list[OrderIntent]:
        spec = self.spec
        draws = rng.standard_exponential(2 * len(self.markets)).tolist()
        shift = math.log(spec.intensity)
        intents = []
        for index, market in enumerate(self.markets):
            mark = marks.get(market)
            if mark is None:
                continue
            for side, is_buy in enumerate((True, False)):
                distance = round((shift + draws[2 * index + side]) / spec.decay * ONE)  # D, 1e18 USD
                limit = min(UINT128_MAX, max(1, mark + distance if is_buy else mark - distance))
                trader = (2 * step + side) % spec.count
                expiry = now + max(1, block_time // 2)
                intents.append(
                    OrderIntent(trader, market, is_buy, spec.size_mean, limit, expiry, False, spec.max_fee_bps)
                )
        return intents


@dataclass(frozen=True)
class ArbTrade:
    market: int
    is_buy: bool
    size: int
    limit_quote: int


def arbitrage_trade(market: int, pool: Pool, mark: int, price_scale: int, spec: ArbSpec) -> ArbTrade | None:
    """The trade that brings the pool's mid to ``mark`` (capped at ``max_size``), if the gap is worth it.

    With reserves ``B`` (base) and ``Q`` (quote), the mid is ``Q·scale/B`` and ``B·Q`` stays ``k``,
    so the mid equals ``mark`` when ``B* = √(k·scale/mark)``; the arbitrageur trades ``|B − B*|``.
    The limit is the mirror's own quote: the runner sends the trade right after reading the pool.
    """
    mid = pool.mid(price_scale)
    if abs(mid - mark) * BPS <= spec.threshold_bps * mark:
        return None
    target_base = math.isqrt(pool.base * pool.quote * price_scale // mark)
    is_buy = target_base < pool.base  # the mid is below the oracle: buy base from the pool
    size = min(abs(pool.base - target_base), spec.max_size)
    size -= size % SIZE_GRID
    if size <= 0:
        return None
    try:
        quote = pool.quote_buy(size) if is_buy else pool.quote_sell(size)
    except AmmMathError:
        return None
    return ArbTrade(market, is_buy, size, quote)
