"""Compiled boosted trees and the gbdt's fit: LightGBM in, flat numpy arrays out.

``fit_pair`` fits the gbdt's two boosters (``gbdt``) on a window of rows and compiles each into a
``Trees``: a few arrays a single row walks in ~20 µs, that pickle exactly. Light on purpose
(numpy; LightGBM imported by the fit), so that the fit process (``fitter``) starts without the rest
of the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

ROUNDS: Final = 40
PARAMS: Final[dict[str, Any]] = {
    "learning_rate": 0.1,
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
    def from_model_text(cls, text: str) -> Trees:
        """Compiles LightGBM's model text (``Booster.model_to_string()``, its saved-model format).

        In a tree of ``L`` leaves, internal node ``i`` (``0 <= i < L − 1``) names its children by
        index, a leaf ``j`` as ``~j``; here the leaves follow the tree's internal nodes.
        """
        feature, threshold, left, right, value, roots = [], [], [], [], [], []
        depth, offset = 0, 0
        for tree in _trees(text):
            leaves = np.array(tree["leaf_value"].split(), dtype=np.float64)
            internal = len(leaves) - 1
            here = np.arange(offset, offset + internal + len(leaves), dtype=np.int64)
            value.append(np.concatenate([np.zeros(internal), leaves]))
            if internal:
                kinds = np.array(tree["decision_type"].split(), dtype=np.int64)
                if (kinds & ~_DEFAULT_LEFT).any():  # categorical (bit 0) or a missing type (bits 2-3)
                    raise _state_error(f"a split the compiled walk cannot take: decision_type {kinds.tolist()}")
                children = [np.array(tree[k].split(), dtype=np.int64) for k in ("left_child", "right_child")]
                left_of, right_of = (np.where(c >= 0, offset + c, offset + internal + ~c) for c in children)
                feature.append(
                    np.concatenate(
                        [np.array(tree["split_feature"].split(), dtype=np.int64), np.zeros(len(leaves), dtype=np.int64)]
                    )
                )
                threshold.append(
                    np.concatenate(
                        [np.array(tree["threshold"].split(), dtype=np.float64), np.full(len(leaves), np.inf)]
                    )
                )
                left.append(np.concatenate([left_of, here[internal:]]))
                right.append(np.concatenate([right_of, here[internal:]]))
                depth = max(depth, _depth(children[0], children[1]))
            else:
                feature.append(np.zeros(1, dtype=np.int64))
                threshold.append(np.full(1, np.inf))
                left.append(here)
                right.append(here)
            roots.append(offset)
            offset += len(here)
        return cls(
            np.concatenate(feature),
            np.concatenate(threshold),
            np.concatenate(left),
            np.concatenate(right),
            np.concatenate(value),
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


class Pair:
    """Two ensembles over the same rows walked as one (the gbdt's classifier and regressor): one
    comparison of the row with every split of both and one walk from all their roots, then each
    ensemble's leaves summed apart exactly as ``Trees.raw`` sums them, so both scores are
    ``first.raw(x)`` and ``second.raw(x)`` to the bit, for about the price of one. Built from the
    two ``Trees`` (which stay what is saved), never saved itself."""

    def __init__(self, first: Trees, second: Trees) -> None:
        offset = len(first.feature)
        self.first, self.second = first, second
        self._feature = np.concatenate([first.feature, second.feature])
        self._threshold = np.concatenate([first.threshold, second.threshold])
        self._left = np.concatenate([first.left, second.left + offset])
        self._right = np.concatenate([first.right, second.right + offset])
        self._roots = np.concatenate([first.roots, second.roots + offset])
        self._value = np.concatenate([first.value, second.value])
        self._split = len(first.roots)
        self._depth = max(first.depth, second.depth)  # a leaf points to itself: extra steps stay on it

    def raw(self, x: Floats) -> tuple[float, float]:
        """``(first.raw(x), second.raw(x))``: each ensemble's leaves, a contiguous run of the same
        values in the same order as ``Trees.raw`` gathers them, summed by the same ``sum``."""
        step = np.where(x[self._feature] <= self._threshold, self._left, self._right)
        node = self._roots
        for _ in range(self._depth):
            node = step[node]
        leaves, split = self._value[node], self._split
        return float(leaves[:split].sum()), float(leaves[split:].sum())


#: ``decision_type``'s bit for "missing values go left": the only bit a split here may have set.
_DEFAULT_LEFT: Final = 2


def _trees(text: str) -> list[dict[str, str]]:
    """The ``key=value`` blocks of each ``Tree=`` in LightGBM's model text."""
    trees: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("Tree="):
            trees.append({})
        elif line == "end of trees":
            break
        elif trees and "=" in line:
            key, _, value = line.partition("=")
            trees[-1][key] = value
    return trees


def _depth(left: Ints, right: Ints) -> int:
    """The most splits from the root (node 0) to a leaf of one tree (children: index, or ``~leaf``)."""
    deepest, level, nodes = 0, 0, [0]
    while nodes:
        level += 1
        deepest = level
        nodes = [int(c) for n in nodes for c in (left[n], right[n]) if c >= 0]
    return deepest


def _train(lightgbm: Any, data: Any, objective: str, seed: int) -> Trees:
    booster = lightgbm.train({**PARAMS, "objective": objective, "seed": seed}, data, num_boost_round=ROUNDS)
    return Trees.from_model_text(booster.model_to_string())


def fit_pair(rows: Floats, labels: Floats, moves: Floats, seed: int) -> tuple[Trees, Trees]:
    """The gbdt's classifier (on whether each label is toxic) and regressor (on the moves), fitted
    and compiled. Both train on one binned ``Dataset`` (binning depends on the rows only), its label
    swapped. Thread-safe: it reads only its arguments."""
    import lightgbm

    data = lightgbm.Dataset(rows, label=(labels < 0).astype(np.float64), params=PARAMS)
    classifier = _train(lightgbm, data, "binary", seed)
    data.set_label(moves)
    return classifier, _train(lightgbm, data, "regression", seed)


def fit_classifier(rows: Floats, toxic: npt.NDArray[np.bool_], seed: int = 0) -> Trees:
    """The gbdt's classifier, fitted once on ``rows`` (its parameters): for studies of the features."""
    import lightgbm

    return _train(lightgbm, lightgbm.Dataset(rows, label=toxic.astype(np.float64), params=PARAMS), "binary", seed)


def _state_error(problem: str) -> Exception:
    from defi_int.keeper.toxicity.models import ToxicityStateError  # the desk's error, not imported by the fit process

    return ToxicityStateError(problem)
