"""Toxicity: a score for every order at receipt, learned online from the desk's past markouts only.

The pure prediction core of the internalization decision (DESIGN, keeper loop step 3); the
keeper's policy prices its output. How data flows through it, one step of the desk::

    market reads ──observe_market──▶ features.FlowWatch ──┐
                                                          ├─▶ features.OrderFeatures ─▶ models.ToxicityModel.predict
    an order at receipt ──score────▶ traders.TraderBook ──┘        (one row per order)      └─▶ models.Prediction
         │ (desk's quote: a counterfactual label)                                                 (p_toxic, E[markout])
         ▼
    labels.LabelQueue ◀──on_fill── internal fills booked
         │ on_step(step, marks): matured once step + horizon <= now
         ▼
    labels.Label (the desk's markout at the horizon) ─▶ traders.TraderBook.add, ToxicityModel.update

- ``features``: ``OrderFeatures`` (the trader, the order, the market, the desk) and ``FlowWatch``;
- ``labels``: ``markout_bps``, the label's one formula, and the queue that holds trades until marked;
- ``traders``: per-trader markout history and the per-trader rule (the keeper's
  ``toxicity_routing`` history, lives here);
- ``models``: ``ToxicityModel`` and its ``none``, ``trader_rule``, ``logistic`` (river) kinds;
  ``gbdt``: gradient-boosted trees (LightGBM) compiled for a fast single-row predict;
- ``scorer``: ``Scorer``, the facade the keeper holds, and its saved state;
- ``trees``: LightGBM's fit compiled to numpy arrays; ``fitter``: the gbdt's fits in a child process;
- ``evaluation``: AUC, Brier score and reliability of predictions against their labels.

Pure: numpy and the learning libraries (imported only by the models that use them); no chain.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from defi_int.keeper.toxicity.features import FlowWatch, OrderFeatures
    from defi_int.keeper.toxicity.kinds import load_model, make_model
    from defi_int.keeper.toxicity.labels import Label, LabelQueue, Pending, markout_bps
    from defi_int.keeper.toxicity.models import (
        MODELS,
        Prediction,
        ToxicityConfig,
        ToxicityModel,
        ToxicityStateError,
    )
    from defi_int.keeper.toxicity.scorer import Scorer
    from defi_int.keeper.toxicity.traders import TraderBook, TraderStats, trader_rule

_LAZY = {
    "FlowWatch": "features",
    "OrderFeatures": "features",
    "load_model": "kinds",
    "make_model": "kinds",
    "Label": "labels",
    "LabelQueue": "labels",
    "Pending": "labels",
    "markout_bps": "labels",
    "MODELS": "models",
    "Prediction": "models",
    "ToxicityConfig": "models",
    "ToxicityModel": "models",
    "ToxicityStateError": "models",
    "Scorer": "scorer",
    "TraderBook": "traders",
    "TraderStats": "traders",
    "trader_rule": "traders",
}


def __getattr__(name: str) -> Any:
    """Imports the names lazily, so that a light module of the package (``trees``, ``fitter``: the
    fit process imports only them) does not load the desk's whole stack."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODELS",
    "FlowWatch",
    "Label",
    "LabelQueue",
    "OrderFeatures",
    "Pending",
    "Prediction",
    "Scorer",
    "ToxicityConfig",
    "ToxicityModel",
    "ToxicityStateError",
    "TraderBook",
    "TraderStats",
    "load_model",
    "make_model",
    "markout_bps",
    "trader_rule",
]
