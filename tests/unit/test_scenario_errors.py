"""Every malformed scenario gives exactly one clear ScenarioError: one line, naming the file (or
--set) and the dotted key, saying what is wrong. Never a traceback from somewhere else."""

import pytest
from bad_inputs import BAD, BASIC, FILES, OVERRIDES, ROOT
from hypothesis import given
from hypothesis import strategies as st

from defi_int.exceptions import ConfigError, ScenarioError
from defi_int.params import KeeperParams, ProtocolParams
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
from defi_int.sim.schema import declared_keys


def test_every_bad_file_has_an_expectation_and_there_are_at_least_fifty_inputs():
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(FILES)
    assert len(FILES) >= 50 and len(OVERRIDES) >= 50


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_malformed_scenario_gives_one_line_naming_the_file_and_key(name):
    key, fragment = FILES[name]
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


@pytest.mark.parametrize(("overrides", "key", "fragment"), OVERRIDES, ids=lambda v: str(v)[:60])
def test_an_invalid_override_is_reported_against_set_and_its_key(overrides, key, fragment):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASIC, overrides=list(overrides))
    err = caught.value
    assert (err.source, err.key) == ("--set", key)
    assert fragment in err.problem
    assert str(err) == f"--set: {key}: {err.problem}"
    assert "\n" not in str(err)


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
        *("1e60", '"1e400"', '"1e999999"', "1e-300", "-1e308", str(2**64), str(2**128), str(2**256 - 1), "9" * 5000),
        *('"../x"', '""', "4294967295", "0.000000000000000001", "[0, 100001]", "[-1000, 10000]"),
    ]
)
_TABLES = {
    "": Scenario,
    "chain.": ChainSpec,
    "protocol.": ProtocolParams,
    "markets[0].": MarketSpec,
    "oracle.": OracleSpec,
    "keeper.": KeeperParams,
    "traders[0].": TraderSpec,
    "traders[1].": TraderSpec,
    "arbitrage.": ArbSpec,
}
#: Every declared key of every table (the fuzz follows the declarations as they grow).
_KEYS = sorted(f"{prefix}{key}" for prefix, cls in _TABLES.items() for key in declared_keys(cls))


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
