"""``defi-int report execution``: the execution-quality section rebuilt from a run's files or a journal.

From a run directory: ``runfiles.load_run_dir`` reads what the run wrote (the legs, the time
series, the orders with their receipts, the hedges, the re-matches, ``summary.json``'s
``report_params``) into a ``RunResult``, ``transparency.execution_section`` computes the section,
and its files and ``execution.html`` are written back into the run directory (each file atomically,
everything computed first; the run's other files are left alone), or into ``--out``. Nothing reads
the chain or the scenario: a run directory is enough, and the same files give the same bytes.

From a keeper's journal (``--db``, with ``--out``), the CLI builds the ``RunResult`` with
``bot.report.journal_result`` and hands it here; ``--out`` is written whole, like a report.
"""

from __future__ import annotations

from pathlib import Path

from defi_int.metrics.output import check_directory, write_atomic, write_directory
from defi_int.metrics.records import RunResult
from defi_int.metrics.report import execution_page
from defi_int.metrics.runfiles import load_run_dir
from defi_int.metrics.transparency import SECTION_FILES, Section, execution_section

#: What ``defi-int report execution`` writes.
EXECUTION_FILES: tuple[str, ...] = (*SECTION_FILES, "execution.html")


def write_execution(result: RunResult, out: str | Path, *, in_place: bool = False) -> tuple[Section, dict[str, Path]]:
    """Computes the section of ``result`` and writes ``EXECUTION_FILES`` into ``out``.

    ``in_place``: ``out`` is a run directory; the files are replaced one by one (atomically each)
    and nothing else there is touched. Otherwise ``out`` is written whole (``output.write_directory``:
    a new directory, or an earlier execution report, replaced).
    """
    section = execution_section(result)
    contents = {**section.files, "execution.html": execution_page(result, section)}
    target = Path(out)
    if in_place:
        return section, {name: write_atomic(target / name, data) for name, data in contents.items()}
    return section, write_directory(target, contents)


def rebuild_run_dir(run_dir: str | Path, out: str | Path | None = None) -> tuple[Section, dict[str, Path]]:
    """The section of the run in ``run_dir``, written back there (or into ``out``)."""
    result = load_run_dir(run_dir)
    if out is None or Path(out).resolve() == Path(run_dir).resolve():
        return write_execution(result, run_dir, in_place=True)
    check_directory(Path(out), EXECUTION_FILES)
    return write_execution(result, out)
