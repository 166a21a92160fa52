"""The typed plan: one ``PlannedFill`` per order the keeper puts in a batch.

A ``PlannedFill`` is the whole life of one fill in one shape: the ``Fill`` the chain receives (the
signed order, its sizes, price and fee), the order's EIP-712 digest computed once at intake, and
the legs the chain is expected to book (``rules.ExpectedLegs``: notional, fees, the AMM's quotes,
its mid and the oracle mark at that point of the batch). The planner (``matching``) makes it while
it walks the AMM mirror along the batch; validation checks it and reuses its AMM quotes; the venue
settles its ``fill``; reconciliation compares it with the chain's ``FillEvent``; the
simulator's recorder writes its legs. Nobody replays the AMM again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from defi_int.market.amm import Pool
from defi_int.orders.booking import LegContext
from defi_int.orders.model import Fill, Order
from defi_int.orders.rules import ExpectedLegs


@dataclass(frozen=True)
class PlannedFill:
    """One order's fill in a batch, with its digest and the legs it is expected to book."""

    fill: Fill
    digest: bytes
    expected: ExpectedLegs

    @property
    def order(self) -> Order:
        return self.fill.order

    @property
    def desk_delta(self) -> int:
        """How the internal leg moves the desk's position (the desk takes the other side)."""
        size = self.fill.internal_size
        return -size if self.order.is_buy else size

    @property
    def leg_context(self) -> LegContext:
        """What the plan knew of the market around this fill's legs (``orders.booking``)."""
        expected = self.expected
        return LegContext(self.fill.fee_bps, expected.mark, expected.amm_mid, expected.amm.reference)

    def with_expected(self, expected: ExpectedLegs) -> PlannedFill:
        return self if expected == self.expected else replace(self, expected=expected)


def pools_after(plan: Iterable[PlannedFill], pools: Mapping[int, Pool]) -> dict[int, Pool]:
    """The AMM pools once ``plan``'s AMM legs traded, from ``pools`` before it (from the plan's legs)."""
    after = {m: Pool(p.base, p.quote, p.fee_bps) for m, p in pools.items()}
    for planned in plan:
        fill = planned.fill
        if fill.amm_size:
            pool = planned.expected.amm.pool_after(fill.order.is_buy, fill.amm_size)
            if pool is not None:
                after[fill.order.market] = pool
    return after


def desk_delta(plan: Iterable[PlannedFill], market: int) -> int:
    """How ``plan``'s internal legs move the desk's position in ``market``."""
    return sum(p.desk_delta for p in plan if p.order.market == market)
