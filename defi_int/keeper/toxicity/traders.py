"""Per-trader markouts: the one home of a trader's marked history and of the per-trader rule.

- ``TraderStats``: one trader's marked history: how many markouts, their size-weighted mean, and
  a recency-weighted mean (exponential: a markout weighs half as much after ``RECENCY_HALFLIFE``
  newer ones).
- ``TraderBook``: the stats of every trader (addresses are case-insensitive), fed marked trades
  with ``add``; ``is_toxic`` is the per-trader rule ``trader_rule``: a size-weighted mean markout
  below ``−threshold_bps`` over at least ``min_fills`` marked fills.
  The scorer (``scorer.Scorer``) feeds the book of internal fills from its label queue: the
  history behind ``keeper.toxicity_routing``, the same decisions as before it moved here.

The markout itself is ``labels.markout_bps`` (the desk's side, bps of the trade's price).
Pure: ints for prices and sizes, floats for the statistics.
"""

from __future__ import annotations

#: The recency-weighted markout weighs a markout half as much after this many newer ones.
RECENCY_HALFLIFE = 10
_DECAY = 0.5 ** (1 / RECENCY_HALFLIFE)


def trader_rule(mean_bps: float, fills: int, threshold_bps: float, min_fills: int) -> bool:
    """The per-trader rule: toxic once ``fills >= min_fills`` and the mean markout is below ``−threshold_bps``."""
    return fills >= min_fills and mean_bps < -threshold_bps


class TraderStats:
    """One trader's marked history (see the module docstring)."""

    __slots__ = ("fills", "recent", "weight", "weighted_sum")

    def __init__(self) -> None:
        self.weight = 0.0  # the sizes marked, base units
        self.weighted_sum = 0.0  # Σ markout × size
        self.fills = 0  # markouts counted
        self.recent = 0.0  # recency-weighted mean markout (0 before the first)

    @property
    def mean(self) -> float:
        """The size-weighted mean markout in bps (0 before the first)."""
        return self.weighted_sum / self.weight if self.weight else 0.0

    def add(self, markout: float, size: int) -> None:
        weight = size / 1e18  # (a float division, as the rule has always computed it: decisions stay equal)
        self.weight += weight
        self.weighted_sum += markout * weight
        self.recent = markout if self.fills == 0 else _DECAY * self.recent + (1 - _DECAY) * markout
        self.fills += 1

    def __getstate__(self) -> tuple[float, float, int, float]:
        return self.weight, self.weighted_sum, self.fills, self.recent

    def __setstate__(self, state: tuple[float, float, int, float]) -> None:
        self.weight, self.weighted_sum, self.fills, self.recent = state


#: The history of a trader never marked (shared: not to be changed).
NO_HISTORY = TraderStats()


class TraderBook:
    """The marked history of every trader, and the per-trader rule over it."""

    def __init__(self, threshold_bps: float, min_fills: int) -> None:
        self.threshold_bps = threshold_bps
        self.min_fills = min_fills
        self._stats: dict[str, TraderStats] = {}

    def add(self, trader: str, markout: float, size: int) -> None:
        """One marked trade of ``trader``'s: ``markout`` bps on ``size`` base units."""
        key = trader.lower()
        stats = self._stats.get(key)
        if stats is None:
            stats = self._stats[key] = TraderStats()
        stats.add(markout, size)

    def stats(self, trader: str) -> TraderStats:
        """``trader``'s history (``NO_HISTORY`` for a trader never marked)."""
        return self._stats.get(trader.lower(), NO_HISTORY)

    def markout(self, trader: str) -> tuple[float, int]:
        """(size-weighted mean markout in bps from the desk's side, fills marked) for ``trader``."""
        stats = self.stats(trader)
        return stats.mean, stats.fills

    def is_toxic(self, trader: str) -> bool:
        mean, fills = self.markout(trader)
        return trader_rule(mean, fills, self.threshold_bps, self.min_fills)

    def __len__(self) -> int:
        return len(self._stats)
