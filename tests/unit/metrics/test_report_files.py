"""write_report: every file, a self-contained HTML page, the directory written whole or not at all."""

import json

import pytest

from defi_int.exceptions import OutputError
from defi_int.metrics import output, summarize, write_report
from defi_int.metrics.plots import PLOT_FILES, inventory_figure, png_bytes
from defi_int.metrics.report import REPORT_FILES, report_html

PNG = b"\x89PNG\r\n\x1a\n"
FAKE_IMAGES = dict.fromkeys(PLOT_FILES, PNG)


def test_the_report_writes_every_file(sample_reports):
    paths = sample_reports[0]
    assert list(paths) == list(REPORT_FILES)
    assert sorted(p.name for p in paths["report.html"].parent.iterdir()) == sorted(REPORT_FILES)
    for name in PLOT_FILES:
        assert paths[name].read_bytes().startswith(PNG)
    summary = paths["summary.json"].read_text()
    assert summary.endswith("}\n")
    assert json.loads(summary)["pnl_residual_units"] == 0


def test_the_html_embeds_the_charts_and_shows_the_scenario(sample_reports):
    html = sample_reports[0]["report.html"].read_text()
    assert html.count("data:image/png;base64,") == len(PLOT_FILES) == 6
    assert "amm_fee_bps" in html
    assert 'class="ok">OK' in html
    assert "<link" not in html and "<script" not in html


def test_the_same_run_gives_the_same_report_bytes(sample_reports):
    first, second = sample_reports
    for name in REPORT_FILES:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_a_failed_invariant_shows_in_red(sample_result):
    sample_result.invariants["vault_solvent"] = False
    html = report_html(summarize(sample_result), FAKE_IMAGES, None).decode()
    assert 'class="bad">NOT OK' in html
    assert 'class="bad">FAILS' in html


def test_text_in_the_html_is_escaped(sample_result):
    sample_result.scenario = "<script>alert(1)</script>"
    html = report_html(summarize(sample_result), FAKE_IMAGES, {"note": "<b>&"}).decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;&amp;" in html


def test_an_empty_run_still_produces_a_report_with_nulls(empty_result, tmp_path):
    paths = write_report(empty_result, tmp_path)
    summary = json.loads(paths["summary.json"].read_text())
    assert summary["internalization_rate"] is None
    assert summary["price_deviation_bps"]["mean"] is None
    assert paths["fills.csv"].read_text().count("\n") == 1
    assert paths["timeseries.csv"].read_text().count("\n") == 1
    assert paths["report.html"].read_text().count("data:image/png;base64,") == len(PLOT_FILES)
    assert all(paths[name].read_bytes().startswith(PNG) for name in PLOT_FILES)


def test_inventory_limits_are_drawn_when_given(sample_result):
    plain = inventory_figure(sample_result)
    limited = inventory_figure(sample_result, caps={0: 2 * 10**18}, soft_limits={0: 10**18})
    assert len(limited.axes[0].lines) == len(plain.axes[0].lines) + 4
    assert png_bytes(limited).startswith(PNG)


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

    monkeypatch.setattr(report, "render_plots", broken_plots)
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
