"""reference/report-fields.md and reference/execution.md: every field of a run's files.

``report-fields.md`` renders ``defi_int.metrics.fields`` (``fills.csv``, ``timeseries.csv``,
``summary.json``, a study's ``results.*``); ``execution.md`` is
``defi_int.metrics.definitions.definitions_markdown()`` (the execution-quality files, the terms and
the audits), the same text as the report's glossary.
"""

from __future__ import annotations

from defi_int.reference.markdown import banner, table

_WHAT = {
    "fills.csv": "One row per leg a settle booked: an order filled partly from inventory and partly on the AMM "
    "gives two rows (internal, then amm). Sizes and prices are exact decimals; cash with the collateral's "
    "decimals. In Python, `to_frames(result).fills` has the same columns as floats, each amount beside its "
    "exact integer (`price_units` ...).",
    "timeseries.csv": "One row per market and step, at the end of the step. The PnL columns are cumulative.",
    "summary.json": "The run in one JSON object (strict JSON, fixed key order; `null` for a statistic over "
    "nothing, never NaN). An entry with dots names a key inside an object; an entry covers everything under "
    "it. `execution`, `routing`, `segments` and `audits` hold the figures whose fields are defined in "
    "[Execution definitions](execution.md).",
    "results.csv": "A study's table (`results.parquet` and `results.csv` of a sweep, a comparison or an "
    "experiment; `study.results` from Python): one row per run, after the run's identity (`key`, `status`, "
    "`error`, `seed`, every `--set` and grid value as a column of its own) come these figures.",
}


def page() -> str:
    from defi_int.metrics.fields import RUN_FIELDS

    lines = banner(
        "Report fields",
        "`defi_int/metrics/fields.py`",
        "Every column of a run's `fills.csv` and `timeseries.csv`, every key of its `summary.json`, and every "
        "figure of a study's results. The execution-quality files (`orders.csv`, `execution.csv`, "
        "`routing.csv`, `segments.csv` ...) are defined in [Execution definitions](execution.md). A name with "
        "`{h}` is a family: one per markout horizon of the run.",
    )
    for name, fields in RUN_FIELDS.items():
        lines += [f"## `{name}`", "", _WHAT[name], ""]
        lines += [*table(("field", "unit", "definition"), ((f"`{f.name}`", f.unit, f.text) for f in fields)), ""]
    return "\n".join(lines).rstrip() + "\n"


def execution_page() -> str:
    from defi_int.metrics.definitions import definitions_markdown

    return definitions_markdown()
