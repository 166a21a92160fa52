"""PnL of the desk as a business (its Vault book plus the fee account), split exactly into parts.

The desk's value at any moment is ``cash + fee_cash + Σ value(position, mark)``, with positions
valued the way the Vault values them (``value``: rounded down when long, up in magnitude when
short). ``breakdown`` walks ``RunResult.desk_events`` in chain order from ``RunResult.start`` and
books every change of that value into one part, in integer collateral units:

- ``mark``: the market's mark moves from ``old`` to ``new``; ``value(pos, new) - value(pos, old)``
  goes to **inventory**.
- ``internal``: the desk takes the other side of an internal leg at the mark ``price``;
  ``cash_delta + value(pos + base_delta, price) - value(pos, price)`` goes to **spread**.
- ``hedge``: the same, for the desk's own AMM trades, goes to **hedging**.
- ``fee``: ``cash_delta`` goes to **fees**.
- ``funding``: the funding the desk's book settled (the Vault's ``FundingSettled`` word for the
  desk, in a settle, a hedge or a liquidation): ``cash_delta`` goes to **funding**.
- ``liquidation``: the desk took (part of) a liquidated account's position at the oracle ``price``;
  valued like ``internal``, it goes to **liquidations** (only the rounding of the Vault's cash move,
  the position's later moves are inventory).
- ``capital``: a depositor put cash into the desk's shares or took it out (``cash_delta``): not PnL;
  the total is the change of the desk's value less these flows.

Why the parts add up to the total to the unit: each event's booking is exactly the change of the
desk's value that the event causes, valued at the mark current at that moment, so the sum
telescopes from the start value to the end value. That only holds if the mark an event is valued at
*is* the current mark. When an ``internal`` or ``hedge`` event carries a ``price`` different from
the current mark (the oracle moved without a ``mark`` event, or the start marks are older), the
walk first books that move as an implicit ``mark`` event (into **inventory**) and then values the
trade at the new mark. ``residual = total - Σ parts`` is therefore 0 whenever the events are
complete and the end marks are the last marks seen; a non-zero residual means events are missing.

``cumulative_pnl`` replays the same walk and samples the running parts at the end of every step,
for ``timeseries.csv`` and ``pnl.png``. Events are assumed to be in chain order, so their steps
never decrease.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from defi_int.market.ledger import ceil_div
from defi_int.metrics.records import BookState, DeskEvent, RunResult

PARTS: tuple[str, ...] = ("spread", "inventory", "fees", "hedging", "funding", "liquidations")


def value(pos: int, mark: int, price_scale: int) -> int:
    """The Vault's conservative value of ``pos`` at ``mark``, in collateral units."""
    if pos >= 0:
        return pos * mark // price_scale
    return -ceil_div(-pos * mark, price_scale)


def book_value(book: BookState, price_scale: int) -> int:
    """``cash + fee_cash + Σ value(position, mark)``; a market without a mark is marked at 0."""
    positions = sum(value(pos, book.marks.get(market, 0), price_scale) for market, pos in book.positions.items())
    return book.cash + book.fee_cash + positions


@dataclass(frozen=True)
class PnlBreakdown:
    """The desk's PnL over a run in collateral units; ``residual`` is 0 when the events are complete."""

    spread: int
    inventory: int
    fees: int
    hedging: int
    funding: int
    liquidations: int
    total: int
    residual: int

    def parts(self) -> dict[str, int]:
        """The parts, in ``PARTS`` order."""
        return {name: getattr(self, name) for name in PARTS}


class PnlPoint(NamedTuple):
    """The cumulative parts at the end of ``step``, collateral units."""

    step: int
    spread: int
    inventory: int
    fees: int
    hedging: int
    funding: int = 0
    liquidations: int = 0

    @property
    def total(self) -> int:
        return sum(self[1:])


class _Walk:
    """The running state of the event walk: positions, marks and the cumulative parts."""

    def __init__(self, start: BookState, price_scale: int) -> None:
        self.price_scale = price_scale
        self.positions = dict(start.positions)
        self.marks = dict(start.marks)
        self.spread = 0
        self.inventory = 0
        self.fees = 0
        self.hedging = 0
        self.funding = 0
        self.liquidations = 0
        self.capital = 0  # depositors' cash in (+) and out (-): no part of the PnL

    def remark(self, market: int, mark: int) -> None:
        pos = self.positions.get(market, 0)
        old = self.marks.get(market, 0)
        self.inventory += value(pos, mark, self.price_scale) - value(pos, old, self.price_scale)
        self.marks[market] = mark

    def trade(self, event: DeskEvent) -> int:
        if self.marks.get(event.market, 0) != event.price:
            self.remark(event.market, event.price)  # the implicit mark event; see the module docstring
        pos = self.positions.get(event.market, 0)
        after = pos + event.base_delta
        self.positions[event.market] = after
        scale = self.price_scale
        return event.cash_delta + value(after, event.price, scale) - value(pos, event.price, scale)

    def apply(self, event: DeskEvent) -> None:
        if event.kind == "mark":
            self.remark(event.market, event.price)
        elif event.kind == "internal":
            self.spread += self.trade(event)
        elif event.kind == "hedge":
            self.hedging += self.trade(event)
        elif event.kind == "fee":
            self.fees += event.cash_delta
        elif event.kind == "funding":
            self.funding += event.cash_delta
        elif event.kind == "liquidation":
            self.liquidations += self.trade(event)
        elif event.kind == "capital":
            self.capital += event.cash_delta
        else:  # pragma: no cover - DeskEventKind is closed; a new kind must be handled here
            raise ValueError(f"unknown desk event kind {event.kind!r}")

    def point(self, step: int) -> PnlPoint:
        return PnlPoint(step, self.spread, self.inventory, self.fees, self.hedging, self.funding, self.liquidations)


def _walk(result: RunResult) -> Iterator[tuple[DeskEvent, _Walk]]:
    walk = _Walk(result.start, result.price_scale)
    for event in result.desk_events:
        walk.apply(event)
        yield event, walk


def breakdown(result: RunResult) -> PnlBreakdown:
    """The run's PnL split into ``PARTS``, exact to the unit."""
    walk = _Walk(result.start, result.price_scale)
    for event in result.desk_events:
        walk.apply(event)
    total = book_value(result.end, result.price_scale) - book_value(result.start, result.price_scale) - walk.capital
    point = walk.point(0)
    parts = point.total
    return PnlBreakdown(*point[1:], total=total, residual=total - parts)


def cumulative_pnl(result: RunResult) -> list[PnlPoint]:
    """The running parts at the end of every step seen in the time series or the events, step order.

    A step without events repeats the previous values; steps before the first event are all zero.
    """
    at_step: dict[int, PnlPoint] = {}
    for event, walk in _walk(result):
        at_step[event.step] = walk.point(event.step)
    steps = sorted({point.step for point in result.timeseries} | set(at_step))
    points: list[PnlPoint] = []
    last = PnlPoint(0, 0, 0, 0, 0)
    for step in steps:
        last = at_step.get(step, last)._replace(step=step)
        points.append(last)
    return points
