"""Toxicity models behind one interface: a probability that an order is toxic and its expected markout.

Every model is a ``ToxicityModel``::

    predict(features) -> Prediction(p_toxic, expected_markout_bps, flagged, expected_move_bps)   pure
    update(features, label_bps, move_bps)   one matured label (``labels``): the desk's markout at the
                                   horizon, and the move (the same markout from the oracle at the trade)
    end_step(step)                 after the step's labels: periodic work (the gbdt's refit)
    state() -> bytes               everything it learned; ``kinds.load_model(state)`` restores it exactly

``keeper.toxicity_model`` (``ToxicityConfig.model``) picks one; ``kinds.make_model`` builds it:

- ``none``: no model: p 0, expected markout 0, never flagged;
- ``trader_rule``: the per-trader rule (``traders.trader_rule`` over the features
  ``trader_fills`` and ``trader_fill_markout_bps``): ``flagged`` is exactly the rule's verdict;
  p and the expected markout are the running toxic share and mean label of the orders the rule
  flagged, or of those it did not (conditional means, calibrated by construction);
- ``logistic``: online logistic regression (river), features standardized online (each clipped to
  ±``CLIP_Z`` standard deviations); the expected move is an online linear regression (river,
  target standardized online) on the same inputs, the conditional mean under squared loss. It
  learns from the first label but predicts the pooled prior until it has learned ``MIN_LABELS``,
  as the gbdt does before its first fit: a few SGD steps on standardizations of a handful of rows
  give wild predictions, and the policy would act on them;
- ``gbdt``: gradient-boosted trees (LightGBM, ``gbdt.GbdtModel``), refit every ``refit_steps``
  steps on the latest ``window`` matured labels, each fit in a child process (``fitter``) whose
  trees take over ``fit_lag`` steps after it started (0: at once, in the caller's process).

The learned models regress the **move**, not the label: a label is the desk's markout at its own
quote, ``≈ quote_spread_bps + move``, and the quote's part (the half-spread and the inventory
skew, a feature) is known at receipt. Learned whole, the skew (tens of bps at a large inventory)
drowns the information the models are there to find; so the expected markout is the quote's
spread plus the expected move, and the policy prices the move at the quote it decides at
(``keeper.policy``). The classifier learns the label itself (toxic: the markout is negative).

The learned models flag an order when ``p_toxic >= 0.5``; the keeper's policy prices the expected
markout rather than trusting the flag. Deterministic: no global random state, the gbdt seeded from
``ToxicityConfig.seed``. River and LightGBM are imported only when a model needs them.

A state is a pickle (river's models are saved that way): restore only states this desk wrote
itself (the bot's own journal), never one received from elsewhere.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass
from typing import Any, Final, Protocol

from defi_int.exceptions import DefiIntError
from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.traders import trader_rule
from defi_int.params import TOXICITY_MIN_LABELS, TOXICITY_MODELS, KeeperParams

#: The choices of ``keeper.toxicity_model``.
MODELS: Final = TOXICITY_MODELS
#: The version of the saved state; a state of another version is refused (2: the models learn the move;
#: 3: the gbdt's fit may be pending, ``keeper.toxicity_fit_lag``).
STATE_VERSION: Final = 3
#: A learned model predicts the pooled prior until it has learned this many labels.
MIN_LABELS: Final = TOXICITY_MIN_LABELS
#: The logistic model's SGD learning rates (classifier, regressor) and L2 penalty.
LOGISTIC_LR: Final = 0.02
REGRESSION_LR: Final = 0.01
LOGISTIC_L2: Final = 1e-4
#: Standardized features are clipped to this many standard deviations (heavy tails stall SGD).
CLIP_Z: Final = 5.0

_DECLARED = KeeperParams()


class ToxicityStateError(DefiIntError):
    """A saved toxicity state cannot be restored here; ``problem`` says why in one sentence."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"toxicity state: {problem}")


