"""One run of the toxicity experiment: the figures it needs beyond a study's, read from the run's records.

``measure(scenario, result)`` runs on the worker after ``runs.figures`` (``runs.execute`` calls it),
so only numbers travel back to the ledger. From the ``RunResult``:

- **prediction** (``RunResult.labels``: each prediction made at an order's receipt against the
  desk's markout at the horizon, learned online, so every pair is out of sample in time):
  ``labels``, ``toxic_share``, ``auc``, ``brier``, and the reliability diagram's sums per
  probability bin (``rel_count_i``, ``rel_p_i``, ``rel_toxic_i``) for pooling over seeds;
  ``auc_informed``: how well ``p_toxic`` at receipt told the informed populations' orders from the
  uninformed ones' (a diagnostic: the label is noisy, the population is not);
- **the populations**, in two classes by type: ``uninformed`` (``noise``, ``intensity``) and
  ``informed`` (``informed``, ``fast``). Per class: orders and size sent, the volume filled inside
  and on the AMM, ``fill_rate`` (size filled / size sent), ``price_improvement_bps`` (against the
  AMM's price for the same size, size-weighted over all legs, an AMM leg improving nothing) and
  ``effective_spread_bps`` (``2·side·(price − oracle at receipt)``, size-weighted, Rule 605's), and
  ``score_declined`` (the size of its orders that the desk did not fill inside because of the
  toxicity score, their last reason ``toxic`` or ``negative_edge``): of the volume a policy takes
  from the uninformed against ``none``, the part its decisions took; the rest moved with the
  desk's inventory (its skewed quote no longer met their limits, or its room went elsewhere);
- **the decisions**: ``decisions``, one letter per order in arrival order (its last action:
  ``I``nternalize, ``P``artial, ``W``iden, ``R``oute, ``S``(rest), ``D``ecline, ``-`` none), so two
  runs of the same flow can be compared order by order (not a figure: the tables leave it out);
- **the signal** (learned models only): for each feature, the AUC of that feature alone for telling
  the informed orders apart (``signal_<name>``), and a one-feature ablation (``ablation_<name>``):
  a classifier like the gbdt's, trained on the first ``TRAIN_SHARE`` of the run's labelled orders in
  time and scored on the rest, loses that much AUC when the feature is held constant.

Pure reads of the records (numpy; LightGBM for the ablation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from defi_int.keeper.toxicity.evaluation import auc, brier
from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.metrics.fills import price_improvement_bps
from defi_int.metrics.records import OrderLog, RunResult
from defi_int.reasons import Reason
from defi_int.types import BPS, ONE

if TYPE_CHECKING:
    from defi_int.sim.scenario import Scenario

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

#: Population types by class.
UNINFORMED: Final = frozenset({"noise", "intensity"})
INFORMED: Final = frozenset({"informed", "fast"})
CLASSES: Final = ("uninformed", "informed")
#: Reliability bins (equal width in probability).
BINS: Final = 10
#: The ablation trains on this share of the labelled orders (by time) and scores the rest.
TRAIN_SHARE: Final = 0.6
#: The one letter per action in ``decisions``.
ACTION_LETTERS: Final = {
    "internalize": "I",
    "partial": "P",
    "widen": "W",
    "route": "R",
    "rest": "S",
    "decline": "D",
}
#: The reasons the toxicity score gives for filling less inside (``keeper.policy``).
SCORE_REASONS: Final = frozenset({Reason.TOXIC.code, Reason.NEGATIVE_EDGE.code})
#: Row keys that are not figures (the tables leave them out).
NOT_FIGURES: Final = frozenset({"decisions", "flow_digest"})


def classes(scenario: Scenario) -> dict[str, str]:
    """Population name -> class (``uninformed``, ``informed`` or ``other``)."""
    out = {}
    for population in scenario.traders:
        kind = population.type
        out[population.name] = "uninformed" if kind in UNINFORMED else "informed" if kind in INFORMED else "other"
    return out


def measure(scenario: Scenario, result: RunResult) -> dict[str, Any]:
    """The experiment's figures of one run (see the module docstring)."""
    by_name = classes(scenario)
    kind = {addr: by_name.get(name, "other") for addr, name in result.trader_types.items()}
    out: dict[str, Any] = {}
    out.update(prediction(result, kind))
    out.update(populations(result, kind))
    out["decisions"] = "".join(ACTION_LETTERS.get(o.action or "", "-") for o in result.orders)
    if any(o.features is not None for o in result.orders):
        out.update(signal(result, kind))
    return out


def prediction(result: RunResult, kind: dict[str, str]) -> dict[str, Any]:
    """Labels, AUC, Brier, the reliability sums, and ``auc_informed``."""
    labels = result.labels
    scores, outcomes = [x.p_toxic for x in labels], [x.markout_bps < 0 for x in labels]
    p = np.array(scores, dtype=np.float64)
    toxic = np.array(outcomes, dtype=bool)
    out: dict[str, Any] = {
        "labels": len(labels),
        "toxic_share": float(toxic.mean()) if len(labels) else None,
        "auc": auc(scores, outcomes) if len(labels) else None,
        "brier": brier(scores, outcomes),
    }
    index = np.minimum((p * BINS).astype(np.int64), BINS - 1)
    for b in range(BINS):
        inside = index == b
        out[f"rel_count_{b}"] = int(inside.sum())
        out[f"rel_p_{b}"] = float(p[inside].sum())
        out[f"rel_toxic_{b}"] = int(toxic[inside].sum())
    scored = [o for o in result.orders if o.p_toxic is not None and kind.get(o.trader.lower()) in CLASSES]
    out["auc_informed"] = (
        auc([o.p_toxic or 0.0 for o in scored], [kind[o.trader.lower()] == "informed" for o in scored])
        if scored
        else None
    )
    return out


