"""Metrics of a scenario run: tables, statistics, charts and the HTML report, without a chain.

``RunResult`` (``records``; a run's lists of records stream to disk as it runs, ``spool``) goes in;
``summarize`` gives the JSON summary, ``to_frames`` the run as
pandas DataFrames (``frames``), and ``write_report`` writes ``fills.csv``, ``timeseries.csv``,
``summary.json`` and ``report.html`` (interactive charts and tables, its sections in ``sections``).
"""

from defi_int.metrics.frames import Frames, to_frames
from defi_int.metrics.report import write_report
from defi_int.metrics.summary import summarize

__all__ = ["Frames", "summarize", "to_frames", "write_report"]
