"""Metrics of a scenario run: tables, statistics, charts and the HTML report, without a chain.

``RunResult`` (``records``) goes in; ``summarize`` gives the JSON summary and ``write_report``
writes ``fills.csv``, ``timeseries.csv``, ``summary.json``, five PNG charts and ``report.html``.
"""

from defi_int.metrics.report import write_report
from defi_int.metrics.summary import summarize

__all__ = ["summarize", "write_report"]
