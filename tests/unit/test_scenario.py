"""Scenario files load into frozen specs with every default resolved, overrides apply, and the
shipped scenarios (and their replay data) are valid."""

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest

from defi_int.exceptions import ParamError, ScenarioError
from defi_int.keeper.config import KeeperConfig
from defi_int.params import (
    KeeperParams,
    MarketParams,
    ProtocolParams,
    SystemParams,
    declared,
    fixed_to_str,
    key_of,
    param_of,
)
from defi_int.sim.scenario import (
    ArbSpec,
    ChainSpec,
    MarketSpec,
    OracleSpec,
    Scenario,
    TraderSpec,
    load_scenario,
    parse_scenario,
)
from defi_int.types import ONE

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scripts" / "scenarios"
REPLAY_CSV = SCENARIOS / "data" / "eth_usd_replay.csv"

MINIMAL = """
steps = 10
[[markets]]
[[traders]]
type = "noise"
"""


def parse(text: str = MINIMAL, **kwargs) -> Scenario:
    return parse_scenario(text, source="inline.toml", base_dir=SCENARIOS, **kwargs)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_loads_and_serializes_to_json(path):
    scenario = load_scenario(path)
    assert scenario.source == path.resolve()
    assert scenario.name == path.stem
    assert scenario.description
    json.dumps(scenario.to_dict())


def test_the_four_documented_scenarios_are_shipped():
    shipped = {p.stem for p in SCENARIOS.glob("*.toml")}
    assert {"basic", "informed_flow", "replay", "stress_jumps"} <= shipped


def test_basic_is_a_single_gbm_market_with_noise_informed_and_arbitrage_flow():
    s = load_scenario(SCENARIOS / "basic.toml")
    (market,) = s.markets
    assert (market.symbol, market.price, market.path) == ("ETH-PERP", 2_000 * ONE, "gbm")
    assert [t.type for t in s.traders] == ["noise", "informed"]
    assert s.arbitrage.count >= 1
    assert s.keeper.soft_limit is not None and s.keeper.hedge_to < s.keeper.soft_limit


def test_the_other_scenarios_stress_what_their_names_say():
    informed = load_scenario(SCENARIOS / "informed_flow.toml")
    assert not informed.keeper.toxicity_routing
    assert sum(t.count for t in informed.traders if t.type == "informed") >= 6
    jumps = load_scenario(SCENARIOS / "stress_jumps.toml")
    assert jumps.markets[0].path == "jump" and jumps.markets[0].jump_intensity > 0
    assert jumps.keeper.soft_limit is None and jumps.markets[0].inventory_cap <= 10 * ONE
    replay = load_scenario(SCENARIOS / "replay.toml")
    assert replay.markets[0].replay_csv == REPLAY_CSV.resolve()


def test_a_minimal_scenario_takes_the_declared_defaults():
    s = parse()
    assert (s.name, s.seed, s.block_time, s.start_time, s.source) == ("inline", 1, 12, 2_100_000_000, None)
    assert (s.chain, s.oracle, s.arbitrage) == (ChainSpec(), OracleSpec(), ArbSpec())
    assert (s.chain.backend, s.chain.rpc_url) == ("revm", None)
    assert (s.protocol, s.keeper) == (ProtocolParams(), KeeperParams())
    (m,) = s.markets
    assert m == MarketSpec() and (m.id, m.symbol, m.path, m.replay_csv) == (0, "M0", "gbm", None)
    (t,) = s.traders
    assert t == TraderSpec(type="noise") and t.name == "noise"
    assert s.oracle.posts_at(7) and s.keeper.risk_limit_for(m) == m.inventory_cap


def test_a_minimal_scenario_deploys_exactly_what_code_gets_by_default():
    s = parse()
    assert s.system_params() == SystemParams()
    assert s.protocol.oracle_max_age == SystemParams().oracle_max_age == 3_600  # once 120 here and 3600 there
    config = KeeperConfig.from_params(s.keeper, s.system_params(), {0: s.markets[0].volatility})
    assert config == KeeperConfig(
        pricing=config.pricing, risk_limits=config.risk_limits, soft_limits=config.soft_limits
    )
    assert config.risk_limits == {0: s.markets[0].inventory_cap} and config.soft_limits == {0: None}


