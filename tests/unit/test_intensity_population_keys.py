"""An intensity population takes its own keys only, and the others refuse them."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.exceptions import ScenarioError
from defi_int.sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"


def test_the_shipped_avellaneda_stoikov_scenario_loads_with_the_papers_settings() -> None:
    scenario = load_scenario(SCENARIOS / "avellaneda_stoikov.toml")
    (traders,) = scenario.traders
    assert (traders.type, traders.intensity, traders.decay) == ("intensity", 0.7, 1.5)
    assert (scenario.keeper.pricing_mode, scenario.keeper.risk_aversion, scenario.keeper.fill_decay) == ("as", 0.1, 1.5)
    assert scenario.markets[0].path == "abm" and scenario.steps * scenario.block_time == 219_000


@pytest.mark.parametrize(
    ("file", "override", "fragment"),
    [
        ("avellaneda_stoikov.toml", "traders[0].rate=0.5", "not for intensity traders"),
        ("avellaneda_stoikov.toml", "traders[0].expiry_steps=[1, 2]", "not for intensity traders"),
        ("basic.toml", "traders[0].decay=2", "only for intensity traders"),
        ("basic.toml", "keeper.pricing_mode=avellaneda", "must be one of 'bps', 'as', 'as_symmetric'"),
        ("avellaneda_stoikov.toml", "traders[0].intensity=0", "must be > 0"),
    ],
)
def test_a_key_the_population_does_not_take_is_refused(file: str, override: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(SCENARIOS / file, overrides=[override])
    assert caught.value.source == "--set" and fragment in caught.value.problem
