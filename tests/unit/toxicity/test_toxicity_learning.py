"""The learned models find a planted signal, and none where there is none; the evaluation measures.

Online and time-ordered, as the desk runs: each order is predicted before its label is learned,
and the AUC is taken over the second half of the stream only (held out from nothing the model saw
before predicting it)."""

from __future__ import annotations

import numpy as np
import pytest
from toxicity_world import drive, lagging_oracle

from defi_int.keeper.toxicity.evaluation import auc, brier, reliability
from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.kinds import make_model
from defi_int.keeper.toxicity.models import ToxicityConfig
from defi_int.keeper.toxicity.scorer import Scorer

WIDTH = len(OrderFeatures.NAMES)
DEVIATION = OrderFeatures.NAMES.index("amm_deviation_bps")
IMBALANCE = OrderFeatures.NAMES.index("flow_imbalance")
SIZE = OrderFeatures.NAMES.index("size")
QUOTE = OrderFeatures.NAMES.index("quote_spread_bps")
PER_STEP = 20


def stream(seed: int, n: int, *, planted: bool) -> tuple[list[OrderFeatures], list[float]]:
    """Feature rows of heavy scales; the label (the desk's markout) is the desk's quote against the
    oracle plus the move. With ``planted``, the quote varies and the move falls with the AMM's
    deviation and the flow's imbalance in the order's direction, and with a size threshold; without,
    the quote is a constant 3 bps and the move is noise."""
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.1, 1_000.0, size=WIDTH)
    rows = rng.normal(size=(n, WIDTH)) * scales
    rows[:, QUOTE] = rng.normal(3.0, 3.0, size=n) if planted else 3.0
    noise = rng.normal(scale=15.0, size=n)
    signal = -12.0 * rows[:, DEVIATION] / scales[DEVIATION] - 8.0 * rows[:, IMBALANCE] / scales[IMBALANCE]
    signal -= 10.0 * (rows[:, SIZE] > scales[SIZE])
    labels = (signal if planted else 0.0) + noise + rows[:, QUOTE]
    return [OrderFeatures.from_array(r) for r in rows], [float(v) for v in labels]


def online_auc(model_name: str, seed: int, *, planted: bool, n: int = 3_000) -> tuple[float, float]:
    """(AUC of p_toxic, correlation of the expected markout with the label) over the second half."""
    model = make_model(ToxicityConfig(model=model_name, refit_steps=10, window=1_000, seed=seed))
    rows, labels = stream(seed, n, planted=planted)
    predictions = []
    for start in range(0, n, PER_STEP):  # a step: predict its orders, then learn the labels that matured
        chunk = range(start, min(start + PER_STEP, n))
        predictions.extend(model.predict(rows[i]) for i in chunk)
        for i in chunk:
            model.update(rows[i], labels[i], labels[i] - rows[i].quote_spread_bps)  # the label = quote + move
        model.end_step(start // PER_STEP)
    held = slice(n // 2, n)
    p = [x.p_toxic for x in predictions[held]]
    expected = [x.expected_markout_bps for x in predictions[held]]
    score = auc(p, [label < 0 for label in labels[held]])
    assert score is not None
    return score, float(np.corrcoef(expected, labels[held])[0, 1])


@pytest.mark.parametrize("model", ["logistic", "gbdt"])
def test_a_learned_model_finds_a_planted_signal(model: str) -> None:
    score, correlation = online_auc(model, seed=11, planted=True)
    assert score > 0.75
    assert correlation > 0.5  # the expected markout follows the label too


@pytest.mark.parametrize("model", ["logistic", "gbdt"])
def test_a_learned_model_finds_nothing_in_noise(model: str) -> None:
    score, _ = online_auc(model, seed=12, planted=False)
    assert 0.44 < score < 0.56


def test_on_a_lagging_oracle_the_learned_models_catch_informed_traders_who_change_address() -> None:
    """The informed trade the AMM–oracle gap from fresh addresses: no per-trader history catches
    them, the AMM's deviation in the order's direction does."""
    world = lagging_oracle(300, seed=21)
    scores = {}
    for model in ("trader_rule", "logistic", "gbdt"):
        config = ToxicityConfig(model=model, horizon=5, refit_steps=25, window=800, threshold_bps=2.0, min_fills=3)
        _, labels = drive(Scorer(config), world)
        held = labels[len(labels) // 2 :]
        predictions = [x.pending.prediction for x in held]
        scores[model] = auc([p.p_toxic for p in predictions if p], [x.toxic for x in held])
    assert scores["trader_rule"] is not None and scores["trader_rule"] < 0.6
    assert scores["logistic"] is not None and scores["logistic"] > 0.7
    assert scores["gbdt"] is not None and scores["gbdt"] > 0.7


def test_auc_counts_ties_half_and_needs_both_classes() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert auc([0.5, 0.5], [False, True]) == 0.5
    assert auc([0.9, 0.1], [False, True]) == 0.0
    assert auc([0.2, 0.3], [True, True]) is None


def test_brier_and_reliability_compare_probabilities_with_outcomes() -> None:
    assert brier([1.0, 0.0, 0.5], [True, False, True]) == pytest.approx(0.25 / 3)
    assert brier([], []) is None
    bins = reliability([0.05, 0.15, 0.12, 1.0], [False, True, False, True], bins=10)
    assert (bins[0].count, bins[1].count, bins[9].count) == (1, 2, 1)
    assert bins[1].mean_prediction == pytest.approx(0.135) and bins[1].toxic_share == 0.5
    assert bins[5].count == 0 and bins[5].toxic_share is None
