"""The run's report directory: ``write_report(result, out_dir)`` turns a ``RunResult`` into files.

Data flow: every output is computed in memory first (``fills.csv`` from ``fills``,
``timeseries.csv`` from ``timeseries``, the execution-quality section's CSVs and its page
``execution.html`` (``transparency.execution_section``: orders, hedges, re-matches, the Rule 605
and 606 tables, segments and audits), ``summary.json`` from ``summary.summarize`` and that
section's keys, and
``report.html`` from the run's frames (``frames.to_frames``) through the sections of
``sections.SECTIONS``: interactive plotly charts and sortable tables in one self-contained page,
``html.page``); only then is the directory written, as a whole: into a temporary directory beside
``out_dir``, renamed into place (``output.write_directory``). The tables with a row per fill, order
or re-match (``fills.csv``, ``orders.csv``, ``counterfactuals.csv``) are made row by row while they
are written (``output.Chunks``), from the run's spooled records. A failure while computing writes
nothing; a failure while writing never leaves a half-written report. An existing ``out_dir``
holding only report files (an earlier report, the PNG charts of earlier versions included) is
replaced whole; one holding anything else is refused with ``OutputError``, before a run by
``check_report_dir``.

The HTML is one self-contained file (plotly's script embedded once, no network), every piece of
text in it escaped; the same run gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from defi_int.metrics import html
from defi_int.metrics.fills import fills_csv_file
from defi_int.metrics.frames import to_frames
from defi_int.metrics.output import Chunks, check_directory, write_directory
from defi_int.metrics.pnl import cumulative_pnl
from defi_int.metrics.records import RunResult
from defi_int.metrics.sections import EXECUTION, EXECUTION_TITLE, ReportData, render
from defi_int.metrics.summary import summarize
from defi_int.metrics.timeseries import timeseries_csv
from defi_int.metrics.transparency import SECTION_FILES, Section, execution_section, section_title

REPORT_FILES: tuple[str, ...] = (
    "fills.csv", "timeseries.csv", *SECTION_FILES, "summary.json", "report.html", "execution.html",
)  # fmt: skip
#: Files earlier versions wrote into a report directory: replaced with it, never a reason to refuse it.
EARLIER_FILES: tuple[str, ...] = ("inventory.png", "prices.png", "pnl.png", "markouts.png", "deviation.png")


def summary_json(summary: Mapping[str, Any]) -> bytes:
    """``summary.json``: strict JSON (no NaN), indented by 2, with a trailing newline."""
    return (json.dumps(summary, indent=2, allow_nan=False) + "\n").encode()


def report_html(data: ReportData) -> bytes:
    """The self-contained ``report.html`` of ``data`` (see ``sections``)."""
    summary = data.summary
    title = f"defi-int run: {summary['scenario']} (seed {summary['seed']})"
    return html.page(title, render(data))


def report_data(
    result: RunResult,
    *,
    scenario: Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
    caps: Mapping[int, int] | None = None,
    soft_limits: Mapping[int, int] | None = None,
) -> ReportData:
    """What the report's sections read, computed once (the execution-quality section's too)."""
    section = execution_section(result)
    summary = {**summarize(result), **section.summary}
    return ReportData(
        result, summary, to_frames(result), scenario, tuple(overrides), caps, soft_limits, {EXECUTION: section}
    )


def execution_page(result: RunResult, section: Section) -> bytes:
    """``execution.html``: the execution-quality section as a page of its own."""
    return html.page(section_title(result), [html.Section(EXECUTION_TITLE, section.html)])


def write_report(
    result: RunResult,
    out_dir: str | Path,
    *,
    scenario: dict[str, Any] | None = None,
    overrides: Sequence[str] = (),
    caps: Mapping[int, int] | None = None,
    soft_limits: Mapping[int, int] | None = None,
) -> dict[str, Path]:
    """Writes the report directory ``out_dir`` (see the module docstring); returns file name -> path.

    ``scenario`` is shown in the HTML as given, ``overrides`` (the ``--set`` values) listed; ``caps``
    and ``soft_limits`` (market -> base units) are drawn on the inventory chart.
    """
    out_dir = Path(out_dir)
    points = cumulative_pnl(result)
    data = report_data(result, scenario=scenario, overrides=overrides, caps=caps, soft_limits=soft_limits)
    section = data.extra[EXECUTION]
    contents: dict[str, bytes | Chunks] = {
        "fills.csv": fills_csv_file(result.fills, result.decimals, result.trader_types),
        "timeseries.csv": timeseries_csv(result, points),
        **section.files,
        "summary.json": summary_json(data.summary),
        "report.html": report_html(data),
        "execution.html": execution_page(result, section),
    }
    return write_directory(out_dir, {name: contents[name] for name in REPORT_FILES}, also=EARLIER_FILES)


def check_report_dir(out_dir: str | Path) -> Path:
    """Raises ``OutputError`` unless a report can be written at ``out_dir``; returns it made absolute."""
    return check_directory(Path(out_dir), (*REPORT_FILES, *EARLIER_FILES))