def populations(result: RunResult, kind: dict[str, str]) -> dict[str, Any]:
    """Per class: orders, size, volumes, fill rate, price improvement and effective spread."""
    logs = {o.digest: o for o in result.orders}
    sums = {c: dict.fromkeys(("orders", "size", "filled", "internal", "amm", "declined"), 0) for c in CLASSES}
    improvement = {c: [0.0, 0.0] for c in CLASSES}  # (Σ size·bps, Σ size)
    spread = {c: [0.0, 0.0] for c in CLASSES}
    for order in result.orders:
        c = kind.get(order.trader.lower())
        if c in sums:
            sums[c]["orders"] += 1
            sums[c]["size"] += order.size
            sums[c]["filled"] += order.filled
            if order.reason in SCORE_REASONS:
                sums[c]["declined"] += order.size - order.internal
    for leg in result.fills:
        c = kind.get(leg.trader.lower())
        if c not in sums:
            continue
        size = leg.size / ONE
        sums[c]["internal" if leg.venue == "internal" else "amm"] += leg.size
        gained = price_improvement_bps(leg)
        if gained is not None:
            improvement[c][0] += size * gained
            improvement[c][1] += size
        log = logs.get(leg.digest)
        reference = _reference(log, leg.oracle_price)
        if reference:
            side = 1 if leg.is_buy else -1
            spread[c][0] += size * 2 * side * (leg.price - reference) * BPS / reference
            spread[c][1] += size
    out: dict[str, Any] = {}
    for c in CLASSES:
        s = sums[c]
        out[f"{c}_orders"] = s["orders"]
        out[f"{c}_size"] = s["size"] / ONE
        out[f"{c}_internal_volume"] = s["internal"] / ONE
        out[f"{c}_amm_volume"] = s["amm"] / ONE
        out[f"{c}_score_declined"] = s["declined"] / ONE
        out[f"{c}_fill_rate"] = s["filled"] / s["size"] if s["size"] else None
        out[f"{c}_price_improvement_bps"] = _ratio(*improvement[c])
        out[f"{c}_effective_spread_bps"] = _ratio(*spread[c])
    return out


def _reference(log: OrderLog | None, oracle: int) -> int:
    """The oracle at the order's receipt (the one at the fill when it was stale then)."""
    if log is not None and log.oracle_at_receipt:
        return log.oracle_at_receipt
    return oracle


def _ratio(total: float, weight: float) -> float | None:
    return total / weight if weight else None


def signal(result: RunResult, kind: dict[str, str]) -> dict[str, Any]:
    """Per feature: the single-feature AUC for the informed orders, and the one-feature ablation."""
    out: dict[str, Any] = {}
    rows = [(o.features, kind.get(o.trader.lower()) == "informed") for o in result.orders if o.features is not None]
    x = np.array([r for r, _ in rows], dtype=np.float64)
    informed = np.array([i for _, i in rows], dtype=bool)
    for j, name in enumerate(OrderFeatures.NAMES):
        out[f"signal_{name}"] = auc(x[:, j].tolist(), informed.tolist()) if len(rows) else None
    out.update(ablation(result))
    return out


def labelled_rows(result: RunResult) -> tuple[Floats, Bools]:
    """One (features, toxic) pair per labelled order, in the order the labels matured (its first label)."""
    features = {o.digest: o.features for o in result.orders if o.features is not None}
    seen: set[bytes] = set()
    x, y = [], []
    for label in result.labels:
        row = features.get(label.digest)
        if row is None or label.digest in seen:
            continue
        seen.add(label.digest)
        x.append(row)
        y.append(label.markout_bps < 0)
    return np.array(x, dtype=np.float64).reshape(len(x), len(OrderFeatures.NAMES)), np.array(y, dtype=bool)


def ablation(result: RunResult) -> dict[str, Any]:
    """``ablation_auc`` (all features) and ``ablation_<name>``: the AUC lost without each feature."""
    x, y = labelled_rows(result)
    cut = int(len(y) * TRAIN_SHARE)
    out: dict[str, Any] = {"ablation_auc": None, **{f"ablation_{n}": None for n in OrderFeatures.NAMES}}
    train, test = slice(0, cut), slice(cut, len(y))
    if cut < 50 or len(set(y[train].tolist())) < 2 or len(set(y[test].tolist())) < 2:
        return out
    full = _fit_auc(x[train], y[train], x[test], y[test])
    out["ablation_auc"] = full
    for j, name in enumerate(OrderFeatures.NAMES):
        held_train, held_test = x[train].copy(), x[test].copy()
        held_train[:, j] = 0.0
        held_test[:, j] = 0.0
        score = _fit_auc(held_train, y[train], held_test, y[test])
        out[f"ablation_{name}"] = None if full is None or score is None else full - score
    return out


def _fit_auc(x: Floats, y: Bools, test_x: Floats, test_y: Bools) -> float | None:
    """The AUC on ``test`` of the gbdt model's classifier (its parameters) trained on ``x``, ``y``."""
    from defi_int.keeper.toxicity.gbdt import fit_classifier

    trees = fit_classifier(x, y)
    return auc([trees.raw(row) for row in test_x], test_y.tolist())


def decisions_changed(a: str | None, b: str | None) -> int | None:
    """How many orders two runs of the same flow decided differently (their last actions)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return sum(x != y for x, y in zip(a, b, strict=True))


def mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None and math.isfinite(v)]
    return math.fsum(present) / len(present) if present else None
