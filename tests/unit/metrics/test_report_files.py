"""write_report: every file, a self-contained interactive HTML page, the directory written whole or not at all."""

import json
import re

import pytest

from defi_int.exceptions import OutputError
from defi_int.metrics import output, summarize, to_frames, write_report
from defi_int.metrics.report import EARLIER_FILES, REPORT_FILES, report_data, report_html
from defi_int.metrics.sections import SECTIONS, ReportData


def test_the_report_writes_every_file(sample_reports):
    paths = sample_reports[0]
    assert list(paths) == list(REPORT_FILES)
    assert sorted(p.name for p in paths["report.html"].parent.iterdir()) == sorted(REPORT_FILES)
    summary = paths["summary.json"].read_text()
    assert summary.endswith("}\n")
    assert json.loads(summary)["pnl_residual_units"] == 0


def test_the_html_holds_interactive_charts_and_a_sortable_fills_table_offline(sample_reports):
    page = sample_reports[0]["report.html"].read_text()
    for chart in ("pnl", "prices", "inventory", "markouts", "deviation", "nav"):
        assert f'id="chart-{chart}"' in page
    assert page.count("Plotly.newPlot") == 7  # the six charts and the PnL waterfall
    assert "<link" not in page and not re.search(r"<(script|img|iframe)[^>]*src=", page)  # nothing fetched
    assert page.count("/** @license") <= 3 and page.count('class="dt"') == 1  # plotly.js once, one data table
    assert "amm_fee_bps" in page and 'class="ok">All invariants hold' in page


def test_the_same_run_gives_the_same_report_bytes(sample_reports):
    first, second = sample_reports
    for name in REPORT_FILES:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_a_failed_invariant_shows_in_red(sample_result):
    sample_result.invariants["vault_solvent"] = False
    page = report_html(report_data(sample_result)).decode()
    assert 'class="bad">An invariant FAILS' in page
    assert "FAILS</td>" in page


def test_text_in_the_html_is_escaped(sample_result):
    sample_result.scenario = "<script>alert(1)</script>"
    sample_result.trader_types[sample_result.fills[0].trader.lower()] = "</script><b>x"
    page = report_html(report_data(sample_result, scenario={"note": "<b>&"})).decode()
    assert "<script>alert" not in page and "</script><b>x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;&amp;" in page


def test_the_overrides_a_run_was_given_are_listed(sample_result):
    page = report_html(report_data(sample_result, overrides=["keeper.fee_bps=3", "steps=5"])).decode()
    assert "<code>keeper.fee_bps=3</code>" in page and "<code>steps=5</code>" in page


def test_a_new_section_is_one_function_and_one_line(sample_result):
    def audit(data: ReportData) -> str:
        return f"<p>{len(data.frames.fills)} legs audited</p>"

    from defi_int.metrics.html import page
    from defi_int.metrics.sections import render

    sections = render(report_data(sample_result), (*SECTIONS, ("Audit", audit)))
    html = page("t", sections).decode()
    assert '<section id="audit"><h2>Audit</h2><p>3 legs audited</p></section>' in html
    assert '<a href="#audit">Audit</a>' in html


def test_an_empty_run_still_produces_a_report_with_nulls(empty_result, tmp_path):
    paths = write_report(empty_result, tmp_path)
    summary = json.loads(paths["summary.json"].read_text())
    assert summary["internalization_rate"] is None
    assert summary["price_deviation_bps"]["mean"] is None
    assert summary["sharpe_per_step"] is None and summary["pnl_bps_of_volume"]["total"] is None
    assert paths["fills.csv"].read_text().count("\n") == 1
    assert paths["timeseries.csv"].read_text().count("\n") == 1
    page = paths["report.html"].read_text()
    assert "no data" in page and "No fills." in page


def test_a_report_directory_of_an_earlier_version_is_replaced_whole(sample_result, tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    for name in (*EARLIER_FILES, "summary.json"):
        (out / name).write_bytes(b"old")
    write_report(sample_result, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)


def test_a_large_run_embeds_a_capped_fills_table_and_says_where_the_rest_is(sample_result):
    from dataclasses import replace

    from defi_int.metrics import sections

    sample_result.fills = [replace(sample_result.fills[0], step=i % 5) for i in range(sections.MAX_FILL_ROWS + 7)]
    body = sections.fills(ReportData(sample_result, summarize(sample_result), to_frames(sample_result)))
    assert f"The first {sections.MAX_FILL_ROWS:,} of {sections.MAX_FILL_ROWS + 7:,} fill legs" in body
    assert "fills.csv" in body


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        output.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_failure_while_computing_writes_nothing(sample_result, tmp_path, monkeypatch):
    import defi_int.metrics.report as report

    def broken_plots(result, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report, "to_frames", broken_plots)
    with pytest.raises(RuntimeError, match="boom"):
        write_report(sample_result, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_summary_json_taken_by_a_directory_stops_the_report_before_anything_is_written(empty_result, tmp_path):
    out = tmp_path / "out"
    (out / "summary.json").mkdir(parents=True)
    with pytest.raises(OutputError, match=r"holds 'summary\.json' but not as a file"):
        write_report(empty_result, out)
    assert [p.name for p in out.iterdir()] == ["summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def _listing(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2 exchange", "moved aside"])
def test_an_earlier_report_is_replaced_whole_and_nothing_is_left_beside_it(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    target = tmp_path / "report"
    output.write_directory(target, {"a.csv": b"old a"})
    paths = output.write_directory(target, {"a.csv": b"new a", "b.csv": b"new b"})
    assert paths == {"a.csv": target / "a.csv", "b.csv": target / "b.csv"}
    assert [(target / n).read_bytes() for n in _listing(target)] == [b"new a", b"new b"]
    assert _listing(tmp_path) == ["report"]


def test_a_failure_while_writing_keeps_the_earlier_report_and_no_temporary_directory(tmp_path, monkeypatch):
    target = tmp_path / "report"
    output.write_directory(target, {"a.csv": b"old a", "b.csv": b"old b"})
    written = []

    def fill_the_disk(path, data):
        if written:
            raise OSError(28, "No space left on device")
        written.append(path)
        path.write_bytes(data)

    monkeypatch.setattr(output, "_write_file", fill_the_disk)
    with pytest.raises(OutputError, match="cannot write the report: No space left on device"):
        output.write_directory(target, {"a.csv": b"new a", "b.csv": b"new b"})
    assert [(target / n).read_bytes() for n in ("a.csv", "b.csv")] == [b"old a", b"old b"]
    assert _listing(tmp_path) == ["report"]


def test_a_directory_holding_anything_else_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "a.csv").write_bytes(b"a report file")
    (target / "notes.md").write_bytes(b"not ours")
    with pytest.raises(OutputError, match=r"holds 'notes\.md', which no report writes"):
        output.write_directory(target, {"a.csv": b"new"})
    assert _listing(target) == ["a.csv", "notes.md"] and (target / "a.csv").read_bytes() == b"a report file"


def test_a_failed_write_removes_the_directories_it_made_for_the_report(tmp_path, monkeypatch):
    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_write_file", full_disk)
    with pytest.raises(OutputError):
        output.write_directory(tmp_path / "x" / "y" / "report", {"a.csv": b"a"})
    assert _listing(tmp_path) == []
