"""A small synthetic market for the toxicity tests: an oracle that lags the true price, and traders.

The AMM's arbitrageurs keep its mid at the true price; the oracle posts the true price of ``lag``
steps ago. Informed traders trade the gap (buy when the AMM is above the oracle), each order from
a fresh address so no per-trader history can catch them; noise traders, from a pool of 20
addresses, trade either way at random. Every order is priced by the desk at the oracle ± a
half-spread and filled internally in its receipt step. ``drive`` plays the events through a
``Scorer`` in the order the keeper will: observe the market, score the orders, book the fills,
then the step's marks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.labels import Label
from defi_int.keeper.toxicity.models import Prediction
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.orders.model import Order
from defi_int.types import BPS, ONE

BLOCK = 12
START = 1_700_000_000
HALF_SPREAD_BPS = 5


def address(kind: str, index: int) -> str:
    return "0x" + (kind.encode().hex() + f"{index:x}").rjust(40, "0")[-40:]


@dataclass(frozen=True)
class Arrival:
    order: Order
    digest: bytes
    informed: bool
    quote: int
    inventory: int  # the desk's position before this order (every order fills internally)


@dataclass(frozen=True)
class World:
    oracle: list[int]  # per step
    amm_mid: list[int]
    arrivals: list[list[Arrival]]  # per step

    @property
    def steps(self) -> int:
        return len(self.arrivals)


def lagging_oracle(steps: int, seed: int, *, lag: int = 3, informed_share: float = 0.3, rate: float = 4.0) -> World:
    rng = np.random.default_rng(seed)
    true = 2_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, steps + lag)))
    oracle = [int(true[t] * ONE) for t in range(steps)]
    amm = [int(true[t + lag] * ONE) for t in range(steps)]
    arrivals, nonce, inventory = [], 0, 0
    for t in range(steps):
        now = START + t * BLOCK
        here = []
        for _ in range(int(rng.poisson(rate))):
            nonce += 1
            informed = bool(rng.random() < informed_share)
            if informed:
                trader, is_buy = address("1f", nonce), amm[t] > oracle[t]
            else:
                trader, is_buy = address("a0", int(rng.integers(20))), bool(rng.random() < 0.5)
            size = int(rng.uniform(0.5, 3.0) * ONE)
            limit = oracle[t] * (BPS + 50) // BPS if is_buy else oracle[t] * (BPS - 50) // BPS
            expiry = now + BLOCK * int(rng.integers(1, 5))
            order = Order(trader, 0, is_buy, size, limit, expiry, nonce, 10, bool(rng.random() < 0.8))
            quote = oracle[t] * (BPS + HALF_SPREAD_BPS) // BPS if is_buy else oracle[t] * (BPS - HALF_SPREAD_BPS) // BPS
            here.append(Arrival(order, nonce.to_bytes(32, "big"), informed, quote, inventory))
            inventory += -size if is_buy else size
        arrivals.append(here)
    return World(oracle, amm, arrivals)


@dataclass(frozen=True)
class Scored:
    step: int
    digest: bytes
    informed: bool
    features: OrderFeatures
    prediction: Prediction


MarkHook = Callable[[int, Mapping[int, int]], Mapping[int, int]]


def drive(
    scorer: Scorer,
    world: World,
    steps: range | None = None,
    *,
    marks_at: MarkHook | None = None,
    fill: Callable[[Arrival], bool] = lambda arrival: True,
) -> tuple[list[Scored], list[Label]]:
    """Plays ``world``'s ``steps`` through ``scorer``; ``marks_at`` may replace the marks each step sees,
    ``fill`` says which orders the desk fills (in their receipt step, at its quote)."""
    scored, labels = [], []
    for t in steps if steps is not None else range(world.steps):
        now = START + t * BLOCK
        pool_base = 1_000 * ONE
        scorer.observe_market(t, now, 0, world.oracle[t], now - BLOCK * (t % 3), world.amm_mid[t], pool_base)
        for arrival in world.arrivals[t]:
            order = arrival.order
            features, prediction = scorer.score(
                order,
                arrival.digest,
                step=t,
                now=now,
                inventory=arrival.inventory,
                cap=30 * ONE,
                desk_quote=arrival.quote,
            )
            scored.append(Scored(t, arrival.digest, arrival.informed, features, prediction))
            if fill(arrival):
                scorer.on_fill(
                    arrival.digest,
                    step=t,
                    trader=order.trader,
                    market=0,
                    trader_buys=order.is_buy,
                    size=order.size,
                    price=arrival.quote,
                )
        marks: Mapping[int, int] = {0: world.oracle[t]}
        if marks_at is not None:
            marks = marks_at(t, marks)
        labels.extend(scorer.on_step(t, marks))
    return scored, labels
