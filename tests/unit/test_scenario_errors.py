"""Every malformed scenario gives exactly one clear ScenarioError: one line, naming the file (or
--set) and the dotted key, saying what is wrong. Never a traceback from somewhere else."""

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from defi_int.exceptions import ConfigError, ScenarioError
from defi_int.sim.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad_scenarios"
BASIC = ROOT / "scripts" / "scenarios" / "basic.toml"

# file → (key, fragment of the problem)
EXPECTED: dict[str, tuple[str | None, str]] = {
    "unknown_top_level_key.toml": ("seeed", "unknown key 'seeed' (did you mean 'seed'?)"),
    "typo_in_nested_key.toml": ("markets[0].volatilty", "did you mean 'volatility'?"),
    "string_for_steps.toml": ("steps", "expected an integer, got string '12'"),
    "bool_for_int.toml": ("traders[0].count", "expected an integer, got boolean true"),
    "negative_volatility.toml": ("markets[0].volatility", "must be within 0..10, got -0.5"),
    "fee_out_of_range.toml": ("keeper.fee_bps", "must be within 0..1000 bps, got 20000"),
    "missing_steps.toml": ("steps", "required key is missing"),
    "invalid_toml.toml": (None, "invalid TOML: Invalid value (at line 3, column 13)"),
    "maintenance_above_initial.toml": ("protocol.maintenance_margin_bps", "must be <= initial_margin_bps (500)"),
    "replay_without_csv.toml": ("markets[0].replay_csv", "required for a replay path"),
    "replay_csv_missing.toml": ("markets[0].replay_csv", "file not found: 'data/no_such_file.csv'"),
    "replay_with_price.toml": ("markets[0].price", "the CSV gives the prices"),
    "informed_key_on_noise_trader.toml": ("traders[0].horizon", "only for informed traders"),
    "duplicate_market_ids.toml": ("markets[1].id", "duplicate market id 0 (also markets[0])"),
    "horizons_not_increasing.toml": ("keeper.markout_horizons", "must be strictly increasing, got [1, 20, 5]"),
    "jump_without_intensity.toml": ("markets[0].jump_intensity", "required for a jump path"),
    "trader_unknown_market.toml": ("traders[0].markets", "market 3 is not a listed market (listed: 0)"),
    "hedge_to_above_soft_limit.toml": ("keeper.hedge_to", "must be < soft_limit (5), got 10"),
    "rpc_without_url.toml": ("chain.rpc_url", "required when backend is 'rpc'"),
    "markets_as_table.toml": ("markets", "expected an array of tables ([[markets]]), got table"),
    "price_not_a_number.toml": ("markets[0].price", "expected a decimal number, got string 'two thousand'"),
}


def test_every_bad_file_has_an_expectation_and_there_are_at_least_ten():
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_malformed_scenario_gives_one_line_naming_the_file_and_key(name):
    key, fragment = EXPECTED[name]
    path = BAD / name
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    err = caught.value
    message = str(err)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert (err.source, err.key) == (str(path), key)
    if key is not None:
        assert message.startswith(f"{path}: {key}: ")
    assert fragment in err.problem
    assert message.endswith(err.problem)


def test_a_scenario_error_is_a_config_error():
    with pytest.raises(ConfigError):
        load_scenario(BAD / "missing_steps.toml")


