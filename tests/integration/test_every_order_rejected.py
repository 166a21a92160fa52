"""A scenario the protocol cannot play: traders with one token of margin sending orders worth
100,000. Every order is rejected for margin, so the run fails as a whole (exit 1, one line naming
the reason) instead of reporting "0 filled, invariants ok"."""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int.cli import main
from defi_int.exceptions import RunFailed
from defi_int.sim.runner import run_scenario
from defi_int.sim.scenario import parse_scenario

UNDERFUNDED = """
name = "underfunded"
steps = 3
[[markets]]
[[traders]]
type = "noise"
count = 3
rate = 2
margin = 1
size_mean = 50
limit_offset_bps = [50, 80]
expiry_steps = [5, 5]
allow_amm = 0
[arbitrage]
count = 0
"""


def test_a_run_that_rejects_every_order_for_one_reason_raises_run_failed_naming_it() -> None:
    scenario = parse_scenario(UNDERFUNDED, source="underfunded.toml", base_dir=Path())
    with pytest.raises(
        RunFailed, match=r"^no order was filled: all \d+ orders were rejected with insufficient_margin$"
    ) as err:
        run_scenario(scenario)
    assert set(err.value.reasons) == {"insufficient_margin"}


def test_defi_int_run_exits_1_with_one_line_and_writes_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "underfunded.toml"
    scenario.write_text(UNDERFUNDED)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--no-progress"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("defi-int: no order was filled: all ")
    assert not out.exists()