def _another_value(cls: type, name: str) -> str:
    """A value of ``cls.name`` other than its default that the class accepts, as TOML."""
    param = param_of(cls, name)
    default = getattr(cls(), name)
    for value in (default + 1, default - 1, param.hi):
        try:
            cls(**{name: value})
        except ParamError:
            continue
        return f'"{fixed_to_str(value)}"' if param.kind == "amount" else str(value)
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("table", "cls", "name"),
    [("protocol", ProtocolParams, f.name) for f, _ in declared(ProtocolParams)]
    + [("markets[0]", MarketParams, f.name) for f, _ in declared(MarketParams)],
)
def test_every_declared_deploy_parameter_is_a_scenario_key_that_reaches_the_deploy_config(table, cls, name):
    value = _another_value(cls, name)
    s = parse(overrides=[f"{table}.{key_of(cls, name)}={value}"])
    params = s.system_params()
    target = params if cls is ProtocolParams else params.markets[0]
    assert getattr(target, name) != getattr(cls(), name)
    assert getattr(target, name) == getattr(s.protocol if cls is ProtocolParams else s.markets[0], name)


def test_decimal_amounts_are_read_exactly_and_rendered_back_as_decimal_strings():
    s = parse(
        """
        steps = 10
        [[markets]]
        price = "2000.123456789012345678"
        amm_base = 0.1
        inventory_cap = 7
        [keeper]
        soft_limit = 2.5
        [[traders]]
        type = "noise"
        size_mean = 1e-3
        """
    )
    m = s.markets[0]
    assert m.price == 2_000_123_456_789_012_345_678
    assert m.amm_base == ONE // 10
    assert s.traders[0].size_mean == ONE // 1000
    d = s.to_dict()
    assert d["markets"][0]["price"] == "2000.123456789012345678"
    assert (d["markets"][0]["amm_base"], d["markets"][0]["inventory_cap"]) == ("0.1", "7")
    assert (d["keeper"]["soft_limit"], d["keeper"]["hedge_to"], d["keeper"]["risk_limit"]) == ("2.5", "0", None)
    assert d["traders"][0]["size_mean"] == "0.001"
    assert d["keeper"]["markout_horizons"] == [1, 5, 20]


def test_an_integer_is_accepted_where_a_float_is_expected():
    s = parse(MINIMAL + "[keeper]\nhalf_spread_bps = 8\nrisk_aversion = 2\n")
    assert s.keeper.half_spread_bps == 8.0 and isinstance(s.keeper.half_spread_bps, float)


def test_market_ids_default_to_their_index_and_symbols_to_the_id():
    s = parse("steps = 5\n[[markets]]\n[[markets]]\nid = 7\n[[traders]]\ntype = 'informed'\nmarkets = [7]\n")
    assert [(m.id, m.symbol) for m in s.markets] == [(0, "M0"), (7, "M7")]
    assert s.traders[0].markets == (7,)
    assert s.market(7) is s.markets[1]


def test_overrides_are_applied_before_validation():
    s = load_scenario(
        SCENARIOS / "basic.toml",
        overrides=[
            "keeper.half_spread_bps=8",
            "markets[0].volatility=1.2",
            "traders[1].count=5",
            "steps=50",
            "keeper.toxicity_routing=true",
            "keeper.markout_horizons=[2, 4, 8]",
            "markets[0].symbol=SOL-PERP",
        ],
    )
    assert s.keeper.half_spread_bps == 8.0
    assert s.markets[0].volatility == 1.2
    assert s.traders[1].count == 5
    assert s.steps == 50
    assert s.keeper.toxicity_routing is True
    assert s.keeper.markout_horizons == (2, 4, 8)
    assert s.markets[0].symbol == "SOL-PERP"


