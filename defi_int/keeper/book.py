"""The keeper's book: resting orders, bounded, and which of them a batch takes (fair selection).

Every order that passed intake rests here as a ``BookEntry`` (the order, its signature, its
digest computed once, its arrival number, what of it the chain has filled) until it fills, expires,
is cancelled or is rejected. ``OrderBook`` holds them by digest in arrival order, bounded in total
(``max_orders``) and per trader (``max_per_trader``). The book can be built from saved entries, so a
service can persist it (the bot keeps it in SQLite) and hand it back after a restart.

**Selection.** A batch is bounded (the keeper's ``max_batch``, and the fills one settle may carry
under the block gas limit), so the keeper picks which resting orders a batch looks at by
``priority``: marketable orders first (the limit reaches into the oracle band, where the desk may
fill), then by price (how far the limit reaches through the oracle mark, in relative terms, so
markets compare), then by time (arrival). Orders far from the market, however many and however
old, never crowd out a marketable one. Inside the batch the planner still serves orders in arrival
order. When the book is full, a new order that ranks better than the worst resting one evicts it;
otherwise it is refused.

Pure: plain Python, the marks come from the keeper's latest snapshot.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from defi_int.exceptions import OrderRejected
from defi_int.orders.model import Order
from defi_int.reasons import Reason
from defi_int.types import BPS

if TYPE_CHECKING:
    from defi_int.keeper.toxicity.features import OrderFeatures
    from defi_int.keeper.toxicity.models import Prediction

#: Parts per billion: the resolution of the price priority.
_PPB = 10**9

Priority = tuple[int, int, int]


@dataclass(frozen=True)
class Receipt:
    """What the desk saw when an order arrived (see the module docstring)."""

    time: int  # unix seconds (the chain's time the order was received at)
    block: int  # the block of the desk's view the figures come from
    step: int  # the simulator's step (0 in the bot)
    oracle_price: int
    oracle_fresh: bool
    amm_mid: int  # 0: no pool
    desk_price: int | None  # the desk's price for the order's whole size then (None: none)
    amm_price: int | None  # the AMM's average price for the same size then (None: it could not)
    marketable: bool  # the limit reached the better of the two prices

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (prices as decimal strings) for the journal and the API."""
        return {
            "time": self.time,
            "block": self.block,
            "step": self.step,
            "oracle_price": str(self.oracle_price),
            "oracle_fresh": self.oracle_fresh,
            "amm_mid": str(self.amm_mid),
            "desk_price": None if self.desk_price is None else str(self.desk_price),
            "amm_price": None if self.amm_price is None else str(self.amm_price),
            "marketable": self.marketable,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Receipt:
        def price(key: str) -> int | None:
            value = raw.get(key)
            return None if value is None else int(value)

        return cls(
            int(raw["time"]), int(raw["block"]), int(raw["step"]), int(raw["oracle_price"]), bool(raw["oracle_fresh"]),
            int(raw["amm_mid"]), price("desk_price"), price("amm_price"), bool(raw["marketable"]),
        )  # fmt: skip


@dataclass
class BookEntry:
    """An order resting in the keeper's book."""

    order: Order
    signature: bytes
    digest: bytes  # EIP-712 digest, computed once at intake
    seq: int  # arrival number: time priority
    received_step: int = 0
    filled: int = 0  # base units settled so far (from events, corrected from chain reads)
    in_flight: bool = False  # part of a settle transaction not reconciled yet
    receipt: Receipt | None = None  # what the desk saw when the order arrived (``keeper.quote``)
    prediction: Prediction | None = None  # the toxicity model's score at receipt (None: no model)
    features: OrderFeatures | None = None  # what the model saw (``toxicity.features``)

    @property
    def remaining(self) -> int:
        return self.order.size - self.filled


def priority(entry: BookEntry, marks: Mapping[int, int], max_deviation_bps: Mapping[int, int]) -> Priority:
    """The sort key of ``entry``, smaller first: (not marketable, −price reach, arrival).

    The reach is how far the limit goes through the oracle mark on the trader's side, in parts per
    billion of the mark (a buy at 2,010 against a mark of 2,000 reaches +5,000,000). An order whose
    market has no known mark ranks last.
    """
    order = entry.order
    mark = marks.get(order.market)
    if mark is None or mark <= 0:
        return (2, 0, entry.seq)
    through = order.limit_price - mark if order.is_buy else mark - order.limit_price
    marketable = through * BPS >= -max_deviation_bps.get(order.market, 0) * mark
    return (0 if marketable else 1, -(through * _PPB // mark), entry.seq)


class OrderBook:
    """Resting orders by digest, in arrival order, bounded in total and per trader."""

    def __init__(self, max_orders: int, max_per_trader: int, entries: Iterable[BookEntry] = ()) -> None:
        if max_orders < 1 or max_per_trader < 1:
            raise ValueError(f"book bounds must be positive, got {max_orders} and {max_per_trader}")
        self.max_orders = max_orders
        self.max_per_trader = max_per_trader
        self._entries: dict[bytes, BookEntry] = {}
        self._per_trader: Counter[str] = Counter()
        self._next_seq = 0
        for entry in sorted(entries, key=lambda e: e.seq):
            self._put(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, digest: object) -> bool:
        return digest in self._entries

    def __iter__(self) -> Iterator[BookEntry]:
        """The entries in arrival order."""
        return iter(list(self._entries.values()))

    def get(self, digest: bytes) -> BookEntry | None:
        return self._entries.get(digest)

    def resting(self, trader: str) -> int:
        """How many of ``trader``'s orders rest in the book."""
        return self._per_trader[trader.lower()]

    def admit(
        self, order: Order, signature: bytes, digest: bytes, step: int, rank: Callable[[BookEntry], Priority]
    ) -> tuple[BookEntry, list[BookEntry]]:
        """Adds an order that passed intake; returns its entry and the entries it evicted.

        Raises ``OrderRejected`` (``trader-book-full``, ``book-full``) when it does not fit.
        """
        if self.resting(order.trader) >= self.max_per_trader:
            raise OrderRejected(
                Reason.RESTING_CAP, f"{order.trader} already has {self.max_per_trader} orders resting", digest
            )
        entry = BookEntry(order, signature, digest, self._next_seq, step)
        evicted = []
        if len(self._entries) >= self.max_orders:
            movable = [e for e in self._entries.values() if not e.in_flight]
            worst = max(movable, key=rank, default=None)
            if worst is None or rank(entry) >= rank(worst):
                raise OrderRejected(
                    Reason.BOOK_FULL, f"the book holds {self.max_orders} orders, all ranked ahead of this one", digest
                )
            self.remove(worst.digest)
            evicted.append(worst)
        self._put(entry)
        return entry, evicted

    def remove(self, digest: bytes) -> BookEntry | None:
        entry = self._entries.pop(digest, None)
        if entry is not None:
            self._per_trader[entry.order.trader.lower()] -= 1
        return entry

    def select(self, capacity: int, rank: Callable[[BookEntry], Priority]) -> list[BookEntry]:
        """Up to ``capacity`` entries not in flight, best ``rank`` first."""
        idle = [e for e in self._entries.values() if not e.in_flight]
        if len(idle) <= capacity:
            return sorted(idle, key=rank)
        return heapq.nsmallest(capacity, idle, key=rank)

    def _put(self, entry: BookEntry) -> None:
        if entry.digest in self._entries:
            raise ValueError(f"order {entry.digest.hex()} is already in the book")
        self._entries[entry.digest] = entry
        self._per_trader[entry.order.trader.lower()] += 1
        self._next_seq = max(self._next_seq, entry.seq + 1)
