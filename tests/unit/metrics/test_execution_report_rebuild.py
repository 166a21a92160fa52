"""The execution section in a run's report, and ``defi-int report execution`` rebuilding it from the files."""

from __future__ import annotations

import json
import shutil

import pytest

from defi_int.cli import main
from defi_int.metrics.definitions import COLUMNS, columns, definitions_markdown
from defi_int.metrics.execution import execution_rows
from defi_int.metrics.rebuild import EXECUTION_FILES, rebuild_run_dir
from defi_int.metrics.routing import routing_rows
from defi_int.metrics.segments import segment_rows
from defi_int.metrics.transparency import SECTION_FILES, execution_section


def test_the_run_directory_holds_the_section_s_files_and_the_report_its_html(flow_report):
    for name in EXECUTION_FILES:
        assert (flow_report / name).is_file(), name
    html = (flow_report / "report.html").read_text()
    assert "<h2>Execution quality and audits</h2>" in html and "Definitions" in html
    assert (flow_report / "orders.csv").read_text().count("\n") == 8  # a header and 7 orders
    summary = json.loads((flow_report / "summary.json").read_text())
    assert summary["audits"]["best_execution"]["violations"] == 0
    assert summary["audits"]["trading_ahead"]["violations"] == 1
    assert summary["report_params"]["trading_ahead_blocks"] == 10
    assert summary["execution"]["orders_without_receipt"] == 1
    assert set(summary["segments"]) == {"trader_type", "size_bucket", "venue"}


def test_rebuilding_from_the_run_directory_alone_gives_the_same_bytes(flow_report, tmp_path):
    _, paths = rebuild_run_dir(flow_report, tmp_path / "again")
    for name in EXECUTION_FILES:
        assert paths[name].read_bytes() == (flow_report / name).read_bytes(), name


def test_the_command_rebuilds_in_place_and_changes_nothing(flow_report, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(flow_report, copy)
    assert main(["report", "execution", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "best_execution 0, trading_ahead 1, equal_treatment 0, counterfactual 1" in out
    for path in flow_report.iterdir():
        assert (copy / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "execution"], "give a run directory or --db JOURNAL"),
        (["report", "execution", "RUN", "--db", "x.sqlite"], "give a run directory or --db JOURNAL"),
        (["report", "execution", "--db", "x.sqlite"], "--db needs --out DIR"),
        (["report", "execution", "MISSING"], "is not a run's report directory"),
        (["report", "execution", "--db", "MISSING.sqlite", "--out", "OUT"], "no such journal file"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "RUN").mkdir()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RUN"]  # nothing written


def test_a_run_directory_missing_a_file_is_refused_naming_it(flow_report, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(flow_report, copy)
    (copy / "hedges.csv").unlink()
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    assert main(["report", "execution", str(copy)]) == 2
    assert "hedges.csv: is missing" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before


def test_scored_orders_add_a_toxicity_decile_segment(flow_result):
    for rank, order in enumerate(flow_result.orders):
        order.p_toxic = rank / 10
    section = execution_section(flow_result)
    deciles = section.summary["segments"]["toxicity_decile"]
    assert list(deciles) == ["d1", "d2", "d5", "d6"]  # orders 1, 2, 4, 5 (ranks 0, 1, 3, 4 of 7) filled
    assert sum(d["legs"] for d in deciles.values()) == len(flow_result.fills)


def test_every_table_s_fields_are_defined_once_and_the_docs_are_current(flow_result):
    from pathlib import Path

    for name, rows in (
        ("execution.csv", execution_rows(flow_result)),
        ("routing.csv", routing_rows(flow_result)),
        ("segments.csv", segment_rows(flow_result)),
    ):
        assert set(rows[0]) == set(columns(name, flow_result.markout_horizons)), name
    assert set(SECTION_FILES) <= set(COLUMNS)
    for fields in COLUMNS.values():
        names = [f.name for f in fields]
        assert len(names) == len(set(names))
    docs = Path(__file__).parents[3] / "docs" / "execution.md"
    assert docs.read_text() == definitions_markdown(), "run: make docs"
