"""The ``gbdt`` toxicity model: gradient-boosted trees, refit on a rolling window of matured labels.

Data flow::

    update(features, label, move)   the label and its move join a ring of the latest ``window``
        ▼
    end_step(step)            every ``refit_steps`` steps (once ``MIN_LABELS`` labels of both
        │                     classes are in the ring): LightGBM fits, on the ring in time order,
        │                     a classifier (binary log-loss: toxic or not) and a regressor (L2:
        │                     the move's conditional mean), and both are compiled (``Trees``);
        │                     with a ``lag`` (``keeper.toxicity_fit_lag``) the fit runs in a child
        │                     process (``fitter``) and its trees take over at ``end_step(step + lag)``
        ▼
    predict(features)         one walk of the compiled trees (numpy, ~20 µs), not LightGBM's
                              predict (~0.5 ms for a single row through its Python API)

The fit off the simulator's process: on a machine with a second core the fit (~40 ms of CPU, two
boosters, and LightGBM's import once) overlaps the next ``lag`` steps of the desk's work instead
of stopping it (a thread does not: see ``fitter``). It stays deterministic: the fit gets a copy of
the ring at ``end_step(step)`` (the labels known then, nothing later), and its trees take over at
the end of step ``step + lag`` exactly, the child waited for there however long it took; a fit due
while one is pending first installs that one. So the same calls give the same predictions on any
machine, at any load. ``state()`` waits for a pending fit and saves its trees with the step they
take over at (``_Fit``), so a restored model installs them at the same step. ``lag = 0`` fits in
``end_step`` itself, in this process, as before the lag existed.

Before the first fit the model predicts the pooled prior (the toxic share and mean move so far).
The expected markout is the quote's spread (a feature) plus the expected move (``models``).

LightGBM rather than scikit-learn's HistGradientBoosting: a fitted LightGBM model is described
publicly and exactly by its model text (``model_to_string``, the format it saves models in, every
threshold and leaf printed to 17 significant digits), so it compiles to a few numpy arrays that
predict one row fast and serialize exactly, where scikit-learn's trees are private attributes; it
trains single-threaded and deterministically (``deterministic``, ``num_threads = 1``, no bagging,
no feature sampling), so a restored model refits to the same trees; and it fits a window of a
few thousand rows in tens of milliseconds. Missing values are off (``use_missing = false``): every
split is ``x <= threshold``.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from defi_int.keeper.toxicity import fitter
from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.models import Prediction, Prior, ToxicityStateError, dump_state, sigmoid
from defi_int.keeper.toxicity.trees import PARAMS as _PARAMS
from defi_int.keeper.toxicity.trees import ROUNDS, Floats, Pair, Trees, fit_classifier, fit_pair
from defi_int.params import TOXICITY_MIN_LABELS

__all__ = ["MIN_CLASS", "MIN_LABELS", "ROUNDS", "_PARAMS", "GbdtModel", "Trees", "fit_classifier", "fit_pair"]

#: Labels the ring must hold before the first fit (``keeper.toxicity_window`` is at least that), and of each class.
MIN_LABELS: Final = TOXICITY_MIN_LABELS
MIN_CLASS: Final = 10
_WIDTH: Final = len(OrderFeatures.NAMES)


class _Fit:
    """A fit whose trees take over at the end of step ``due``: under way in the fit process
    (``fitter``, its ticket), or done (restored from a state). Pickled, it is its result: the fit
    is waited for first."""

    def __init__(self, due: int, ticket: int) -> None:
        self.due = due
        self._ticket: int | None = ticket
        self._result: tuple[Trees, Trees] | None = None

    def result(self) -> tuple[Trees, Trees]:
        """The fitted (classifier, regressor), waiting for the fit process if it is still fitting."""
        if self._result is None:
            assert self._ticket is not None
            self._result = fitter.shared().result(self._ticket)
            self._ticket = None
        return self._result

    def __getstate__(self) -> tuple[int, tuple[Trees, Trees]]:
        return self.due, self.result()

    def __setstate__(self, state: tuple[int, tuple[Trees, Trees]]) -> None:
        self.due, self._result = state
        self._ticket = None


class GbdtModel:
    """``gbdt``: see the module docstring."""

    kind = "gbdt"

    def __init__(self, refit_steps: int, window: int, seed: int, lag: int = 0) -> None:
        if refit_steps < 1 or window < 1 or lag < 0:
            raise ValueError(
                f"refit_steps and window must be positive and lag not negative, got {refit_steps}, {window}, {lag}"
            )
        self.refit_steps = refit_steps
        self.window = window
        self.seed = seed
        self.lag = lag  # steps from a fit's start to its trees taking over (0: at once, in this process)
        self.pending: _Fit | None = None
        if lag:
            fitter.shared().start()  # the fit process gets ready while the first labels mature
        self.rows = np.zeros((window, _WIDTH), dtype=np.float64)
        self.labels = np.zeros(window, dtype=np.float64)
        self.moves = np.zeros(window, dtype=np.float64)
        self.seen = 0  # labels ever received; the ring's next slot is seen % window
        self.prior = Prior()
        self.move_prior = Prior()
        self.classifier: Trees | None = None
        self.regressor: Trees | None = None
        self.next_fit: int | None = None  # the first step the next fit is due (None: as soon as possible)
        self.fits = 0
        self._walk: Pair | None = None  # the two ensembles walked as one (``trees.Pair``), not saved

    def predict(self, features: OrderFeatures) -> Prediction:
        spread = features.quote_spread_bps
        if self.classifier is None or self.regressor is None:
            p, move = self.prior.p_toxic, self.move_prior.mean
            return Prediction(p, spread + move, p >= 0.5, move)
        walk = self._walk
        if walk is None or walk.first is not self.classifier or walk.second is not self.regressor:
            walk = self._walk = Pair(self.classifier, self.regressor)  # the trees changed (a fit, a restore)
        raw, move = walk.raw(features.as_array())
        p = sigmoid(raw)
        return Prediction(p, spread + move, p >= 0.5, move)

    def update(self, features: OrderFeatures, label_bps: float, move_bps: float) -> None:
        slot = self.seen % self.window
        self.rows[slot] = features.as_array()
        self.labels[slot] = label_bps
        self.moves[slot] = move_bps
        self.seen += 1
        self.prior.add(label_bps)
        self.move_prior.add(move_bps)

    def end_step(self, step: int) -> None:
        if self.pending is not None and step >= self.pending.due:
            self._install()
        if self.next_fit is not None and step < self.next_fit:
            return
        rows, labels, moves = self.ring()
        toxic = int((labels < 0).sum())
        if len(labels) < MIN_LABELS or min(toxic, len(labels) - toxic) < MIN_CLASS:
            return
        if self.lag == 0:
            self.fit(rows, labels, moves)
        else:
            if self.pending is not None:  # a lag of refit_steps or more: the older fit takes over first
                self._install()
            ticket = fitter.shared().submit(rows, labels, moves, self.seed)  # a copy: the ring goes on filling
            self.pending = _Fit(step + self.lag, ticket)
        self.next_fit = step + self.refit_steps

    def _install(self) -> None:
        assert self.pending is not None
        self.classifier, self.regressor = self.pending.result()
        self.pending = None
        self.fits += 1

    def ring(self) -> tuple[Floats, Floats, Floats]:
        """The window's rows, labels and moves, oldest first."""
        if self.seen <= self.window:
            return self.rows[: self.seen], self.labels[: self.seen], self.moves[: self.seen]
        start = self.seen % self.window
        order = np.r_[start : self.window, 0:start]
        return self.rows[order], self.labels[order], self.moves[order]

    def fit(self, rows: Floats, labels: Floats, moves: Floats) -> None:
        """Fits and compiles the classifier and the regressor (``fit_pair``) here and now."""
        self.classifier, self.regressor = fit_pair(rows, labels, moves, self.seed)
        self.fits += 1

    def state(self) -> bytes:
        """Everything learned; a pending fit is waited for and saved with its trees (``_Fit``)."""
        return dump_state(self.kind, {k: v for k, v in self.__dict__.items() if k != "_walk"})

    @classmethod
    def restore(cls, payload: dict[str, Any]) -> GbdtModel:
        model = cls.__new__(cls)
        model.__dict__.update(payload)
        model._walk = None
        if model.rows.shape[1] != _WIDTH:
            raise ToxicityStateError(f"saved with {model.rows.shape[1]} features, this version has {_WIDTH}")
        return model
