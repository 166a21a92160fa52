"""`defi-int run` on bad input: one line on stderr naming the file (or --set) and the key, exit 2, no
traceback, nothing written, nothing deployed. The whole corpus runs in this one process; a guard
fails the test if the run would start, which proves every value is checked before deployment."""

from pathlib import Path

import pytest
from bad_inputs import BAD, BASIC, FILES, OVERRIDES

import defi_int.sim.runner as runner
from defi_int import cli

ESCAPES = [Path("/nonexistent-defi-int-root/x"), Path("/tmp/defi-int-escaped")]


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys):
    """``defi-int run ARGS --no-progress`` in an empty directory three levels down ``tmp_path``;
    returns (exit code, stderr lines, every path left under ``tmp_path``)."""
    workdir = tmp_path / "a" / "b" / "c"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    before = set(tmp_path.rglob("*"))

    def deployed(*args, **kwargs):
        raise AssertionError("the run started: bad input must be refused before anything is deployed")

    monkeypatch.setattr(runner, "run_scenario", deployed)

    def run(*argv: str) -> tuple[int, list[str], set[Path]]:
        code = cli.main(["run", *argv, "--no-progress"])
        captured = capsys.readouterr()
        assert captured.out == ""
        return code, captured.err.splitlines(), set(tmp_path.rglob("*")) - before

    return run


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_malformed_scenario_file_exits_2_with_one_line_and_writes_nothing(run_cli, name):
    key, fragment = FILES[name]
    path = BAD / name
    code, lines, left = run_cli(str(path))
    assert code == 2
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith(f"defi-int: {path}: {key}: " if key else f"defi-int: {path}: ")
    assert fragment in line
    assert left == set()
    assert not any(p.exists() for p in ESCAPES)


@pytest.mark.parametrize(("overrides", "key", "fragment"), OVERRIDES, ids=lambda v: str(v)[:60])
def test_a_bad_override_exits_2_with_one_line_naming_set_and_the_key_and_writes_nothing(
    run_cli, overrides, key, fragment
):
    args = [arg for override in overrides for arg in ("--set", override)]
    code, lines, left = run_cli(str(BASIC), *args)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"defi-int: --set: {key}: ")
    assert fragment in lines[0]
    assert left == set()
    assert not any(p.exists() for p in ESCAPES)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--seed", "-5"], "defi-int: --seed: seed: must be within 0..18446744073709551615, got -5"),
        (["--rpc-url", "localhost:8545"], "defi-int: --rpc-url: must start with http:// or https://"),
        (["--rpc-url", "http://a b"], "defi-int: --rpc-url: must start with http:// or https://"),
    ],
)
def test_a_bad_option_value_exits_2_with_one_line(run_cli, args, fragment):
    code, lines, left = run_cli(str(BASIC), *args)
    assert (code, lines, left) == (2, [lines[0]], set())
    assert lines[0].startswith(fragment)


@pytest.mark.parametrize("args", [["--seed", "x"], ["--bogus"], []])
def test_an_option_argparse_refuses_exits_2_with_one_line(run_cli, capsys, args):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", *args])
    assert caught.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("defi-int run: ") and lines[0].endswith("(see defi-int run -h)")


def test_a_missing_scenario_file_exits_2(run_cli):
    code, lines, left = run_cli("no_such.toml")
    assert (code, lines, left) == (2, ["defi-int: no_such.toml: file not found"], set())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sweep", str(BASIC), "--seeds", "2", "--grid", "keeper.fee_bps=1,x"], "--grid: keeper.fee_bps"),
        (["sweep", str(BASIC), "--seeds", "0", "--grid", "keeper.fee_bps=1"], "--seeds"),
        (["sweep", str(BASIC), "--seeds", "2", "--workers", "0"], "--workers"),
        (["sweep", str(BASIC), "--seeds", "2", "--scheduler", "localhost"], "--scheduler"),
        (["compare", str(BASIC), "--seeds", "2", "--a", "steps=3"], "--a: steps"),
        (["experiment", "avellaneda-stoikov", "--paths", "0"], "--paths"),
    ],
)
def test_a_bad_study_option_exits_2_with_one_line_and_writes_nothing(
    args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "study"
    with pytest.raises(SystemExit) as caught:
        raise SystemExit(cli.main([*args, "--out", str(out)]))
    assert caught.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert not out.exists()
