"""`defi-int run --out`: a directory the report cannot go to is refused before the run, in one
line with exit 2, and nothing is written or deployed; an earlier report passes the check."""

import os

import pytest
from bad_inputs import BASIC

import defi_int.sim.runner as runner
from defi_int import cli
from defi_int.metrics.report import REPORT_FILES


class Deployed(Exception):
    pass


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys):
    """``defi-int run basic.toml --out OUT`` with a guard in place of the run: (exit code, stderr lines)."""

    def deployed(*args, **kwargs):
        raise Deployed

    monkeypatch.setattr(runner, "run_scenario", deployed)
    monkeypatch.chdir(tmp_path)

    def run(out: object) -> tuple[int, list[str]]:
        code = cli.main(["run", str(BASIC), "--no-progress", "--out", str(out)])
        return code, capsys.readouterr().err.splitlines()

    return run


def test_an_existing_file_is_refused(run_cli, tmp_path):
    target = tmp_path / "report"
    target.write_text("mine")
    assert run_cli(target) == (2, [f"defi-int: --out {target}: exists and is not a directory"])
    assert target.read_text() == "mine"


def test_a_path_under_a_file_is_refused(run_cli, tmp_path):
    (tmp_path / "file").write_text("mine")
    target = tmp_path / "file" / "deeper" / "report"
    assert run_cli(target) == (2, [f"defi-int: --out {target}: {tmp_path / 'file'} is a file, not a directory"])


def test_a_place_that_cannot_be_written_is_refused_and_left_as_it_was(run_cli, tmp_path):
    if os.geteuid() == 0:  # root writes through permission bits: use a file system that takes no directories
        parent, target = "/proc", "/proc/defi-int-report"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        parent, target = str(locked), str(locked / "report")
    code, lines = run_cli(target)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"defi-int: --out {target}: cannot write in {parent}: ")
    assert not os.path.exists(target)


def test_a_directory_holding_other_files_is_refused_and_left_alone(run_cli, tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "summary.json").write_text("{}")
    (target / "todo.txt").write_text("mine")
    code, lines = run_cli(target)
    assert (code, len(lines)) == (2, 1)
    assert lines[0] == (
        f"defi-int: --out {target}: holds 'todo.txt', which no report writes; choose another --out or remove it"
    )
    assert sorted(p.name for p in target.iterdir()) == ["summary.json", "todo.txt"]


def test_a_report_file_name_taken_by_a_directory_is_refused_before_the_run(run_cli, tmp_path):
    target = tmp_path / "report"
    (target / "summary.json").mkdir(parents=True)
    code, lines = run_cli(target)
    assert (code, len(lines)) == (2, 1)
    assert "holds 'summary.json' but not as a file" in lines[0]
    assert [p.name for p in target.iterdir()] == ["summary.json"]


@pytest.mark.parametrize("state", ["absent", "empty", "an earlier report", "under missing directories"])
def test_a_new_empty_or_earlier_report_directory_passes_and_the_run_starts(run_cli, tmp_path, state):
    target = tmp_path / "report"
    if state == "empty":
        target.mkdir()
    elif state == "an earlier report":
        target.mkdir()
        for name in REPORT_FILES:
            (target / name).write_bytes(b"old")
    elif state == "under missing directories":
        target = tmp_path / "x" / "y" / "report"
    with pytest.raises(Deployed):
        run_cli(target)
    assert not (tmp_path / "x").exists()  # the check creates nothing
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