def test_an_override_creates_missing_tables():
    s = parse(overrides=["arbitrage.count=0", "chain.backend=rpc", "chain.rpc_url=http://127.0.0.1:8545"])
    assert s.arbitrage.count == 0
    assert (s.chain.backend, s.chain.rpc_url) == ("rpc", "http://127.0.0.1:8545")


def test_the_seed_argument_overrides_the_files_seed_and_with_seed_copies():
    s = load_scenario(SCENARIOS / "basic.toml", seed=42)
    assert s.seed == 42
    t = s.with_seed(43)
    assert (t.seed, s.seed) == (43, 42)
    assert dataclasses.replace(t, seed=42) == s
    with pytest.raises(ScenarioError, match="seed"):
        s.with_seed(-1)


def test_specs_are_frozen():
    s = parse()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.steps = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.markets[0].price = 1  # type: ignore[misc]


def test_a_replay_market_starts_at_the_csvs_first_price():
    s = load_scenario(SCENARIOS / "replay.toml")
    first = REPLAY_CSV.read_text().splitlines()[1].split(",")[1]
    assert s.markets[0].price == int(float(first) * 100) * 10**16


def test_a_replay_csv_must_cover_every_step(tmp_path):
    (tmp_path / "p.csv").write_text("timestamp,price\n100,10\n112,11\n136,12\n")
    text = "block_time = 12\n[[markets]]\npath = 'replay'\nreplay_csv = 'p.csv'\n[[traders]]\ntype = 'noise'\n"
    ok = parse_scenario("steps = 3\n" + text, source="r.toml", base_dir=tmp_path)
    assert ok.markets[0].price == 10 * ONE
    with pytest.raises(ScenarioError, match=r"p\.csv covers 3 steps of 12 s, the scenario needs 4") as err:
        parse_scenario("steps = 4\n" + text, source="r.toml", base_dir=tmp_path)
    assert err.value.key == "markets[0].replay_csv"


def test_a_bad_replay_csv_is_reported_with_its_line(tmp_path):
    (tmp_path / "p.csv").write_text("timestamp,price\n100,10\n112,-1\n")
    text = "steps = 1\n[[markets]]\npath = 'replay'\nreplay_csv = 'p.csv'\n[[traders]]\ntype = 'noise'\n"
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, source="r.toml", base_dir=tmp_path)
    assert str(err.value) == "r.toml: markets[0].replay_csv: p.csv: line 3: price '-1' is not a positive decimal"


def test_the_replay_csv_is_what_its_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_replay_csv", SCENARIOS / "data" / "make_replay_csv.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["make_replay_csv.py", str(tmp_path / "out.csv")])
    assert (tmp_path / "out.csv").read_bytes() == REPLAY_CSV.read_bytes()
    assert len(REPLAY_CSV.read_text().splitlines()) == 401


def test_the_oracle_posts_on_its_cadence_except_in_the_stale_window():
    s = parse(MINIMAL + "[oracle]\ncadence = 2\nstale_from = 4\nstale_steps = 3\n")
    assert [step for step in range(10) if s.oracle.posts_at(step)] == [0, 2, 8]


def test_system_params_carries_the_protocol_and_markets():
    s = load_scenario(SCENARIOS / "basic.toml", overrides=["protocol.oracle_max_age=300"])
    params = s.system_params()
    assert (params.decimals, params.oracle_max_age, params.desk_capital) == (6, 300, 2_000_000)
    (market,) = params.markets
    spec = s.markets[0]
    assert (market.market_id, market.price, market.amm_base, market.inventory_cap) == (
        spec.id,
        spec.price,
        spec.amm_base,
        spec.inventory_cap,
    )


def test_time_of_a_step_follows_the_block_time():
    s = parse("start_time = 1000\nblock_time = 6\n" + MINIMAL)
    assert (s.time_of(0), s.time_of(10)) == (1000, 1060)
