"""A saved state restores exactly: every later prediction, label and refit is the same as without the save."""

from __future__ import annotations

import numpy as np
import pytest
from toxicity_world import drive, lagging_oracle

from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.gbdt import _PARAMS, GbdtModel, Trees
from defi_int.keeper.toxicity.kinds import load_model, make_model
from defi_int.keeper.toxicity.models import MODELS, ToxicityConfig, ToxicityStateError
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.keeper.toxicity.trees import Pair, fit_pair

WORLD = lagging_oracle(140, seed=5)


def config(model: str) -> ToxicityConfig:
    return ToxicityConfig(model=model, horizon=4, refit_steps=15, window=300, threshold_bps=2.0, min_fills=2, seed=9)


def partly_filled(arrival) -> bool:  # type: ignore[no-untyped-def]
    return arrival.digest[-1] % 3 != 0


@pytest.mark.parametrize("model", MODELS)
def test_a_scorer_restored_from_its_state_goes_on_exactly_as_the_one_that_saved_it(model: str) -> None:
    whole, whole_labels = drive(Scorer(config(model)), WORLD, fill=partly_filled)
    first = Scorer(config(model))
    before, before_labels = drive(first, WORLD, range(70), fill=partly_filled)
    restored = Scorer.restore(config(model), first.state())
    assert restored.state() == first.state()
    after, after_labels = drive(restored, WORLD, range(70, WORLD.steps), fill=partly_filled)
    assert before + after == whole  # features and predictions, to the last bit
    assert before_labels + after_labels == whole_labels
    if model == "gbdt":
        assert isinstance(restored.model, GbdtModel) and restored.model.fits >= 2  # refit after the restore too


@pytest.mark.parametrize("model", MODELS)
def test_a_model_state_predicts_the_same_after_a_reload(model: str) -> None:
    rng = np.random.default_rng(1)
    trained = make_model(config(model))
    rows = [OrderFeatures.from_array(rng.normal(size=len(OrderFeatures.NAMES))) for _ in range(400)]
    for step, features in enumerate(rows):
        label = float(10 * features.amm_deviation_bps + rng.normal())
        trained.update(features, label, label - features.quote_spread_bps)
        trained.end_step(step)
    reloaded = load_model(trained.state())
    assert reloaded.kind == trained.kind == model
    assert [reloaded.predict(f) for f in rows] == [trained.predict(f) for f in rows]


def test_the_compiled_trees_predict_as_lightgbm_does() -> None:
    import lightgbm

    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, len(OrderFeatures.NAMES)))
    y = (x[:, 3] + 0.5 * x[:, 7] ** 2 + rng.normal(scale=0.3, size=500) > 0.5).astype(np.float64)
    model = GbdtModel(refit_steps=1, window=500, seed=1)
    booster = lightgbm.train(
        {**_PARAMS, "objective": "binary", "max_depth": 6, "num_leaves": 31},
        lightgbm.Dataset(x, label=y),
        num_boost_round=30,
    )
    trees = Trees.from_model_text(booster.model_to_string())
    raw = booster.predict(x[:50], raw_score=True)
    assert [trees.raw(row) for row in x[:50]] == pytest.approx(list(raw), abs=1e-9)
    assert model.classifier is None  # untrained: predicts the prior
    stumps = lightgbm.train(  # too few rows to split: every tree is one leaf
        {**_PARAMS, "objective": "regression"},
        lightgbm.Dataset(x[:10], label=y[:10]),
        num_boost_round=3,
    )
    leaves = Trees.from_model_text(stumps.model_to_string())
    assert leaves.depth == 0 and leaves.raw(x[0]) == pytest.approx(stumps.predict(x[:1], raw_score=True)[0])


def test_the_classifier_and_regressor_walked_as_one_score_as_each_does_alone_to_the_bit() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(800, len(OrderFeatures.NAMES))) * rng.uniform(0.1, 100.0, size=len(OrderFeatures.NAMES))
    labels = x[:, 2] - x[:, 9] + rng.normal(scale=0.5, size=800)
    classifier, regressor = fit_pair(x, labels, 30.0 * labels, seed=3)
    pair = Pair(classifier, regressor)
    assert all(pair.raw(row) == (classifier.raw(row), regressor.raw(row)) for row in x)


def test_a_state_saved_under_another_configuration_is_refused_with_the_difference() -> None:
    state = Scorer(config("logistic")).state()
    with pytest.raises(ToxicityStateError, match="model 'logistic' -> 'gbdt'"):
        Scorer.restore(config("gbdt"), state)
    with pytest.raises(ToxicityStateError, match="not a saved scorer"):
        Scorer.restore(config("logistic"), b"not a state")
    with pytest.raises(ToxicityStateError, match="saved by the 'logistic' model, the configuration asks for 'gbdt'"):
        load_model(make_model(config("logistic")).state(), "gbdt")
