"""How good the predictions were: AUC, Brier score and reliability against the labels that matured.

Each pair is (the ``p_toxic`` predicted at an order's receipt, whether its label turned out toxic):
``scorer.Scorer.on_step`` returns the labels with the prediction made before each existed
(``Label.pending.prediction``), so a time-ordered evaluation needs no re-run.

- ``auc``: the probability that a toxic order scored above a benign one (ties count half), the
  Mann–Whitney statistic; None without both classes;
- ``brier``: the mean squared error of the probabilities;
- ``reliability``: per probability bin, the mean prediction against the observed toxic share.

Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def auc(scores: Sequence[float], toxic: Sequence[bool]) -> float | None:
    """The area under the ROC curve of ``scores`` for the ``toxic`` labels (None: one class only)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(toxic, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if not positives or not negatives:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    start = 0
    while start < len(s):  # average ranks over ties
        end = start
        while end + 1 < len(s) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def brier(probabilities: Sequence[float], toxic: Sequence[bool]) -> float | None:
    """The mean squared difference between ``probabilities`` and the outcomes (None: no pairs)."""
    p = np.asarray(probabilities, dtype=np.float64)
    if not len(p):
        return None
    return float(np.mean((p - np.asarray(toxic, dtype=np.float64)) ** 2))


@dataclass(frozen=True)
class ReliabilityBin:
    """Predictions with ``low <= p < high`` (the last bin includes 1): how many, their mean, the toxic share."""

    low: float
    high: float
    count: int
    mean_prediction: float | None
    toxic_share: float | None


def reliability(probabilities: Sequence[float], toxic: Sequence[bool], bins: int = 10) -> list[ReliabilityBin]:
    """The reliability diagram's points: ``bins`` equal-width probability bins."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(toxic, dtype=np.float64)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        out.append(
            ReliabilityBin(
                b / bins,
                (b + 1) / bins,
                count,
                float(p[inside].mean()) if count else None,
                float(y[inside].mean()) if count else None,
            )
        )
    return out
