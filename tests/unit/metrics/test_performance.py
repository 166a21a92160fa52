"""PnL in bps of the desk's volume, each part's share, Sharpe per step and drawdown, by hand on the sample run."""

import math

import pytest

from defi_int.metrics import summarize
from defi_int.metrics.performance import max_drawdown_units, sharpe_per_step
from defi_int.metrics.pnl import PnlPoint

# The sample's desk traded 1 at 2001 and 0.5 at 2009 with its clients: 3005.5 tokens of notional.
VOLUME = 3005.5


def test_pnl_and_each_part_in_bps_of_the_desks_volume_add_up(sample_result):
    summary = summarize(sample_result)
    assert summary["internal_notional"] == VOLUME
    bps = summary["pnl_bps_of_volume"]
    assert bps["total"] == pytest.approx(-12.797375 / VOLUME * 1e4)
    assert bps["spread"] == pytest.approx(1.5 / VOLUME * 1e4)
    assert sum(v for k, v in bps.items() if k != "total") == pytest.approx(bps["total"])


def test_each_parts_share_is_of_the_gross_pnl(sample_result):
    share = summarize(sample_result)["pnl_share"]
    gross = 1.5 + 15 + 1.202625 + 0.5
    assert share["inventory"] == pytest.approx(-15 / gross)
    assert sum(abs(v) for v in share.values()) == pytest.approx(1)


def test_drawdown_runs_from_the_peak_and_sharpe_is_per_step(sample_result):
    summary = summarize(sample_result)
    assert summary["max_drawdown"] == pytest.approx(1.6003 + 12.797375)  # peak after step 1, trough at step 3
    changes = [0, 1.6003, -8.897675, -5.5, 0, 0]
    mean = sum(changes) / 6
    sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / 5)
    assert summary["sharpe_per_step"] == pytest.approx(mean / sd)


def test_a_flat_or_short_run_has_no_sharpe_and_no_drawdown():
    assert sharpe_per_step([PnlPoint(0, 0, 0, 0, 0), PnlPoint(1, 0, 0, 0, 0)]) is None
    assert sharpe_per_step([PnlPoint(0, 5, 0, 0, 0)]) is None
    assert max_drawdown_units([PnlPoint(0, 5, 0, 0, 0), PnlPoint(1, 9, 0, 0, 0)]) == 0
