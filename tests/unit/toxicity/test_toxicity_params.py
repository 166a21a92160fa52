"""``keeper.toxicity_model`` and its keys: declared once, ``toxicity_routing = true`` still meaning the
per-trader rule, a contradiction refused with one clear line, and the scorer built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.exceptions import ParamError, ScenarioError
from defi_int.keeper.toxicity.gbdt import GbdtModel
from defi_int.keeper.toxicity.models import MODELS, LogisticModel, NoModel, ToxicityConfig, TraderRuleModel
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.params import TOXICITY_MODELS, KeeperParams, param_of
from defi_int.sim.scenario import load_scenario

INFORMED = Path(__file__).resolve().parents[3] / "scripts/scenarios/informed_flow.toml"


def test_the_model_is_declared_once_with_its_choices_and_off_by_default() -> None:
    assert param_of(KeeperParams, "toxicity_model").options == TOXICITY_MODELS == MODELS
    assert KeeperParams().effective_toxicity_model == "none"
    assert ToxicityConfig().model == "none"


@pytest.mark.parametrize(
    ("routing", "model", "effective"),
    [
        (False, "none", "none"),
        (True, "none", "trader_rule"),  # the older spelling
        (True, "trader_rule", "trader_rule"),
        (False, "trader_rule", "trader_rule"),
        (False, "logistic", "logistic"),
        (False, "gbdt", "gbdt"),
    ],
)
def test_toxicity_routing_true_means_the_trader_rule(routing: bool, model: str, effective: str) -> None:
    keeper = KeeperParams(toxicity_routing=routing, toxicity_model=model)
    assert keeper.effective_toxicity_model == effective
    assert ToxicityConfig.from_params(keeper).model == effective


@pytest.mark.parametrize("model", ["logistic", "gbdt"])
def test_toxicity_routing_with_a_learned_model_is_refused(model: str) -> None:
    with pytest.raises(ParamError, match=f"toxicity_routing = true means the trader_rule model, not '{model}'") as err:
        KeeperParams(toxicity_routing=True, toxicity_model=model)
    assert (err.value.path, err.value.related) == ("toxicity_model", ("toxicity_routing",))


def test_a_scenario_chooses_the_model_and_its_keys_with_set() -> None:
    overrides = [
        "keeper.toxicity_model=gbdt",
        "keeper.toxicity_refit_steps=7",
        "keeper.toxicity_window=500",
        "keeper.toxicity_counterfactual=false",
    ]
    keeper = load_scenario(INFORMED, overrides=overrides).keeper
    config = ToxicityConfig.from_params(keeper, seed=7)
    assert config == ToxicityConfig(
        model="gbdt",
        horizon=5,
        threshold_bps=10.0,
        min_fills=5,
        refit_steps=7,
        window=500,
        counterfactual=False,
        seed=7,
    )
    model = Scorer(config).model
    assert isinstance(model, GbdtModel) and (model.refit_steps, model.window, model.seed) == (7, 500, 7)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (["keeper.toxicity_model=xgboost"], "keeper.toxicity_model: must be one of 'none', 'trader_rule'"),
        (["keeper.toxicity_routing=true", "keeper.toxicity_model=logistic"], "keeper.toxicity_model: toxicity_routing"),
        (["keeper.toxicity_window=99"], "keeper.toxicity_window: must be within 100..1000000 labels"),
        (["keeper.toxicity_refit_steps=0"], "keeper.toxicity_refit_steps: must be within 1..1000000 steps"),
    ],
)
def test_a_bad_toxicity_key_is_one_clear_scenario_error(overrides: list[str], fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment) as err:
        load_scenario(INFORMED, overrides=overrides)
    assert "\n" not in str(err.value)


def test_each_choice_builds_its_model() -> None:
    kinds = {m: type(Scorer(ToxicityConfig(model=m)).model) for m in MODELS}
    assert kinds == {"none": NoModel, "trader_rule": TraderRuleModel, "logistic": LogisticModel, "gbdt": GbdtModel}
    with pytest.raises(ValueError, match="toxicity model must be one of none, trader_rule, logistic, gbdt"):
        ToxicityConfig(model="forest")
