"""The report's "Execution quality and audits" section: its files, its HTML and its summary keys.

``execution_section(result)`` is the one entry point (``report.write_report`` registers it; ``defi-int
report execution`` calls it on a run directory read back by ``runfiles.load_run_dir`` or on a
keeper's journal): it derives the covered orders once (``execution.covered``), runs the execution
quality (``execution``), routing (``routing``), segment (``segments``) and audit (``audits``)
computations on them, and returns a ``Section``:

- ``files``: the run's order, hedge and re-match records (``runfiles``) and the report's tables
  (``execution.csv``, ``routing.csv``, ``segments.csv``, ``counterfactual_gains.csv``,
  ``violations.csv``), each with its header from ``definitions.COLUMNS``;
- ``summary``: ``report_params``, ``execution``, ``routing``, ``segments`` and ``audits`` for
  ``summary.json``;
- ``html``: the section (audit counts first, then the tables, the violations, the glossary), every
  piece of text escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from defi_int.metrics.audits import Audit, run_audits
from defi_int.metrics.definitions import AUDITS, columns, definitions_html
from defi_int.metrics.execution import cell, covered, execution_rows, execution_summary, table_csv
from defi_int.metrics.output import Chunks
from defi_int.metrics.records import RunResult
from defi_int.metrics.routing import routing_rows, routing_summary
from defi_int.metrics.runfiles import record_file, report_params
from defi_int.metrics.segments import segment_rows, segments_summary

#: The files the section adds to a report directory, in the order they are written.
SECTION_FILES: tuple[str, ...] = (
    "orders.csv",
    "hedges.csv",
    "counterfactuals.csv",
    "execution.csv",
    "routing.csv",
    "segments.csv",
    "counterfactual_gains.csv",
    "violations.csv",
)
#: Of those, the ones ``defi-int report execution`` derives (the others are its input).
DERIVED_FILES: tuple[str, ...] = SECTION_FILES[3:]
#: Violation rows the HTML lists per audit (``violations.csv`` has them all).
HTML_ROWS = 20


@dataclass(frozen=True)
class Section:
    """The section's HTML, its files (name -> bytes, or ``Chunks`` made as they are written) and its
    ``summary.json`` keys."""

    html: str
    files: dict[str, bytes | Chunks]
    summary: dict[str, Any]


def section_title(result: RunResult) -> str:
    """The title of the section's own page (``execution.html``)."""
    return f"execution quality: {result.scenario} (seed {result.seed})"


def execution_section(result: RunResult) -> Section:
    """See the module docstring."""
    orders = covered(result)
    quality = execution_rows(result, orders)
    routing = routing_rows(result)
    segments = segment_rows(result, orders)
    audits, violations, gains = run_audits(result, orders)
    horizons = sorted(set(result.markout_horizons))
    files: dict[str, bytes | Chunks] = {
        **{name: record_file(name, result) for name in ("orders.csv", "hedges.csv", "counterfactuals.csv")},
        "execution.csv": table_csv("execution.csv", quality),
        "routing.csv": table_csv("routing.csv", routing),
        "segments.csv": table_csv("segments.csv", segments, horizons),
        "counterfactual_gains.csv": table_csv("counterfactual_gains.csv", gains),
        "violations.csv": table_csv("violations.csv", violations),
    }
    summary = {
        "report_params": report_params(result),
        "execution": execution_summary(result, orders),
        "routing": routing_summary(result),
        "segments": segments_summary(segments),
        "audits": {name: audit.summary() for name, audit in audits.items()},
    }
    parts = [
        "<h2>Execution quality and audits</h2>",
        _audit_table(audits),
        "<h3>Execution quality (Rule 605 form)</h3>",
        "<p>By market, order type at receipt and notional bucket; spreads in bps of the AMM's mid at receipt, "
        "E/Q against the AMM's displayed price for the order's size (see the definitions).</p>",
        _table("execution.csv", quality),
        "<h3>Routing (Rule 606 form)</h3>",
        _table("routing.csv", routing),
        "<h3>Segments</h3>",
        _table("segments.csv", segments, horizons),
        "<h3>Counterfactual re-match: what the desk's priorities gave each segment</h3>",
        _table("counterfactual_gains.csv", gains),
        "<h3>Violations</h3>",
        _violations(audits),
        definitions_html(),
    ]
    return Section("\n".join(parts), files, summary)


def _audit_table(audits: Mapping[str, Audit]) -> str:
    texts = {f.name: f.text for f in AUDITS}
    rows = []
    for name, audit in audits.items():
        bad = len(audit.rows)
        flag = "ok" if bad == 0 else "bad"
        rows.append(
            f'<tr><th>{html.escape(name)}</th><td class="num">{audit.checked:,}</td>'
            f'<td class="{flag}">{bad:,}</td><td>{html.escape(texts.get(name, ""))}</td></tr>'
        )
    head = "<tr><th>audit</th><th>checked</th><th>violations</th><th>rule</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _table(name: str, rows: Sequence[Mapping[str, Any]], horizons: Sequence[int] = ()) -> str:
    if not rows:
        return "<p>Nothing to show.</p>"
    header = columns(name, horizons)
    head = "".join(f"<th>{html.escape(col)}</th>" for col in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{html.escape(cell(row.get(col), col))}</td>' for col in header) + "</tr>"
        for row in rows
    )
    return f'<div style="overflow-x:auto"><table><tr>{head}</tr>{body}</table></div>'


def _violations(audits: Mapping[str, Audit]) -> str:
    parts = []
    for name, audit in audits.items():
        if not audit.rows:
            continue
        shown = audit.rows[:HTML_ROWS]
        more = len(audit.rows) - len(shown)
        parts.append(f"<h4>{html.escape(name)}: {len(audit.rows):,}</h4>")
        parts.append(_table("violations.csv", shown))
        if more:
            parts.append(f"<p>… and {more:,} more in violations.csv.</p>")
    return "\n".join(parts) or "<p>No violations.</p>"
