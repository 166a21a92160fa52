"""The ledger of finished runs: durable, resumable, never half a run."""

from __future__ import annotations

from pathlib import Path

from defi_int.research.runs import Ledger, read_spec

BASIC = Path(__file__).resolve().parents[3] / "scripts" / "scenarios" / "basic.toml"


def test_a_reopened_ledger_knows_every_finished_run(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    ledger.append({"key": "a", "status": "ok", "pnl_total": 1.5})
    ledger.append({"key": "b", "status": "error", "error": "RunFailed: x"})
    again = Ledger(tmp_path / "runs.jsonl")
    assert again.done("a") and not again.done("b")  # failed runs are tried again
    assert [r["key"] for r in again.select(["b", "a", "c"])] == ["b", "a"]


def test_a_line_cut_short_by_a_crash_is_dropped_and_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text('{"key": "a", "status": "ok"}\n{"key": "b", "sta')
    ledger = Ledger(path)
    assert list(ledger.rows) == ["a"]
    assert path.read_text() == '{"key": "a", "status": "ok"}\n'
    ledger.append({"key": "b", "status": "ok"})
    assert Ledger(path).done("b")


def test_a_run_key_changes_with_the_scenario_the_overrides_the_seed_and_the_code() -> None:
    spec = read_spec(BASIC, ["steps=5"], 1)
    keys = {
        spec.key("code1"),
        spec.key("code2"),
        read_spec(BASIC, ["steps=6"], 1).key("code1"),
        read_spec(BASIC, ["steps=5"], 2).key("code1"),
    }
    assert len(keys) == 4 and spec.key("code1") == read_spec(BASIC, ["steps=5"], 1).key("code1")
