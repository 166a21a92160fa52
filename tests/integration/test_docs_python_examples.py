"""The notebook examples of the quant's guide run as written and print what they say: a run as DataFrames
(docs/quant/python.md), and a sweep and a comparison from Python (docs/quant/studies.md)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _block(page: str, after: str) -> str:
    text = (ROOT / "docs" / page).read_text()
    found = re.search(r"```python\n(.*?)```", text.split(after, 1)[1], re.S)
    assert found is not None
    return found.group(1)


def _run(code: str, where: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (where / "scripts").symlink_to(ROOT / "scripts")
    monkeypatch.chdir(where)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs", "exec"), {})
    return printed.getvalue()


def test_the_run_example_gives_frames_and_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = _run(_block("quant/python.md", "## A run as DataFrames"), tmp_path, monkeypatch)
    lines = printed.splitlines()
    assert 0 < float(lines[0]) <= 1
    assert lines[1] == "venue" and lines[2].startswith("amm ") and lines[3].startswith("internal ")
    assert (tmp_path / "out" / "notebook" / "report.html").is_file()


def test_the_studies_example_returns_the_cells_and_the_paired_differences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _run(_block("quant/studies.md", "## From Python"), tmp_path, monkeypatch)
    assert "keeper.half_spread_bps" in printed and "ci_high" in printed
    assert printed.splitlines()[-1].startswith("True ")
    assert (tmp_path / "out" / "toxicity-small" / "report.html").is_file()
