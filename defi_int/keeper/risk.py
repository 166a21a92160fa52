"""Risk: when the desk hedges, and which traders' flow it stops taking (toxicity).

- ``hedge_order`` (DESIGN, keeper loop step 5): past the soft inventory limit the desk trades its
  own book on the AMM back to ``hedge_to``, with a quote limit ``slippage_bps`` worse than the
  AMM mirror's quote, so a pool that moved under it makes the hedge revert instead of overpaying.
- ``MarkoutBook`` keeps the markout history of internal fills per trader: each fill is marked at
  the oracle ``horizon`` steps later, from the desk's side (negative: the trader was right). A
  trader whose size-weighted mean markout is below ``−threshold_bps`` over at least ``min_fills``
  fills is judged toxic, and the matcher routes that trader's flow out instead of filling it.

Pure: ints, floats for the statistics, no web3.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

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
class MarkoutBook:
    """Markout history of internal fills per trader at one horizon (see the module docstring)."""

    horizon: int
    threshold_bps: float
    min_fills: int
    _pending: list[_Pending] = field(default_factory=list)
    _stats: dict[str, _Stats] = field(default_factory=lambda: defaultdict(_Stats))

    def record(self, step: int, trader: str, market: int, trader_buys: bool, size: int, price: int) -> None:
        """An internal fill settled at ``step``; it is marked ``horizon`` steps later."""
        if size and price:
            self._pending.append(_Pending(step, trader.lower(), market, not trader_buys, size, price))

    def observe(self, step: int, marks: dict[int, int]) -> None:
        """The oracle marks at ``step``: fills ``horizon`` steps old are marked with them."""
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
        """(size-weighted mean markout in bps from the desk's side, fills marked) for ``trader``."""
        stats = self._stats.get(trader.lower())
        return (stats.mean, stats.fills) if stats else (0.0, 0)

    def is_toxic(self, trader: str) -> bool:
        mean, fills = self.markout(trader)
        return fills >= self.min_fills and mean < -self.threshold_bps