@dataclass(frozen=True)
class ToxicityConfig:
    """The toxicity model's parameters: the ``keeper.toxicity_*`` keys, resolved (``from_params``)."""

    model: str = _DECLARED.effective_toxicity_model
    horizon: int = _DECLARED.toxicity_horizon
    threshold_bps: float = _DECLARED.toxicity_threshold_bps
    min_fills: int = _DECLARED.toxicity_min_fills
    refit_steps: int = _DECLARED.toxicity_refit_steps
    fit_lag: int = _DECLARED.toxicity_fit_lag
    window: int = _DECLARED.toxicity_window
    counterfactual: bool = _DECLARED.toxicity_counterfactual
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"toxicity model must be one of {', '.join(MODELS)}, got {self.model!r}")

    @classmethod
    def from_params(cls, keeper: KeeperParams, seed: int = 0) -> ToxicityConfig:
        """The configuration the scenario's or the bot's ``[keeper]`` declares; ``seed`` seeds the gbdt."""
        return cls(
            model=keeper.effective_toxicity_model,
            horizon=keeper.toxicity_horizon,
            threshold_bps=keeper.toxicity_threshold_bps,
            min_fills=keeper.toxicity_min_fills,
            refit_steps=keeper.toxicity_refit_steps,
            fit_lag=keeper.toxicity_fit_lag,
            window=keeper.toxicity_window,
            counterfactual=keeper.toxicity_counterfactual,
            seed=seed,
        )


@dataclass(frozen=True)
class Prediction:
    """What a model predicts for one order at receipt."""

    p_toxic: float  # probability that the desk's markout at the horizon is negative
    expected_markout_bps: float  # the desk's expected markout at the horizon, bps of the price
    flagged: bool = False  # the model's own verdict: the rule's for trader_rule, p >= 0.5 for learned ones
    expected_move_bps: float | None = None  # of which the move from the oracle (None: not modelled apart)


NO_PREDICTION: Final = Prediction(0.0, 0.0, False)


class ToxicityModel(Protocol):
    """A toxicity model (see the module docstring)."""

    kind: str

    def predict(self, features: OrderFeatures) -> Prediction: ...

    def update(self, features: OrderFeatures, label_bps: float, move_bps: float) -> None: ...

    def end_step(self, step: int) -> None: ...

    def state(self) -> bytes: ...


class Prior:
    """Running pooled label statistics: the toxic share (Laplace-smoothed) and the mean label."""

    __slots__ = ("count", "total", "toxic")

    def __init__(self) -> None:
        self.count = 0
        self.toxic = 0
        self.total = 0.0

    def add(self, label_bps: float) -> None:
        self.count += 1
        self.toxic += label_bps < 0
        self.total += label_bps

    @property
    def p_toxic(self) -> float:
        return (self.toxic + 1) / (self.count + 2)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def __getstate__(self) -> tuple[int, int, float]:
        return self.count, self.toxic, self.total

    def __setstate__(self, state: tuple[int, int, float]) -> None:
        self.count, self.toxic, self.total = state


def dump_state(kind: str, payload: Any) -> bytes:
    """A model's state: its kind, the format's version and what it learned."""
    return pickle.dumps((kind, STATE_VERSION, payload), protocol=5)


def read_state(data: bytes, kind: str | None = None) -> tuple[str, Any]:
    """(kind, payload) of a state written by ``dump_state``; ``kind``: the one expected."""
    try:
        saved_kind, version, payload = pickle.loads(data)  # the desk's own journal: see the module docstring
    except Exception as exc:
        raise ToxicityStateError(f"not a saved toxicity state ({type(exc).__name__}: {exc})") from None
    if version != STATE_VERSION:
        raise ToxicityStateError(f"saved in format {version}, this version reads format {STATE_VERSION}")
    if kind is not None and saved_kind != kind:
        raise ToxicityStateError(f"saved by the {saved_kind!r} model, the configuration asks for {kind!r}")
    return saved_kind, payload


