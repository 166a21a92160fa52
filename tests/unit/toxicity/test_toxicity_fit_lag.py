"""The gbdt's fit in its own process (``keeper.toxicity_fit_lag``): a fit started at the end of a step
takes over exactly ``lag`` steps later, whatever the machine's load, and a state saved while a fit
is pending restores a model that decides the same from then on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from toxicity_world import drive, lagging_oracle

from defi_int.keeper.toxicity import fitter
from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.keeper.toxicity.gbdt import GbdtModel, fit_pair
from defi_int.keeper.toxicity.models import ToxicityConfig, ToxicityStateError
from defi_int.keeper.toxicity.scorer import Scorer

WORLD = lagging_oracle(120, seed=7)
CONFIG = ToxicityConfig(model="gbdt", horizon=4, refit_steps=15, window=300, threshold_bps=2.0, min_fills=2, seed=3)


def rows(n: int, seed: int = 1) -> tuple[list[OrderFeatures], list[float]]:
    rng = np.random.default_rng(seed)
    features = [OrderFeatures.from_array(rng.normal(size=len(OrderFeatures.NAMES))) for _ in range(n)]
    return features, [float(10 * f.amm_deviation_bps + rng.normal()) for f in features]


def test_a_fit_takes_over_exactly_lag_steps_after_it_started() -> None:
    now, late = GbdtModel(refit_steps=50, window=400, seed=2), GbdtModel(refit_steps=50, window=400, seed=2, lag=3)
    features, labels = rows(300)
    for f, label in zip(features, labels, strict=True):
        for model in (now, late):
            model.update(f, label, label - f.quote_spread_bps)
    probe = features[:20]
    now.end_step(10)
    late.end_step(10)  # the fit starts on the ring as it is now ...
    features2, labels2 = rows(100, seed=9)
    for step in (11, 12):
        late.update(features2[step], labels2[step], labels2[step])  # ... and later labels do not reach it
        late.end_step(step)
        assert late.fits == 0 and late.classifier is None  # the prior still predicts
    late.end_step(13)
    assert late.fits == 1 and late.pending is None
    assert [late.predict(f) for f in probe] == [now.predict(f) for f in probe]


def test_the_fit_process_gives_the_trees_a_fit_here_gives() -> None:
    features, labels = rows(250, seed=4)
    x = np.array([f.as_array() for f in features])
    y = np.array(labels)
    worker = fitter.shared()
    ticket = worker.submit(x, y, y - 1.0, 5)
    there = worker.result(ticket)
    here = fit_pair(x, y, y - 1.0, 5)
    for a, b in zip(there, here, strict=True):
        assert all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("feature", "threshold", "left", "value"))


def test_a_fit_that_fails_in_its_process_is_one_clear_error() -> None:
    worker = fitter.shared()
    ticket = worker.submit(np.zeros((3, 2)), np.zeros(4), np.zeros(4), 0)  # rows and labels disagree
    with pytest.raises(ToxicityStateError, match="the gbdt's fit failed in its process: LightGBMError"):
        worker.result(ticket)
    features, labels = rows(120)
    x, y = np.array([f.as_array() for f in features]), np.array(labels)
    assert worker.result(worker.submit(x, y, y, 0))[0].depth >= 1  # the process goes on serving


@pytest.mark.parametrize("lag", [0, 4])
def test_two_runs_decide_identically(lag: int) -> None:
    config = dataclasses.replace(CONFIG, fit_lag=lag)
    first, first_labels = drive(Scorer(config), WORLD)
    second, second_labels = drive(Scorer(config), WORLD)
    assert first == second and first_labels == second_labels


def test_a_state_saved_while_a_fit_is_pending_restores_the_same_decisions() -> None:
    config = dataclasses.replace(CONFIG, fit_lag=4)
    whole, whole_labels = drive(Scorer(config), WORLD)
    first = Scorer(config)
    cut = None
    for step in range(WORLD.steps):
        drive(first, WORLD, range(step, step + 1))
        model = first.model
        assert isinstance(model, GbdtModel)
        if model.pending is not None and model.fits >= 1:
            cut = step
            break
    assert cut is not None, "no fit was pending after the first one"
    restored = Scorer.restore(config, first.state())
    assert isinstance(restored.model, GbdtModel) and restored.model.pending is not None
    assert restored.state() == first.state()
    after, after_labels = drive(restored, WORLD, range(cut + 1, WORLD.steps))
    assert after == [s for s in whole if s.step > cut]
    assert after_labels == [x for x in whole_labels if x.marked_at > cut]
    # and the lag does change what is predicted between a fit's start and its takeover
    assert drive(Scorer(dataclasses.replace(CONFIG, fit_lag=0)), WORLD)[0] != whole
