"""The README's notebook examples run as written: a run as DataFrames, and a sweep and a comparison from Python."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _block(after: str) -> str:
    found = re.search(r"```python\n(.*?)```", README.split(after, 1)[1], re.S)
    assert found is not None
    return found.group(1)


def _run(code: str, where: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (where / "scripts").symlink_to(ROOT / "scripts")
    monkeypatch.chdir(where)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    return printed.getvalue()


def test_the_run_example_gives_frames_and_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = _run(_block("From Python (a notebook)"), tmp_path, monkeypatch)
    lines = printed.splitlines()
    assert 0 < float(lines[0]) <= 1
    assert lines[1] == "venue" and lines[2].startswith("amm ") and lines[3].startswith("internal ")
    assert (tmp_path / "out" / "notebook" / "report.html").is_file()


def test_the_studies_example_returns_the_cells_and_the_paired_differences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _run(_block("**From Python.**"), tmp_path, monkeypatch)
    assert "keeper.half_spread_bps" in printed and "ci_high" in printed
    assert printed.splitlines()[-1].startswith("True ")
    assert (tmp_path / "out" / "toxicity-small" / "report.html").is_file()
