"""``trader_rule`` decides exactly as ``keeper.toxicity_routing`` did: the reference below is the
``MarkoutBook`` of ``keeper/risk.py`` before it moved to ``keeper.toxicity.traders``, verbatim."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from defi_int.keeper.toxicity.models import ToxicityConfig, TraderRuleModel
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.orders.model import Order
from defi_int.types import BPS, ONE

# ----------------------------------------------------------------- the rule as it was (risk.py, bd552a1)


@dataclass(frozen=True)
class _Pending:
    step: int
    trader: str
    market: int
    desk_buys: bool
    size: int
    price: int


@dataclass
class _Stats:
    weight: float = 0.0
    weighted_sum: float = 0.0
    fills: int = 0

    @property
    def mean(self) -> float:
        return self.weighted_sum / self.weight if self.weight else 0.0


@dataclass
class ReferenceMarkoutBook:
    horizon: int
    threshold_bps: float
    min_fills: int
    _pending: list[_Pending] = field(default_factory=list)
    _stats: dict[str, _Stats] = field(default_factory=lambda: defaultdict(_Stats))

    def record(self, step: int, trader: str, market: int, trader_buys: bool, size: int, price: int) -> None:
        if size and price:
            self._pending.append(_Pending(step, trader.lower(), market, not trader_buys, size, price))

    def observe(self, step: int, marks: dict[int, int]) -> None:
        keep = []
        for fill in self._pending:
            if fill.step + self.horizon > step or fill.market not in marks:
                keep.append(fill)
                continue
            move = marks[fill.market] - fill.price
            markout = (move if fill.desk_buys else -move) * BPS / fill.price
            stats = self._stats[fill.trader]
            weight = fill.size / 1e18
            stats.weight += weight
            stats.weighted_sum += markout * weight
            stats.fills += 1
        self._pending = keep

    def markout(self, trader: str) -> tuple[float, int]:
        stats = self._stats.get(trader.lower())
        return (stats.mean, stats.fills) if stats else (0.0, 0)

    def is_toxic(self, trader: str) -> bool:
        mean, fills = self.markout(trader)
        return fills >= self.min_fills and mean < -self.threshold_bps


# ----------------------------------------------------------------- the comparison

TRADERS = ["0x" + f"{i:02x}" * 20 for i in range(1, 9)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trader_rule_flags_exactly_the_traders_the_old_markout_book_did(seed: int) -> None:
    rng = random.Random(seed)
    horizon, threshold, min_fills = rng.choice([1, 3, 5]), rng.choice([0.0, 5.0, 10.0]), rng.choice([1, 3, 5])
    reference = ReferenceMarkoutBook(horizon, threshold, min_fills)
    config = ToxicityConfig(model="trader_rule", horizon=horizon, threshold_bps=threshold, min_fills=min_fills)
    scorer = Scorer(config)
    assert isinstance(scorer.model, TraderRuleModel)
    prices = {0: 2_000 * ONE, 1: 30 * ONE}
    skill = {t: rng.uniform(-1, 1) for t in TRADERS}  # how often a trader is right
    nonce, decisions = 0, 0
    for step in range(200):
        moves = {m: p * rng.randint(-40, 40) // BPS for m, p in prices.items()}
        for market, price in prices.items():
            scorer.observe_market(step, 1_000 + step, market, price, 1_000 + step, price, 1_000 * ONE)
        for trader in TRADERS:
            nonce += 1
            probe = Order(trader, 0, True, ONE, prices[0], 10_000, nonce, 10, True)
            _, prediction = scorer.score(
                probe, nonce.to_bytes(32, "big"), step=step, now=1_000 + step, inventory=0, cap=ONE
            )
            toxic = reference.is_toxic(trader)
            assert prediction.flagged == toxic == scorer.trader_toxic(trader)
            assert scorer.fills.markout(trader) == reference.markout(trader)
            decisions += toxic
        for _ in range(rng.randint(0, 6)):
            trader, market = rng.choice(TRADERS), rng.choice([0, 1])
            right = rng.random() < 0.5 + skill[trader] / 2
            trader_buys = (moves[market] > 0) == right
            size, price = rng.randint(1, 5 * ONE), prices[market] + rng.randint(-ONE // 100, ONE // 100)
            reference.record(step, trader, market, trader_buys, size, price)
            scorer.on_fill(
                b"", step=step, trader=trader, market=market, trader_buys=trader_buys, size=size, price=price
            )
        prices = {m: p + moves[m] for m, p in prices.items()}
        marks = {m: p for m, p in prices.items() if m == 0 or step % 4 != 3}  # market 1 goes stale now and then
        reference.observe(step, marks)
        scorer.on_step(step, marks)
    assert 0 < decisions < 200 * len(TRADERS)  # the rule did flag someone, not everyone


def fill(scorer: Scorer, step: int, trader: str, trader_buys: bool, price: int) -> None:
    scorer.on_fill(b"", step=step, trader=trader, market=0, trader_buys=trader_buys, size=ONE, price=price)


def test_the_rule_needs_both_enough_fills_and_a_mean_below_the_threshold() -> None:
    scorer = Scorer(ToxicityConfig(model="trader_rule", horizon=1, threshold_bps=5.0, min_fills=2))
    trader = TRADERS[0]
    fill(scorer, 0, trader, True, 2_000 * ONE)
    scorer.on_step(1, {0: 2_010 * ONE})  # −50 bps, one fill
    assert not scorer.trader_toxic(trader)
    fill(scorer, 1, trader, True, 2_000 * ONE)
    scorer.on_step(2, {0: 2_000 * ONE - ONE})  # +0.005 bps: the mean stays far below −5
    assert scorer.trader_toxic(trader) and scorer.fills.markout(trader)[1] == 2


def test_a_fill_is_marked_only_once_its_horizon_has_passed_and_a_trader_the_desk_earns_from_is_not_toxic() -> None:
    scorer = Scorer(ToxicityConfig(model="trader_rule", horizon=2, threshold_bps=5.0, min_fills=1))
    right, wrong = TRADERS[0], TRADERS[1]
    fill(scorer, 0, right, True, 2_000 * ONE)  # buys from the desk at 2000 before a 1% rise
    fill(scorer, 0, wrong, False, 2_000 * ONE)  # sells to the desk at 2000 before the same rise
    scorer.on_step(1, {0: 2_020 * ONE})
    assert scorer.fills.markout(right) == (0.0, 0)  # nothing is two steps old yet
    scorer.on_step(2, {0: 2_020 * ONE})
    assert round(scorer.fills.markout(right)[0], 6) == -100.0 and scorer.trader_toxic(right)
    assert scorer.fills.markout(wrong)[0] > 0 and not scorer.trader_toxic(wrong)
