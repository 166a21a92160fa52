"""The desk's depositors in the report: their deposits and claims move the desk's cash but are its
capital, not its PnL (``capital`` desk events, left out of the total); the NAV per share is a
column of ``timeseries.csv`` and a line of the summary."""

import csv
import io
from dataclasses import replace

from defi_int.market.shares import OFFSET
from defi_int.metrics.pnl import breakdown
from defi_int.metrics.records import DeskEvent
from defi_int.metrics.summary import summarize
from defi_int.metrics.timeseries import timeseries_csv

USD = 10**6  # one collateral token


def test_a_depositors_cash_is_capital_and_the_pnl_stays_exact(sample_result):
    before = breakdown(sample_result)
    events = [*sample_result.desk_events, DeskEvent(4, "capital", 0, 0, 50_000 * USD, 0)]
    end = replace(sample_result.end, cash=sample_result.end.cash + 50_000 * USD)
    after = breakdown(replace(sample_result, desk_events=events, end=end))
    assert after == before
    assert after.residual == 0


def test_the_nav_per_share_is_a_column_and_a_summary_line(sample_result):
    total = 2_000_000 * USD * OFFSET
    points = [replace(p, desk_nav=2_000_000 * USD + p.step * USD, total_shares=total) for p in sample_result.timeseries]
    result = replace(sample_result, timeseries=points, depositors={"deposit": 3, "claim": 1})
    rows = list(csv.DictReader(io.StringIO(timeseries_csv(result).decode())))
    assert rows[0]["nav_per_share"] == "1.000000000"
    assert rows[5]["nav_per_share"] == "1.000002500"  # 5 USD more on 2M
    summary = summarize(result)["nav_per_share"]
    assert abs(summary["start"] - 1.0) < 1e-9 and summary["end"] > summary["start"]
    assert summary["depositors"] == {"claim": 1, "deposit": 3}


def test_a_run_without_shares_has_no_nav_per_share(sample_result):
    assert summarize(sample_result)["nav_per_share"]["start"] is None
