"""The scenario keys of toxic flow: the oracle's lag, rotating addresses, the edge traders' limit rule,
the arbitrageurs' anchor, shuffled arrivals; and the shipped scenarios that use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.exceptions import ScenarioError
from defi_int.sim.scenario import MAX_ADDRESSES, OracleSpec, TraderSpec, load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
#: What an order's terms are drawn from: the same in a noise population and an edge population
#: whose ``limit_rule`` is ``offset`` makes the two indistinguishable but for the side.
TERMS = ("size_mean", "size_sigma", "limit_offset_bps", "expiry_steps", "allow_amm", "max_fee_bps", "margin", "rate")


def test_the_oracle_posts_the_path_lag_steps_late_and_its_first_price_before_that() -> None:
    assert [OracleSpec(lag=3).source_step(t) for t in range(6)] == [0, 0, 0, 0, 1, 2]
    assert [OracleSpec().source_step(t) for t in range(3)] == [0, 1, 2]


def test_a_population_is_funded_with_one_address_per_trader_unless_it_rotates() -> None:
    assert TraderSpec(type="noise", count=20, rate=0.1).addresses(300) == 20
    # 20 x 0.1 x 300 = 600 expected orders, plus four standard deviations (about 98), one address each.
    assert TraderSpec(type="noise", count=20, rate=0.1, rotate_every=1).addresses(300) == 20 + 698
    assert TraderSpec(type="noise", count=20, rate=0.1, rotate_every=4).addresses(300) == 20 + 175


@pytest.mark.parametrize(("name", "edge"), [("rotating_informed", "informed"), ("lagging_oracle", "fast")])
def test_the_shipped_toxic_flow_scenarios_draw_edge_orders_as_noise_orders(name: str, edge: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    noise, toxic = scenario.traders
    assert (noise.type, toxic.type, toxic.limit_rule) == ("noise", edge, "offset")
    assert scenario.shuffle_arrivals
    for key in TERMS:
        assert getattr(toxic, key) == getattr(noise, key), key
    assert all(m.funding_period > 0 for m in scenario.markets)


def test_the_rotating_scenario_rotates_only_the_informed_traders_and_the_lagging_one_anchors_arbitrage() -> None:
    rotating = load_scenario(SCENARIOS / "rotating_informed.toml")
    assert [t.rotate_every for t in rotating.traders] == [None, 1]
    fair = load_scenario(SCENARIOS / "rotating_informed.toml", overrides=["traders[0].rotate_every=1"])
    assert [t.rotate_every for t in fair.traders] == [1, 1]
    lagging = load_scenario(SCENARIOS / "lagging_oracle.toml")
    assert (lagging.oracle.lag, lagging.arbitrage.anchor) == (3, "reference")
    assert lagging.keeper.toxicity_horizon > lagging.oracle.lag


@pytest.mark.parametrize(
    ("file", "override", "key", "fragment"),
    [
        ("basic.toml", "traders[0].limit_rule=offset", "traders[0].limit_rule", "only for informed and fast traders"),
        ("basic.toml", "traders[0].min_edge_bps=5", "traders[0].min_edge_bps", "only for informed and fast traders"),
        ("basic.toml", "traders[1].type=fast", "traders[1].horizon", "only for informed traders"),
        ("lagging_oracle.toml", "traders[1].horizon=3", "traders[1].horizon", "only for informed traders"),
        ("avellaneda_stoikov.toml", "traders[0].rotate_every=1", "traders[0].rotate_every", "not for intensity"),
        ("avellaneda_stoikov.toml", "traders[0].limit_rule=offset", "traders[0].limit_rule", "not for intensity"),
        ("rotating_informed.toml", "traders[1].rotate_every=0", "traders[1].rotate_every", "within 1..1000000 orders"),
        (
            "rotating_informed.toml",
            "traders[1].rate=10",
            "traders[1].rotate_every",
            f"funded addresses over the run (count + count x rate x steps / rotate_every, with room), above the "
            f"{MAX_ADDRESSES} a population may hold",
        ),
    ],
)
def test_a_toxic_flow_key_the_population_does_not_take_is_refused_in_one_line(
    file: str, override: str, key: str, fragment: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(SCENARIOS / file, overrides=[override])
    error = caught.value
    assert (error.source, error.key) == ("--set", key)
    assert "\n" not in str(error)
    assert fragment in error.problem
