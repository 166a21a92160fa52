"""Labels: the desk's markout at the toxicity horizon, known only ``h`` steps after the trade.

The label of a trade is ``markout_bps``: what the desk earned on it, in bps of its price, marked at
the oracle ``horizon`` steps later, from the desk's side. The trade is **toxic** when the label is
negative: the trader would have gained by unwinding at the oracle then (Cartea, Duran-Martin &
Sánchez-Betancourt, "Detecting toxic flow", Quantitative Finance 2026).

Labels arrive late, and nothing may learn from one before it exists::

    push(Pending(step, market, desk_buys, price, size, trader, ...))   at the trade (or the receipt)
        ▼
    mature(now, marks)   called once per step with the fresh oracle marks of ``now``: releases, in
        │                the order they were pushed, the items with ``step + horizon <= now`` whose
        │                market has a mark at ``now`` (a stale market keeps them waiting)
        ▼
    Label(pending, markout_bps, marked_at, move_bps)   -> the per-trader book and the model's ``update``

A label's ``move_bps`` is the same markout measured from the oracle at the trade (``Pending.mark``)
instead of the trade's price: the part of the label the trader's information decides, without
the desk's own spread and inventory skew (``markout_bps ≈ the quote's spread + move_bps``).

A ``Pending`` may carry the order's features and the prediction made at receipt, so a label can
be joined to what was predicted before it existed; a counterfactual one is the desk's quote at
receipt for an order it did not fill (see ``scorer``).

Pure: ints for prices and sizes, floats for the markouts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from defi_int.types import BPS

if TYPE_CHECKING:
    from defi_int.keeper.toxicity.features import OrderFeatures
    from defi_int.keeper.toxicity.models import Prediction


def markout_bps(desk_buys: bool, price: int, mark: int) -> float:
    """The desk's markout in bps of ``price`` when it traded at ``price`` and the oracle is now ``mark``.

    The desk that bought gains when the mark rose; the desk that sold, when it fell.
    """
    move = mark - price
    return (move if desk_buys else -move) * BPS / price


@dataclass(frozen=True)
class Pending:
    """A trade waiting for its mark: the desk ``desk_buys`` ``size`` at ``price`` at ``step``."""

    step: int
    market: int
    desk_buys: bool
    price: int  # 1e18 USD per base unit: the fill price, or the desk's quote at receipt
    size: int  # base units
    trader: str
    digest: bytes = b""
    features: OrderFeatures | None = None
    prediction: Prediction | None = None
    counterfactual: bool = False  # a quote the desk did not fill, not a fill
    mark: int = 0  # the oracle at the trade (1e18; 0: unknown, the move is then measured from ``price``)


@dataclass(frozen=True)
class Label:
    """A matured ``Pending``: its markout at the horizon, marked at step ``marked_at``."""

    pending: Pending
    markout_bps: float
    marked_at: int
    move_bps: float = 0.0  # the markout from the oracle at the trade (see the module docstring)

    @property
    def toxic(self) -> bool:
        return self.markout_bps < 0

    @property
    def trader(self) -> str:
        return self.pending.trader

    @property
    def size(self) -> int:
        return self.pending.size

    @property
    def features(self) -> OrderFeatures | None:
        return self.pending.features


@dataclass
class LabelQueue:
    """Trades waiting ``horizon`` steps for their mark (see the module docstring).

    The desk pushes its trades in step order, so only a prefix of the queue can be due: while that
    holds (``_sorted``, known again on restore, not saved), ``mature`` looks at that prefix only."""

    horizon: int
    _pending: list[Pending] = field(default_factory=list)
    _now: int | None = None  # the latest step matured
    _sorted: bool = field(default=True, repr=False, compare=False)  # every push at a step >= the last's

    def push(self, item: Pending) -> None:
        if item.price <= 0:
            raise ValueError(f"a trade at price {item.price} cannot be marked")
        pending = self._pending
        if pending and item.step < pending[-1].step:
            self._sorted = False
        pending.append(item)

    def mature(self, now: int, marks: Mapping[int, int]) -> list[Label]:
        """The items ``horizon`` steps old or older at ``now``, marked at ``marks`` (fresh oracle prices)."""
        if self._now is not None and now < self._now:
            raise ValueError(f"step {now} matured after step {self._now}: steps must not go back")
        self._now = now
        pending, due = self._pending, now - self.horizon  # an item of a step after ``due`` waits
        end = len(pending)
        if self._sorted:
            end = 0
            while end < len(pending) and pending[end].step <= due:
                end += 1
        keep, ready = [], []
        for item in pending[:end]:
            mark = marks.get(item.market)
            if item.step > due or mark is None:
                keep.append(item)
            else:
                move = markout_bps(item.desk_buys, item.mark or item.price, mark)
                ready.append(Label(item, markout_bps(item.desk_buys, item.price, mark), now, move))
        if ready:  # what is left keeps its order
            keep.extend(pending[end:])
            self._pending = keep
            if not self._sorted:  # taking items out of a sorted queue leaves it sorted
                self._sorted = _in_step_order(keep)
        return ready

    def __getstate__(self) -> dict[str, object]:
        return {"horizon": self.horizon, "_pending": self._pending, "_now": self._now}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._sorted = _in_step_order(self._pending)

    def __len__(self) -> int:
        return len(self._pending)


def _in_step_order(items: list[Pending]) -> bool:
    return all(a.step <= b.step for a, b in itertools.pairwise(items))
