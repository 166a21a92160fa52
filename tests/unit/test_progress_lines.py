"""Progress off a terminal: a line every few units with the rate and an ETA, and one at the end."""

from __future__ import annotations

import io

import pytest

import defi_int.progress as progress_module
from defi_int.progress import duration, progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lines_give_the_count_the_rate_and_an_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    out = io.StringIO()
    with progress("sweep basic", "runs", stream=out, every=4) as update:
        assert update is not None
        update(0, 16)
        for done in range(1, 17):
            clock.now += 10
            update(done, 16)
    lines = out.getvalue().splitlines()
    assert lines[0] == "sweep basic: 4/16 runs (25 %), 0.10 runs/s, ETA 2 min 0 s"
    assert lines[-1] == "sweep basic: 16/16 runs (100 %), 0.10 runs/s, 2 min 40 s in all"
    assert len(lines) == 4


def test_a_quick_run_prints_one_line_and_a_resumed_one_counts_its_rate_from_where_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    out = io.StringIO()
    with progress("basic", "steps", stream=out) as update:
        assert update is not None
        update(100, 240)
        for done in range(101, 241):
            clock.now += 0.01
            update(done, 240)
    assert out.getvalue().splitlines() == ["basic: 240/240 steps (100 %), 100.00 steps/s, 1 s in all"]


def test_no_progress_when_disabled_and_durations_read_plainly() -> None:
    with progress("x", "runs", enabled=False) as update:
        assert update is None
    assert duration(5000) == "1 h 23 min" and duration(59.6) == "1 min 0 s" and duration(3) == "3 s"
