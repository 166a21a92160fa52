"""The toxicity facade the keeper holds: the flow watch, the trader books, the label queue and the model.

One ``Scorer`` per keeper; the simulator and the bot make the same calls, in this order::

    observe_market(step, now, market, oracle, updated_at, amm_mid, amm_base)   each step, each market
    score(order, digest, step=, now=, inventory=, cap=, desk_quote=)   at receipt -> (features, prediction)
    on_fill(digest, step=, trader=, market=, trader_buys=, size=, price=)   each internal fill booked
    on_step(step, marks)   end of the step, the fresh oracle marks: labels mature, the model learns

What is labelled (``labels``: the desk's markout at the horizon, in bps):

- every **internal fill**, at its fill price, marked ``horizon`` steps after the step it settled;
  it feeds the per-trader book of fills (``fills``: the per-trader rule's history, exactly as
  ``keeper.toxicity_routing`` kept it) and, with the features of its order, the model;
- with ``counterfactual`` (``keeper.toxicity_counterfactual``, on by default), every order the desk
  **priced at receipt** (``desk_quote``) is also labelled at that quote, marked ``horizon`` steps
  after its receipt, unless an internal fill of it was booked before then. Without those labels a
  model that routes a kind of flow away stops seeing its outcome and can never learn that it was
  wrong (the selective-labels problem): the routed and rested orders are exactly the ones it needs.
  They teach the model and the traders' history in the features (``marked``), never the per-trader
  rule, whose decisions stay today's. An order filled internally only after its horizon passed
  has both labels.

Every label reaches the model only through ``on_step``, once ``step + horizon <= now`` at a fresh
mark: a prediction never depends on a label that matured after it (the tests shuffle the future
to prove it). ``state()`` saves everything (``restore`` gives a scorer whose every future output
is the same); a state holds pickles, so restore only states this desk wrote (its own journal).
"""

from __future__ import annotations

import dataclasses
import heapq
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from defi_int.keeper.toxicity.features import FlowWatch, OrderFeatures
from defi_int.keeper.toxicity.kinds import load_model, make_model
from defi_int.keeper.toxicity.labels import Label, LabelQueue, Pending
from defi_int.keeper.toxicity.models import (
    STATE_VERSION,
    Prediction,
    ToxicityConfig,
    ToxicityModel,
    ToxicityStateError,
)
from defi_int.keeper.toxicity.traders import TraderBook
from defi_int.orders.model import Order

#: An order's features are kept for its fills until this long after its expiry.
OPEN_GRACE_S: Final = 3_600


@dataclass(frozen=True)
class _Open:
    """A scored order that may still fill: what was known and predicted at its receipt."""

    features: OrderFeatures
    prediction: Prediction
    expiry: int


