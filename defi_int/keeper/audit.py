"""The counterfactual re-match: a batch planned again without the desk's priorities.

An internalizing desk decides who gets its inventory and at what price; two of its rules favour
some clients over others. **Time priority**: within a side, earlier orders take the inventory room
first, and each AMM leg moves the pool that later orders in the batch are priced against.
**Inventory skew**: a long desk lowers its prices (sellers to it get less, buyers from it pay
less), a short desk raises them. The audit measures what each rule gave or took from each order.

``rematch`` takes one market's batch exactly as the planner got it (the entries in arrival order,
the ``MarketBook``, the pricing parameters, the fee, the toxicity judgement) and plans it again
with ``matching.plan_market``, once per variant:

- ``permuted``: the entries in reverse arrival order (the last order received is served first);
- ``no_skew``: priced as if the desk held no inventory (``MarketBook.skew`` off), its inventory
  room unchanged.

It returns a ``metrics.records.Counterfactual`` for every order whose planned legs (internal size
and price, AMM size and quote) differ from the batch's own plan, before validation on both sides.
The metrics (``metrics.audits``) turn them into what each trader segment gained or lost. Pure:
plain ints and the ``Pool`` mirror, so the simulator and the bot's loop call it per batch; a
keeper configured with ``counterfactual_audit = false`` skips it (``Keeper.rematch``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from defi_int.keeper.book import BookEntry
from defi_int.keeper.matching import Look, MarketBook, plan_market
from defi_int.keeper.policy import PolicyParams
from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.trace import OrderTrace
from defi_int.metrics.records import Counterfactual

#: The re-matches, in the order they are run and reported.
VARIANTS: tuple[str, ...] = ("permuted", "no_skew")


def rematch(
    entries: Sequence[BookEntry],
    book: MarketBook,
    params: PricingParams,
    *,
    fee_bps: int,
    actual: Mapping[bytes, OrderTrace],
    toxic: Callable[[str], bool] = lambda trader: False,
    model: str = "none",
    policy: PolicyParams | None = None,
    step: int = 0,
    block: int = 0,
    looks: dict[bytes, Look] | None = None,
) -> list[Counterfactual]:
    """The orders of one market's batch whose legs each variant changes (see the module docstring).

    ``actual`` holds the batch's own traces by digest (``Plan.traces``, before validation). A
    variant that cannot change anything is not planned: ``permuted`` for fewer than two orders,
    ``no_skew`` for a flat desk, both for a market a gate closed. ``looks``: the batch's own
    planner's notes on this ``book`` (``plan_market``), which ``permuted`` reuses (the same orders
    on the same book); ``no_skew`` prices on another book and looks again.
    """
    if book.gate.market is not None or not entries:
        return []
    runs: list[tuple[str, Sequence[BookEntry], MarketBook, dict[bytes, Look] | None]] = []
    if len(entries) > 1:
        runs.append(("permuted", list(reversed(entries)), book, looks))
    if book.inventory != 0 and book.mark is not None:
        runs.append(("no_skew", entries, dataclasses.replace(book, skew=False), None))
    by_digest = {entry.digest: entry for entry in entries}
    changed: list[Counterfactual] = []
    for variant, order, market_book, notes in runs:
        planned = plan_market(
            order, market_book, params, fee_bps=fee_bps, toxic=toxic, model=model, policy=policy, looks=notes
        )
        for cf in planned.traces:
            own = actual.get(cf.digest)
            if own is None or _legs(own) == _legs(cf):
                continue
            trader = by_digest[cf.digest].order.trader
            changed.append(_record(variant, own, cf, trader, book, step, block))
    changed.sort(key=lambda c: (VARIANTS.index(c.variant), by_digest[c.digest].seq))
    return changed


def _legs(trace: OrderTrace) -> tuple[int, int, int, int]:
    return trace.internal_size, trace.internal_price, trace.amm_size, trace.amm_quote


def _record(
    variant: str, own: OrderTrace, cf: OrderTrace, trader: str, book: MarketBook, step: int, block: int
) -> Counterfactual:
    return Counterfactual(
        step, block, own.market, own.digest, trader, own.is_buy, variant, book.mark or 0, *_legs(own), *_legs(cf)
    )
