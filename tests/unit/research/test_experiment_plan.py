"""The Avellaneda–Stoikov experiment honours the user's --set, knows its baseline, and says when paths are too few."""

from __future__ import annotations

import warnings

import pytest

from defi_int.exceptions import ScenarioError, ScenarioWarning
from defi_int.research.avellaneda import (
    PAPER,
    Experiment,
    default_scenario,
    min_paths,
    plan_experiment,
    verdict,
)
from defi_int.sim.scenario import load_scenario


def test_the_users_gamma_is_the_one_row_and_is_what_every_run_takes() -> None:
    study = plan_experiment(None, 3, ["keeper.risk_aversion=0.5"])
    assert study.rows == ((0.5, 3),)
    assert {spec.overrides[-2] for _, _, spec in study.specs} == {"keeper.risk_aversion=0.5"}
    assert study.baseline == "model"  # no published row for gamma 0.5


def test_the_papers_parameters_are_held_to_the_paper_and_others_to_the_model() -> None:
    paper = plan_experiment(None, 2, ["keeper.risk_aversion=1"])
    assert paper.rows == ((1.0, 2),) and paper.baseline == "paper"
    assert plan_experiment(None, 2, ["seed=9"]).baseline == "paper"  # other paths, the same parameters
    assert plan_experiment(None, 2, ["steps=12"]).baseline == "model"
    assert plan_experiment(None, 2, ["markets[0].volatility=0.3"]).baseline == "model"


def test_a_pricing_mode_keeps_its_strategy_and_bps_is_refused() -> None:
    study = plan_experiment(None, 2, ["keeper.pricing_mode=as_symmetric"])
    assert study.strategies == (("symmetric", "as_symmetric"),)
    with pytest.raises(ScenarioError, match="the paper's strategies"):
        plan_experiment(None, 2, ["keeper.pricing_mode=bps"])


def test_a_scenario_the_model_cannot_replay_is_refused_with_a_pointer_to_sweep() -> None:
    with pytest.raises(ScenarioError, match=r"one intensity population.*defi-int sweep"):
        plan_experiment(None, 2, ["arbitrage.count=1", "steps=12"])


def test_too_few_paths_is_said_instead_of_reproduced() -> None:
    assert min_paths(44.0, 11.0) == 60 and min_paths(65.0, 6.6) == 10
    study = Experiment(str(default_scenario()), ((1.0, 20),), (("symmetric", "as_symmetric"),), (), (), "paper")
    _, mean, sd, _, _ = PAPER[1.0]["symmetric"]
    row = {
        "gamma": 1.0, "strategy": "symmetric", "paths": 20, "min_paths": min_paths(mean, sd),
        "z_profit_mean": 0.1, "z_profit_sd": 0.1, "z_final_q_mean": 0.1, "z_final_q_sd": 0.1,
    }  # fmt: skip
    text, ok, enough = verdict(study, [row])
    assert not ok and not enough
    assert text.startswith("too few paths to support the claim") and "--paths 60" in text
    text, ok, enough = verdict(study, [{**row, "paths": 60}])
    assert ok and enough and text.startswith("reproduced")


def test_a_desk_pricing_another_fill_decay_than_its_traders_draw_gets_a_warning_naming_both() -> None:
    with pytest.warns(ScenarioWarning, match=r"keeper.fill_decay = 1.5 but traders\[0\].decay = 2 \(market_orders\)"):
        load_scenario(default_scenario(), overrides=["traders[0].decay=2"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_scenario(default_scenario(), overrides=["traders[0].decay=2", "keeper.fill_decay=2"])
        load_scenario(default_scenario(), overrides=["traders[0].decay=2", "keeper.pricing_mode=bps"])
