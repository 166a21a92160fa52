"""The model kinds by name: ``make_model`` builds a new one, ``load_model`` restores a saved one.

The one place that knows every kind (``models``: none, trader_rule, logistic; ``gbdt``), so the
models themselves import nothing of each other.
"""

from __future__ import annotations

from defi_int.keeper.toxicity.gbdt import GbdtModel
from defi_int.keeper.toxicity.models import (
    LogisticModel,
    NoModel,
    ToxicityConfig,
    ToxicityModel,
    ToxicityStateError,
    TraderRuleModel,
    read_state,
)


def make_model(config: ToxicityConfig) -> ToxicityModel:
    """A new, untrained model of the kind ``config.model``."""
    if config.model == "none":
        return NoModel()
    if config.model == "trader_rule":
        return TraderRuleModel(config.threshold_bps, config.min_fills)
    if config.model == "logistic":
        return LogisticModel()
    return GbdtModel(config.refit_steps, config.window, config.seed, config.fit_lag)


def load_model(data: bytes, kind: str | None = None) -> ToxicityModel:
    """The model ``state()`` saved, exactly as it was (its predictions and its future updates alike)."""
    saved_kind, payload = read_state(data, kind)
    if saved_kind == "none":
        return NoModel()
    if saved_kind == "trader_rule":
        threshold_bps, min_fills, cells = payload
        rule = TraderRuleModel(threshold_bps, min_fills)
        rule.cells = cells
        return rule
    if saved_kind == "logistic":
        logistic = LogisticModel.__new__(LogisticModel)
        logistic.scaler, logistic.classifier, logistic.regressor, logistic.prior, logistic.move_prior = payload
        return logistic
    if saved_kind == "gbdt":
        return GbdtModel.restore(payload)
    raise ToxicityStateError(f"unknown model kind {saved_kind!r}")