def test_a_missing_file_is_reported_as_such(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.toml: file not found$"):
        load_scenario(tmp_path / "nope.toml")


def test_a_directory_or_binary_file_is_unreadable(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path)
    (tmp_path / "x.toml").write_bytes(b"\xff\xfe\x00steps")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(tmp_path / "x.toml")


def test_an_unknown_key_far_from_any_known_one_lists_the_known_keys():
    with pytest.raises(ScenarioError, match=r"unknown key 'zzz' \(known keys: backend, rpc_url\)"):
        load_scenario(BASIC, overrides=["chain.zzz=1"])


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        ("keeper.half_spred_bps=8", "keeper.half_spred_bps", "did you mean 'half_spread_bps'?"),
        ("markets[0].volatility=-1", "markets[0].volatility", "must be within 0..10, got -1"),
        ("traders[1].count=many", "traders[1].count", "expected an integer, got string 'many'"),
        ("steps=0", "steps", "must be within 1..1000000 steps, got 0"),
        ("markets[3].volatility=1", "markets[3]", "no such entry: the scenario has 1"),
        ("oracle[0].cadence=1", "oracle[0]", "oracle is not an array"),
        ("steps.x=1", "steps.x", "steps is not a table"),
        ("extra[0].x=1", "extra", "no such array"),
        ("markets=3", "markets", "expected an array of tables"),
        ("keeper.toxicity_routing=1", "keeper.toxicity_routing", "expected a boolean"),
        ("protocol.maintenance_margin_bps=2000", "protocol.maintenance_margin_bps", "must be <="),
        ("keeper.soft_limit=1", "keeper.hedge_to", "must be < soft_limit (1), got "),
        ("chain.backend=rpc", "chain.rpc_url", "required when backend is 'rpc'"),
        ("chain.rpc_url=ws://x", "chain.rpc_url", "only for the rpc backend"),
        ("markets[0].path=replay", "markets[0].price", "the CSV gives the prices"),
        ("markets[0].price=1e-19", "markets[0].price", "has more than 18 decimals"),
    ],
)
def test_an_invalid_override_is_reported_against_set_and_its_key(override, key, fragment):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASIC, overrides=[override])
    err = caught.value
    assert (err.source, err.key) == ("--set", key)
    assert fragment in err.problem
    assert str(err) == f"--set: {key}: {err.problem}"


@pytest.mark.parametrize(("override", "fragment"), [("steps", "expected key=value"), ("=3", "not a key path")])
def test_a_malformed_override_is_refused(override, fragment):
    with pytest.raises(ScenarioError, match=fragment) as caught:
        load_scenario(BASIC, overrides=[override])
    assert caught.value.source == "--set"


def test_a_bad_file_is_still_blamed_when_an_override_touches_another_key():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BAD / "negative_volatility.toml", overrides=["steps=20"])
    assert caught.value.source == str(BAD / "negative_volatility.toml")


def test_a_negative_seed_argument_is_blamed_on_the_seed_option():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASIC, seed=-1)
    assert (caught.value.source, caught.value.key) == ("--seed", "seed")


_LITERALS = st.sampled_from(
    [
        *("true", "-1", "0", "1", "7", "1e400", "nan", "-inf", "[1, 2]", "[]", "[1, 20, 5]", "{ a = 1 }", "{}", "1.5"),
        *("-0.5", "2000", "99999999999999999999", '"x"', '"2000.5"', "[[1]]", "[true, 1]", "1979-05-27", "0.1"),
    ]
)
_RAW = tomllib.loads(BASIC.read_text())
_KEYS = [
    *_RAW,
    *[f"{table}.{k}" for table in ("protocol", "keeper", "arbitrage", "oracle", "chain") for k in _RAW.get(table, {})],
    *[f"markets[0].{k}" for k in _RAW["markets"][0]],
    *[f"traders[{i}].{k}" for i in (0, 1) for k in _RAW["traders"][i]],
    "keeper.volatility",
    "keeper.risk_limit",
    "chain.backend",
    "chain.rpc_url",
    "oracle.stale_from",
    "oracle.stale_steps",
    "markets[0].id",
    "markets[0].replay_csv",
    "markets[0].jump_intensity",
    "traders[0].markets",
    "traders[0].name",
]


@given(key=st.sampled_from(_KEYS), value=st.one_of(_LITERALS, st.text(max_size=10)))
def test_any_value_at_any_key_either_loads_or_raises_one_scenario_error(key, value):
    try:
        load_scenario(BASIC, overrides=[f"{key}={value}"])
    except ScenarioError as err:
        assert "\n" not in str(err)
        assert err.source in ("--set", str(BASIC))


@pytest.mark.parametrize(
    ("text", "overrides", "key"),
    [
        ('steps = 5\n"a\\nb" = 1\n[[markets]]\n[[traders]]\ntype = "noise"\n', (), '"a\\nb"'),
        ('steps = 5\n[[markets]]\n[[traders]]\ntype = "noi\\nse"\n', (), "traders[0].type"),
        ('steps = 5\n[[markets]]\nsymbol = "x"\n[[markets]]\nsymbol = "x"\n[[traders]]\ntype = "noise"\n', (), None),
        ("steps = 5\n[[markets]]\n[[traders]]\ntype = 'noise'\n", ("a\nb=1",), None),
    ],
)
def test_control_characters_in_keys_or_values_never_break_the_message_onto_two_lines(text, overrides, key):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="s.toml", base_dir=ROOT, overrides=overrides)
    assert "\n" not in str(caught.value)
    if key is not None:
        assert caught.value.key == key
