"""The run's records stream to disk (``metrics.spool``) and read back as they were appended.

A run whose spool writes a chunk every few records must write the same report, byte for byte, as
a run that keeps every record in memory (``spool.CHUNK = 0``): the chunks round-trip exactly, the
orders keep arrival order although they reach the spool only once final, the metrics read the
lists in one pass, and the big CSVs written piece by piece (``output.csv_file``) are the same.
The checks are on what was written to disk, not on the process's memory.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
from pathlib import Path

import pandas
import pytest

from defi_int import load_scenario, run_scenario, write_report
from defi_int.metrics import frames, output, spool
from defi_int.metrics.records import RECORD_LISTS, RunResult
from defi_int.metrics.report import REPORT_FILES
from defi_int.metrics.spool import Spool, SpooledList

SCENARIOS = Path(__file__).resolve().parents[3] / "scripts" / "scenarios"
TIMED = ("wall_seconds", "orders_per_second", "phase_seconds")  # the run's own timing, not its records


def test_a_spooled_list_reads_back_what_was_appended_chunk_by_chunk() -> None:
    records: SpooledList[tuple[int, int]] = Spool(chunk=4).new_list("numbers")
    expected = [(i, 10**30 + i) for i in range(18)]  # ints past int64, as prices are
    records.extend(expected[:10])
    records += expected[10:]
    assert records.chunks_on_disk == 4  # 16 on disk, 2 in memory
    assert len(records) == 18 and list(records) == expected and records == expected
    assert records[0] == expected[0] and records[5] == expected[5] and records[-1] == expected[-1]
    assert records[3:9] == expected[3:9] and records[::-5] == expected[::-5]
    with pytest.raises(IndexError):
        records[18]
    with pytest.raises(TypeError):
        records[0] = (0, 0)
    assert pickle.loads(pickle.dumps(records)) == expected  # a plain list once sent elsewhere
    records.clear()
    assert not records and len(records) == 0 and list(records) == []


def test_the_spool_lives_in_a_directory_removed_with_its_lists() -> None:
    disk = Spool(chunk=2)
    records = disk.new_list("legs")
    records.extend(range(5))
    directory = disk.directory
    assert (directory / "legs.pkl").stat().st_size > 0
    del records, disk
    assert not directory.exists()


def test_a_forked_worker_dropping_a_spool_leaves_its_directory_to_the_process_that_made_it() -> None:
    disk = Spool(chunk=2)
    records = disk.new_list("legs")
    records.extend(range(5))
    child = os.fork()
    if child == 0:  # the worker: its copy of the spool is collected, its finalizer runs
        del records, disk
        gc.collect()
        os._exit(0)
    os.waitpid(child, 0)
    assert list(records) == [0, 1, 2, 3, 4]


def test_a_csv_written_in_pieces_is_the_csv_made_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [[str(i), f"a,{i}", 'q"' * (i % 3)] for i in range(11)]
    monkeypatch.setattr(output, "CSV_CHUNK_ROWS", 3)
    pieces = list(output.csv_file(("n", "text", "quoted"), lambda: iter(rows)))
    assert len(pieces) == 4
    assert b"".join(pieces) == output.csv_text(("n", "text", "quoted"), rows).encode()


def _run(tmp_path: Path, name: str) -> tuple[RunResult, Path]:
    result = run_scenario(load_scenario(SCENARIOS / "basic.toml", overrides=["steps=30"]))
    write_report(result, tmp_path / name)
    return result, tmp_path / name


def test_a_run_spooled_in_tiny_chunks_writes_the_report_of_a_run_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool, "CHUNK", 0)
    kept, kept_dir = _run(tmp_path, "memory")
    monkeypatch.setattr(spool, "CHUNK", 3)
    monkeypatch.setattr(output, "CSV_CHUNK_ROWS", 4)  # the big CSVs written in pieces of 4 rows
    spooled, spooled_dir = _run(tmp_path, "spooled")
    assert all(isinstance(getattr(kept, name), list) for name in RECORD_LISTS)
    for name in ("fills", "orders", "desk_events", "timeseries", "counterfactuals"):
        records = getattr(spooled, name)
        assert isinstance(records, SpooledList) and records.chunks_on_disk >= 5, name
        assert records == getattr(kept, name), name
    assert [o.digest for o in spooled.orders] == [o.digest for o in kept.orders]  # arrival order
    whole = frames.to_frames(kept).fills
    monkeypatch.setattr(frames, "TABLE_CHUNK", 7)  # the fills' frame built 7 legs at a time
    pandas.testing.assert_frame_equal(frames.to_frames(spooled).fills, whole)
    assert {o.status for o in spooled.orders} >= {"filled", "expired"}
    for name in REPORT_FILES:
        if name == "summary.json":
            a, b = (json.loads((d / name).read_text()) for d in (kept_dir, spooled_dir))
            assert {k: v for k, v in a.items() if k not in TIMED} == {k: v for k, v in b.items() if k not in TIMED}
        elif name != "report.html":  # it shows the wall time
            assert (kept_dir / name).read_bytes() == (spooled_dir / name).read_bytes(), name