class NoModel:
    """``none``: the desk ignores toxicity."""

    kind = "none"

    def predict(self, features: OrderFeatures) -> Prediction:
        return NO_PREDICTION

    def update(self, features: OrderFeatures, label_bps: float, move_bps: float) -> None:
        pass

    def end_step(self, step: int) -> None:
        pass

    def state(self) -> bytes:
        return dump_state(self.kind, None)


class TraderRuleModel:
    """``trader_rule``: the per-trader rule, with calibrated conditional means (module docstring)."""

    kind = "trader_rule"

    def __init__(self, threshold_bps: float, min_fills: int) -> None:
        self.threshold_bps = threshold_bps
        self.min_fills = min_fills
        self.cells = (Prior(), Prior())  # orders the rule did not flag, flagged

    def flags(self, features: OrderFeatures) -> bool:
        return trader_rule(features.trader_fill_markout_bps, features.trader_fills, self.threshold_bps, self.min_fills)

    def predict(self, features: OrderFeatures) -> Prediction:
        flagged = self.flags(features)
        cell = self.cells[flagged]
        return Prediction(cell.p_toxic, cell.mean, flagged)

    def update(self, features: OrderFeatures, label_bps: float, move_bps: float) -> None:
        self.cells[self.flags(features)].add(label_bps)

    def end_step(self, step: int) -> None:
        pass

    def state(self) -> bytes:
        return dump_state(self.kind, (self.threshold_bps, self.min_fills, self.cells))


class LogisticModel:
    """``logistic``: river's online logistic and linear regressions on standardized features."""

    kind = "logistic"

    def __init__(self) -> None:
        from river import linear_model, optim, preprocessing

        # river's estimators are untyped: Any here, checked by the tests.
        self.scaler: Any = preprocessing.StandardScaler()
        self.classifier: Any = linear_model.LogisticRegression(optimizer=optim.SGD(LOGISTIC_LR), l2=LOGISTIC_L2)
        self.regressor: Any = preprocessing.TargetStandardScaler(
            regressor=linear_model.LinearRegression(optimizer=optim.SGD(REGRESSION_LR), l2=LOGISTIC_L2)
        )
        self.prior = Prior()  # of the labels (the toxic share)
        self.move_prior = Prior()  # of the moves (their mean)

    def _inputs(self, features: OrderFeatures) -> dict[str, float]:
        scaled = self.scaler.transform_one(features.as_dict())
        return {name: min(max(value, -CLIP_Z), CLIP_Z) for name, value in scaled.items()}

    def predict(self, features: OrderFeatures) -> Prediction:
        if self.prior.count < MIN_LABELS:
            p, move = self.prior.p_toxic, self.move_prior.mean
            return Prediction(p, features.quote_spread_bps + move, p >= 0.5, move)
        inputs = self._inputs(features)
        p = float(self.classifier.predict_proba_one(inputs)[True])
        move = float(self.regressor.predict_one(inputs))
        return Prediction(p, features.quote_spread_bps + move, p >= 0.5, move)

    def update(self, features: OrderFeatures, label_bps: float, move_bps: float) -> None:
        self.scaler.learn_one(features.as_dict())
        inputs = self._inputs(features)
        self.classifier.learn_one(inputs, label_bps < 0)
        self.regressor.learn_one(inputs, move_bps)
        self.prior.add(label_bps)
        self.move_prior.add(move_bps)

    def end_step(self, step: int) -> None:
        pass

    def state(self) -> bytes:
        return dump_state(self.kind, (self.scaler, self.classifier, self.regressor, self.prior, self.move_prior))


def sigmoid(raw: float) -> float:
    """The logistic function, without overflow."""
    if raw >= 0:
        return 1.0 / (1.0 + math.exp(-raw))
    e = math.exp(raw)
    return e / (1.0 + e)
