"""The ``gbdt`` toxicity model: gradient-boosted trees, refit on a rolling window of matured labels.

Data flow::

    update(features, label)   the label joins a ring of the latest ``window`` matured labels
        ▼
    end_step(step)            every ``refit_steps`` steps (once ``MIN_LABELS`` labels of both
        │                     classes are in the ring): LightGBM fits, on the ring in time order,
        │                     a classifier (binary log-loss: toxic or not) and a regressor (L2:
        │                     the markout's conditional mean), and both are compiled (``Trees``)
        ▼
    predict(features)         one walk of the compiled trees (numpy, ~20 µs), not LightGBM's
                              predict (~0.5 ms per single row through its Python API)

Before the first fit the model predicts the pooled prior (the toxic share and mean label so far).

LightGBM rather than scikit-learn's HistGradientBoosting: its ``dump_model`` is a public, exact
description of the trees (thresholds printed to 17 digits), so a fitted model compiles to a few
numpy arrays that predict one row fast and serialize exactly; it trains single-threaded and
deterministically (``deterministic``, ``num_threads = 1``, no bagging, no feature sampling), so a
restored model refits to the same trees. Missing values are off (``use_missing = false``): every
split is ``x <= threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.models import Prediction, Prior, ToxicityStateError, dump_state, sigmoid
from defi_int.params import TOXICITY_MIN_LABELS

#: Labels the ring must hold before the first fit (``keeper.toxicity_window`` is at least that), and of each class.
MIN_LABELS: Final = TOXICITY_MIN_LABELS
MIN_CLASS: Final = 10
ROUNDS: Final = 60
_PARAMS: Final[dict[str, Any]] = {
    "learning_rate": 0.08,
    "num_leaves": 15,
    "max_depth": 4,
    "min_data_in_leaf": 20,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "use_missing": False,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
_WIDTH: Final = len(OrderFeatures.NAMES)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Trees:
    """A boosted ensemble as flat arrays: node ``i`` sends ``x`` to ``left[i]`` when
    ``x[feature[i]] <= threshold[i]``, else to ``right[i]``; a leaf points to itself (threshold +inf)
    and holds ``value``. ``depth`` walks reach every leaf from the ``roots``."""

    feature: Ints
    threshold: Floats
    left: Ints
    right: Ints
    value: Floats
    roots: Ints
    depth: int

    @classmethod
    def from_dump(cls, dump: dict[str, Any]) -> Trees:
        """Compiles LightGBM's ``Booster.dump_model()``."""
        feature: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        value: list[float] = []
        roots: list[int] = []
        depth = 0

        def add(node: dict[str, Any], level: int) -> int:
            nonlocal depth
            index = len(feature)
            feature.append(0)
            threshold.append(np.inf)
            left.append(index)
            right.append(index)
            if "leaf_value" in node:
                value.append(float(node["leaf_value"]))
                depth = max(depth, level)
                return index
            value.append(0.0)
            if node["decision_type"] != "<=" or node["missing_type"] != "None":
                raise ToxicityStateError(f"a split the compiled walk cannot take: {node['decision_type']}")
            feature[index] = int(node["split_feature"])
            threshold[index] = float(node["threshold"])
            left[index] = add(node["left_child"], level + 1)
            right[index] = add(node["right_child"], level + 1)
            return index

        for tree in dump["tree_info"]:
            roots.append(add(tree["tree_structure"], 0))
        return cls(
            np.array(feature, dtype=np.int64),
            np.array(threshold, dtype=np.float64),
            np.array(left, dtype=np.int64),
            np.array(right, dtype=np.int64),
            np.array(value, dtype=np.float64),
            np.array(roots, dtype=np.int64),
            depth,
        )

    def raw(self, x: Floats) -> float:
        """The ensemble's raw score for one row ``x``."""
        step = np.where(x[self.feature] <= self.threshold, self.left, self.right)
        node = self.roots
        for _ in range(self.depth):
            node = step[node]
        return float(self.value[node].sum())


class GbdtModel:
    """``gbdt``: see the module docstring."""

    kind = "gbdt"

    def __init__(self, refit_steps: int, window: int, seed: int) -> None:
        if refit_steps < 1 or window < 1:
            raise ValueError(f"refit_steps and window must be positive, got {refit_steps} and {window}")
        self.refit_steps = refit_steps
        self.window = window
        self.seed = seed
        self.rows = np.zeros((window, _WIDTH), dtype=np.float64)
        self.labels = np.zeros(window, dtype=np.float64)
        self.seen = 0  # labels ever received; the ring's next slot is seen % window
        self.prior = Prior()
        self.classifier: Trees | None = None
        self.regressor: Trees | None = None
        self.next_fit: int | None = None  # the first step the next fit is due (None: as soon as possible)
        self.fits = 0

    def predict(self, features: OrderFeatures) -> Prediction:
        if self.classifier is None or self.regressor is None:
            p = self.prior.p_toxic
            return Prediction(p, self.prior.mean, p >= 0.5)
        x = features.as_array()
        p = sigmoid(self.classifier.raw(x))
        return Prediction(p, self.regressor.raw(x), p >= 0.5)

    def update(self, features: OrderFeatures, label_bps: float) -> None:
        slot = self.seen % self.window
        self.rows[slot] = features.as_array()
        self.labels[slot] = label_bps
        self.seen += 1
        self.prior.add(label_bps)

    def end_step(self, step: int) -> None:
        if self.next_fit is not None and step < self.next_fit:
            return
        rows, labels = self.ring()
        toxic = int((labels < 0).sum())
        if len(labels) < MIN_LABELS or min(toxic, len(labels) - toxic) < MIN_CLASS:
            return
        self.fit(rows, labels)
        self.next_fit = step + self.refit_steps

    def ring(self) -> tuple[Floats, Floats]:
        """The window's rows and labels, oldest first."""
        if self.seen <= self.window:
            return self.rows[: self.seen], self.labels[: self.seen]
        start = self.seen % self.window
        order = np.r_[start : self.window, 0:start]
        return self.rows[order], self.labels[order]

    def fit(self, rows: Floats, labels: Floats) -> None:
        """Fits and compiles the classifier and the regressor on ``rows`` and their ``labels``."""
        import lightgbm

        self.classifier = self._train(lightgbm, rows, (labels < 0).astype(np.float64), "binary")
        self.regressor = self._train(lightgbm, rows, labels, "regression")
        self.fits += 1

    def _train(self, lightgbm: Any, rows: Floats, target: Floats, objective: str) -> Trees:
        params = {**_PARAMS, "objective": objective, "seed": self.seed}
        data = lightgbm.Dataset(rows, label=target, params={"max_bin": _PARAMS["max_bin"], "verbosity": -1})
        booster = lightgbm.train(params, data, num_boost_round=ROUNDS)
        return Trees.from_dump(booster.dump_model())

    def state(self) -> bytes:
        return dump_state(self.kind, self.__dict__)

    @classmethod
    def restore(cls, payload: dict[str, Any]) -> GbdtModel:
        model = cls.__new__(cls)
        model.__dict__.update(payload)
        if model.rows.shape[1] != _WIDTH:
            raise ToxicityStateError(f"saved with {model.rows.shape[1]} features, this version has {_WIDTH}")
        return model
