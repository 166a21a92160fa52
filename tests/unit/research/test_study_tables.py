"""A study's tables: typed Parquet columns, CSV with empty cells for missing values, written whole."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from defi_int.exceptions import OutputError
from defi_int.research.engine import pending
from defi_int.research.report import check_study_dir, write_tables
from defi_int.research.runs import Ledger, code_version, read_spec

BASIC = Path(__file__).resolve().parents[3] / "scripts" / "scenarios" / "basic.toml"


def test_columns_keep_their_types_and_missing_values_stay_missing(tmp_path: Path) -> None:
    rows = [
        {"cell": 0, "keeper.fee_bps": "2", "status": "ok", "pnl_total": 1.5, "orders_total": 10, "ok": True},
        {"cell": 1, "keeper.fee_bps": "3", "status": "error", "pnl_total": None, "orders_total": None, "ok": None},
        {"cell": 2, "keeper.fee_bps": "4", "status": "ok", "pnl_total": 2, "orders_total": 12, "ok": False},
    ]
    write_tables(tmp_path, {"results": rows})
    table = pq.read_table(tmp_path / "results.parquet")
    types = {field.name: str(field.type) for field in table.schema}
    assert types == {
        "cell": "int64",
        "keeper.fee_bps": "string",
        "status": "string",
        "pnl_total": "double",
        "orders_total": "int64",
        "ok": "bool",
    }
    assert table.column("pnl_total").to_pylist() == [1.5, None, 2.0]
    lines = (tmp_path / "results.csv").read_text().splitlines()
    assert lines[0] == "cell,keeper.fee_bps,status,pnl_total,orders_total,ok"
    assert lines[2] == "1,3,error,,," and lines[3] == "2,4,ok,2,12,false"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "results.parquet"]  # no temporary left


def test_a_study_directory_holding_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "runs.jsonl").write_text("")
    assert check_study_dir(tmp_path) == tmp_path.resolve()
    (tmp_path / "thesis.tex").write_text("")
    with pytest.raises(OutputError, match=r"thesis\.tex"):
        check_study_dir(tmp_path)


def test_only_runs_not_finished_ok_are_pending_once_each(tmp_path: Path) -> None:
    specs = [read_spec(BASIC, ["steps=3"], seed) for seed in (1, 2, 3, 2)]
    ledger = Ledger(tmp_path / "runs.jsonl")
    code = code_version()
    ledger.append({"key": specs[0].key(code), "status": "ok"})
    ledger.append({"key": specs[1].key(code), "status": "error", "error": "x"})
    assert [s.seed for s in pending(specs, ledger, code)] == [2, 3]
