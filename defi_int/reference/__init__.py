"""The documentation's reference pages, generated from the code that owns each table.

``python -m defi_int.reference`` (``make docs``) writes every page of ``PAGES`` under ``docs/``;
``--check`` writes nothing and lists the pages whose committed text differs (a test runs it, so a
page cannot go stale). Each page is a function of the code alone, with no clock, path or machine
in it: the same code gives the same bytes.

Data flow, one owner per table::

    defi_int.cli._parser()                      ──▶ reference/cli.md
    params.py, sim/scenario.TABLES, bot/config  ──▶ reference/parameters.md
    scripts/scenarios/*.toml (the loader)       ──▶ reference/scenarios.md
    exceptions.py, reasons.Reason, ABIs' errors ──▶ reference/errors.md
    metrics/fields.py                           ──▶ reference/report-fields.md
    metrics/definitions.py                      ──▶ reference/execution.md
    chain/artifacts/*.json (ABI + NatSpec)      ──▶ reference/contracts/<Contract>.md
    tests/gas_snapshot.json, defi_int.gas       ──▶ reference/gas.md
    defi_int.testing (the pytest plugin)        ──▶ reference/fixtures.md
    docs/openapi.json (make openapi)            ──▶ reference/api.md

This package sits at the top with the CLI: it imports whatever owns a table and is imported by
nothing but its test and ``__main__``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from defi_int.reference import api, cli, contracts, errors, fields, fixtures, gas, parameters, scenarios

#: Every generated page: its path under docs/ and the function that writes its text.
PAGES: dict[str, Callable[[], str]] = {
    "reference/cli.md": cli.page,
    "reference/parameters.md": parameters.page,
    "reference/scenarios.md": scenarios.page,
    "reference/errors.md": errors.page,
    "reference/report-fields.md": fields.page,
    "reference/execution.md": fields.execution_page,
    **{f"reference/contracts/{name}.md": contracts.page_for(name) for name in contracts.CONTRACTS},
    "reference/gas.md": gas.page,
    "reference/fixtures.md": fixtures.page,
    "reference/api.md": api.page,
}


def render() -> dict[str, str]:
    """Every page's text by its path under docs/."""
    return {path: make() for path, make in PAGES.items()}


def write(docs: Path) -> list[str]:
    """Writes every page under ``docs``; returns the paths that changed."""
    changed = []
    for path, text in render().items():
        target = docs / path
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed


def stale(docs: Path) -> list[str]:
    """The pages whose committed text under ``docs`` is not what the code gives now."""
    out = []
    for path, text in render().items():
        target = docs / path
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            out.append(path)
    return out
