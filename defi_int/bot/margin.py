"""Intake's margin filter: an order whose trader's free margin cannot carry it is refused (``insufficient_margin``).

So that unfunded addresses cannot fill the book. The rule is the Vault's, through the ledger mirror
(``market.ledger.order_margin``): the trader's equity after the whole order filled (at the oracle,
or at its limit when that is better for the trader; the fee at the order's ``maxFeeBps``) must cover
the initial margin of its positions. An order that only shrinks a position always passes, as the
Vault lets it; so does one in a market without a fresh price (it rests until there is one).

The trader's book comes from the chain (``views.read_ledger``: cash, positions, funding marks, one
``eth_call``), cached for ``ttl`` seconds per trader, and valued at the loop's latest snapshot
(prices, time), so the API never waits on the node for a trader it saw recently. A refusal is never
made on an old read: when a cached book refuses, it is read again first, so a trader funded a
moment ago (``defi-int fund``) is taken at once (the per-trader rate limit bounds those reads).
The chain is the last word anyway: a settle checks margin again, and an order it refuses rests
with the chain's reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from defi_int.bot.errors import ApiRejection
from defi_int.bot.snapshot import DeskSnapshot
from defi_int.market.ledger import Env, Ledger, order_margin
from defi_int.orders.model import Order
from defi_int.reasons import Reason
from defi_int.types import ONE

#: A book read this recently is not read again before a refusal (it was read for this very request).
REFRESH_SECONDS = 0.05


@dataclass(frozen=True)
class _Read:
    ledger: Ledger
    at: float


class MarginCheck:
    """See the module docstring. ``read(trader)`` reads a trader's book from the chain (blocking)."""

    def __init__(
        self,
        read: Callable[[str], Ledger],
        snapshot: Callable[[], DeskSnapshot | None],
        *,
        ttl: float = 2.0,
        decimals: int = 6,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._snapshot = snapshot
        self.ttl = ttl
        self.unit = 10**decimals
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, _Read] = {}
        self.reads = 0

    def fresh(self, trader: str) -> bool:
        """Whether ``trader``'s cached book is young enough to judge an order on without reading."""
        found = self._cache.get(trader.lower())
        return found is not None and self._clock() - found.at < self.ttl

    def load(self, trader: str) -> None:
        """Reads ``trader``'s book from the chain (blocking: the API runs it in a worker thread)."""
        with self._lock:  # one read at a time on the reader's connection
            ledger = self._read(trader)
            self.reads += 1
            self._cache[trader.lower()] = _Read(ledger, self._clock())

    def refusal(self, order: Order) -> str | None:
        """Why ``order`` cannot be carried, on the cached book (None: it can, or it cannot be judged)."""
        found = self._cache.get(order.trader.lower())
        snapshot = self._snapshot()
        if found is None or snapshot is None:
            return None
        prices = {m: s.oracle_price for m, s in snapshot.markets.items() if s.fresh}
        env = Env(snapshot.time, prices)
        state = order_margin(
            found.ledger,
            order.trader,
            order.market,
            order.is_buy,
            order.size,
            order.limit_price,
            order.max_fee_bps,
            env,
        )
        if state is None:
            return None
        equity, required = state
        if equity >= required and equity >= 0:
            return None
        return (
            f"trader {order.trader} would hold equity {equity / self.unit:,.6f} against the "
            f"{required / self.unit:,.6f} initial margin this order needs ({order.size / ONE:g} in market "
            f"{order.market}); deposit margin first (defi-int fund)"
        )

    def needs_second_look(self, trader: str) -> bool:
        """After a refusal on a cached book: whether it is old enough to be read again before refusing."""
        found = self._cache.get(trader.lower())
        return found is None or self._clock() - found.at >= REFRESH_SECONDS

    def check(self, order: Order) -> None:
        """Raises ``insufficient_margin`` on the cached book (the caller reads it first when not fresh)."""
        why = self.refusal(order)
        if why is not None:
            raise ApiRejection(Reason.INSUFFICIENT_MARGIN, why)
