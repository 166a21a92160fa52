"""`defi-int params` lists every key a scenario takes, read from the declarations: a key added to a
declared class shows up with its default, range, unit and on-chain type, with nothing else to edit."""

from defi_int import cli
from defi_int.sim.scenario import TABLES
from defi_int.sim.schema import declared_keys


def test_every_declared_key_is_listed_once_with_its_default_range_unit_and_type(capsys):
    assert cli.main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["key", "default", "range", "unit", "on", "chain"]
    keys = [line.split()[0] for line in lines[1:]]
    assert sorted(keys) == sorted(prefix + key for prefix, cls in TABLES for key in declared_keys(cls))
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["protocol.oracle_max_age"].split()[1:5] == ["3600", "1..31536000", "seconds", "uint256"]
    assert rows["markets[].funding_period"].split()[1:] == [
        "0",
        "0",
        "(off)",
        "or",
        "3600..2592000",
        "seconds",
        "uint32",
    ]
    assert rows["markets[].amm_base"].split()[1:] == [
        "1000",
        ">",
        "0",
        "and",
        "<=",
        "5.19229e15",
        "base",
        "units",
        "uint112",
    ]
    assert rows["steps"].split()[1] == "required" and rows["markets[].id"].split()[1:3] == ["0", "(its"]
    assert all(line == line.rstrip() for line in lines)
