"""The trace: what the planner did with every order it saw, with the numbers and the rule that bound.

The one source of "why" (DESIGN, Transparency). ``matching.plan_market`` writes an ``OrderTrace``
for every order of a market's batch, beside the fills; ``Keeper.plan`` adds one for each order of a
market it could not price (no fresh oracle); validation and settlement mark the orders they drop
(``Plan.decline``). The simulator records the traces with the orders, the bot journals them and
``GET /v1/orders/{digest}`` shows them; a reason shown to a user is the one recorded here, never a
second computation.

``Action`` is what happened to the order in this batch:

- ``internalize``: filled from the desk's inventory, whole;
- ``partial``: part filled from inventory (the rest routed or resting);
- ``widen``: filled from inventory at a quote widened by the predicted markout;
- ``route``: nothing internal, the remaining size sent to the AMM;
- ``rest``: nothing this batch; it waits in the book;
- ``decline``: the batch dropped it (the off-chain replay of ``settle``, or the chain, refused it).

``reason`` is the one rule that bound (a ``defi_int.reasons.Reason``): why the desk filled less
than the whole remaining size; ``None`` when it filled it all from inventory with nothing binding.
The numbers are the planner's at the batch's time: the oracle mark, the AMM's mid before the
order's legs, the desk's own price for the remaining size (before netting and inventory room) and
the AMM's quote for it, the legs planned, and the toxicity decision when a model scored the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from defi_int.exceptions import OrderRejected
from defi_int.keeper.plan import PlannedFill
from defi_int.orders.model import Order
from defi_int.reasons import Reason


class Action(StrEnum):
    """What the batch did with an order; see the module docstring."""

    INTERNALIZE = "internalize"
    PARTIAL = "partial"
    WIDEN = "widen"
    ROUTE = "route"
    REST = "rest"
    DECLINE = "decline"


@dataclass(frozen=True)
class Decision:
    """The priced choice for one order (a toxicity model scored it), in bps of its notional at the mark.

    ``ev_internal = expected markout − inventory risk``, what filling it from inventory at the
    desk's quote is expected to earn (the markout is measured at the quote, so it holds the
    ``spread``); ``route_cost`` what sending it out costs (the AMM's impact and fee for the size,
    the room the desk gives up); ``widen`` how far the quote moved to price the shortfall in (0:
    not widened); ``cap`` the share of the size the score allows inside (``keeper.policy``).
    """

    model: str
    p_toxic: float
    expected_markout_bps: float  # from the desk's side: negative is the trader's gain
    spread_bps: float
    risk_bps: float
    ev_internal_bps: float
    route_cost_bps: float
    widen_bps: float = 0.0
    cap: float = 1.0


@dataclass(frozen=True)
class OrderTrace:
    """One order in one batch: the action, the rule that bound, and the numbers (see the module docstring)."""

    digest: bytes
    market: int
    is_buy: bool
    remaining: int  # base units left when the batch saw it
    action: Action
    reason: Reason | None
    detail: str
    internal_size: int = 0
    internal_price: int = 0  # 0 without an internal leg
    amm_size: int = 0
    amm_quote: int = 0  # what the AMM leg is expected to trade for (0 without one)
    mark: int | None = None  # the oracle price (None: stale)
    amm_mid: int = 0  # the AMM's mid before this order's legs (0: no pool)
    desk_quote: int | None = None  # the desk's price for the remaining size (None: it has none)
    amm_reference: int | None = None  # the AMM's quote (collateral units) for the remaining size
    decision: Decision | None = None
    now: int | None = None  # the batch's time

    @property
    def filled(self) -> int:
        return self.internal_size + self.amm_size

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (big integers as decimal strings) for the journal, the API and reports."""
        out: dict[str, Any] = {
            "action": self.action.value,
            "reason": None if self.reason is None else self.reason.code,
            "detail": self.detail,
            "market": self.market,
            "side": "buy" if self.is_buy else "sell",
            "remaining": str(self.remaining),
            "internal_size": str(self.internal_size),
            "internal_price": str(self.internal_price),
            "amm_size": str(self.amm_size),
            "amm_quote": str(self.amm_quote),
            "mark": None if self.mark is None else str(self.mark),
            "amm_mid": str(self.amm_mid),
            "desk_quote": None if self.desk_quote is None else str(self.desk_quote),
            "amm_reference": None if self.amm_reference is None else str(self.amm_reference),
            "now": self.now,
            "decision": None if self.decision is None else vars(self.decision).copy(),
        }
        return out


@dataclass
class Plan:
    """A batch's plan: the fills to settle, and a trace for every order the planner saw."""

    fills: list[PlannedFill] = field(default_factory=list)
    traces: dict[bytes, OrderTrace] = field(default_factory=dict)
    #: Per market, the book the batch was planned on and the planner's notes on it
    #: (``matching.MarketBook`` and ``plan_market``'s looks), for the audit's re-match of the same
    #: batch (``Keeper.rematch``), which reuses them where it plans the same orders on the same book.
    notes: dict[int, tuple[Any, dict[bytes, Any]]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[PlannedFill]:
        return iter(self.fills)

    def __len__(self) -> int:
        return len(self.fills)

    def decline(self, rejected: Iterable[tuple[Order, OrderRejected]], *, rest_transient: bool = False) -> None:
        """Marks the orders validation or the chain dropped: their trace says so, with the reason.

        ``rest_transient``: a service that puts orders refused for a passing reason (the market
        moved, ``Reason.transient``) back in its book records them as resting, not declined.
        """
        for _, why in rejected:
            if why.digest is None:
                continue
            trace = self.traces.get(why.digest)
            if trace is not None:
                self.traces[why.digest] = replace(
                    trace,
                    action=Action.REST if rest_transient and why.reason.transient else Action.DECLINE,
                    reason=why.reason,
                    detail=why.detail,
                    internal_size=0,
                    internal_price=0,
                    amm_size=0,
                    amm_quote=0,
                )

    def keep(self, fills: Iterable[PlannedFill]) -> None:
        """The fills that go on (after validation or trimming) replace the planned ones."""
        self.fills = list(fills)