class Scorer:
    """Scores orders at receipt and learns from their markouts (see the module docstring)."""

    def __init__(self, config: ToxicityConfig) -> None:
        self.config = config
        self.watch = FlowWatch()
        self.fills = TraderBook(config.threshold_bps, config.min_fills)  # internal fills: the per-trader rule
        self.marked = TraderBook(config.threshold_bps, config.min_fills) if config.counterfactual else self.fills
        self.queue = LabelQueue(config.horizon)
        self.model: ToxicityModel = make_model(config)
        self._open: dict[bytes, _Open] = {}
        self._expiries: list[tuple[int, bytes]] = []  # a heap of (expiry, digest) over ``_open``
        # (dicts as ordered sets: a state's bytes do not depend on the hash seed)
        self._quoted: dict[bytes, None] = {}  # orders with a counterfactual label pending
        self._void: dict[bytes, None] = {}  # ... of which an internal fill was booked: no counterfactual label
        self._pruned_at: int | None = None

    # ------------------------------------------------------------------ the calls

    def observe_market(
        self, step: int, now: int, market: int, oracle_price: int, updated_at: int, amm_mid: int, amm_base: int
    ) -> None:
        """What the desk reads of ``market`` at ``step`` (``features.FlowWatch.observe_market``)."""
        self.watch.observe_market(step, now, market, oracle_price, updated_at, amm_mid, amm_base)
        if step != self._pruned_at:
            self._pruned_at = step
            expiries = self._expiries
            while expiries and expiries[0][0] + OPEN_GRACE_S < now:
                self._open.pop(heapq.heappop(expiries)[1], None)

    def score(
        self,
        order: Order,
        digest: bytes,
        *,
        step: int,
        now: int,
        inventory: int,
        cap: int,
        desk_quote: int | None = None,
    ) -> tuple[OrderFeatures, Prediction]:
        """``order``'s features and the model's prediction at receipt; the order joins the flow.

        ``inventory``/``cap``: the desk's position in the order's market and the most it may hold;
        ``desk_quote``: the desk's price for the order's whole size at receipt (1e18; None when it
        quotes none), the counterfactual label's price. A digest scored before gets its first answer.
        """
        known = self._open.get(digest)
        if known is not None:
            return known.features, known.prediction
        features = self.watch.features(
            order, now, inventory, cap, self.fills.stats(order.trader), self.marked.stats(order.trader), desk_quote
        )
        prediction = self.model.predict(features)
        self.watch.note_order(order, now)
        self._open[digest] = _Open(features, prediction, order.expiry)
        heapq.heappush(self._expiries, (order.expiry, digest))
        if self.config.counterfactual and desk_quote:
            trader = order.trader.lower()
            mark = self.watch.oracle(order.market)  # the move is measured from it
            quote = Pending(
                step, order.market, not order.is_buy, desk_quote, order.size, trader, digest, features, prediction,
                counterfactual=True, mark=mark,
            )  # fmt: skip
            self.queue.push(quote)
            self._quoted[digest] = None
        return features, prediction

    def on_fill(
        self, digest: bytes, *, step: int, trader: str, market: int, trader_buys: bool, size: int, price: int
    ) -> None:
        """An internal fill of ``size`` at ``price`` booked at ``step`` (the chain's, at reconcile)."""
        if not size or not price:
            return
        entry = self._open.get(digest)
        features, prediction = (entry.features, entry.prediction) if entry else (None, None)
        mark = self.watch.oracle(market)  # the latest observed: the fill's step
        fill = Pending(
            step, market, not trader_buys, price, size, trader.lower(), digest, features, prediction, mark=mark
        )
        self.queue.push(fill)
        if digest in self._quoted:
            self._void[digest] = None

    def on_step(self, step: int, marks: Mapping[int, int]) -> list[Label]:
        """The fresh oracle marks at the end of ``step``: the labels that mature now, in the order
        their trades happened, each learned by the books and the model; then the model's periodic work."""
        learned = []
        for label in self.queue.mature(step, marks):
            pending = label.pending
            if pending.counterfactual:
                self._quoted.pop(pending.digest, None)
                if pending.digest in self._void:
                    del self._void[pending.digest]
                    continue
            else:
                self.fills.add(pending.trader, label.markout_bps, pending.size)
            if self.marked is not self.fills:
                self.marked.add(pending.trader, label.markout_bps, pending.size)
            if pending.features is not None:
                self.model.update(pending.features, label.markout_bps, label.move_bps)
            learned.append(label)
        self.model.end_step(step)
        return learned

    def trader_toxic(self, trader: str) -> bool:
        """The per-trader rule on ``trader``'s fills now (``keeper.toxicity_routing``'s decision)."""
        return self.fills.is_toxic(trader)

    # ------------------------------------------------------------------ state

    def state(self) -> bytes:
        """Everything the scorer knows, for the journal; ``Scorer.restore`` reads it back."""
        parts = (
            self.watch,
            self.fills,
            None if self.marked is self.fills else self.marked,
            self.queue,
            self._open,
            self._expiries,
            self._quoted,
            self._void,
            self._pruned_at,
        )
        return pickle.dumps((STATE_VERSION, dataclasses.asdict(self.config), parts, self.model.state()), protocol=5)

    @classmethod
    def restore(cls, config: ToxicityConfig, data: bytes) -> Scorer:
        """The scorer that wrote ``data`` with ``config``; another configuration is refused."""
        try:
            version, saved, parts, model = pickle.loads(data)  # the desk's own journal: see the module docstring
        except Exception as exc:
            raise ToxicityStateError(f"not a saved scorer ({type(exc).__name__}: {exc})") from None
        if version != STATE_VERSION:
            raise ToxicityStateError(f"saved in format {version}, this version reads format {STATE_VERSION}")
        differ = [f"{k} {saved.get(k)!r} -> {v!r}" for k, v in dataclasses.asdict(config).items() if saved.get(k) != v]
        if differ:
            raise ToxicityStateError(f"saved under another configuration: {', '.join(differ)}")
        scorer = cls.__new__(cls)
        scorer.config = config
        scorer.watch, scorer.fills, marked, scorer.queue, scorer._open, scorer._expiries, *rest = parts
        scorer._quoted, scorer._void, pruned = rest
        scorer.marked = scorer.fills if marked is None else marked
        scorer._pruned_at = pruned
        scorer.model = load_model(model, config.model)
        return scorer
