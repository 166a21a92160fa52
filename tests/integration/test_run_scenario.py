"""``run_scenario`` and ``defi-int run`` end to end on the embedded chain.

The shipped ``basic.toml`` runs once for the module (the demo the README promises); shorter runs
check reproducibility and the report files. Rows of ``fills.csv`` are checked as a user would
read them: no fill breaks its limit, and no internal fill is worse than the AMM's quote.
"""

from __future__ import annotations

import csv
import gc
import json
from decimal import Decimal
from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario, summarize, write_report
from defi_int.cli import main
from defi_int.metrics.records import RunResult
from defi_int.metrics.report import REPORT_FILES

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scripts" / "scenarios"


@pytest.fixture(scope="module")
def basic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``basic`` writes its report."""
    return tmp_path_factory.mktemp("basic")


@pytest.fixture(scope="module")
def basic(basic_dir: Path) -> tuple[RunResult, dict, list[dict[str, str]]]:
    result = run_scenario(load_scenario(SCENARIOS / "basic.toml"))
    out = basic_dir
    write_report(result, out)
    with (out / "fills.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return result, json.loads((out / "summary.json").read_text()), rows


def test_basic_uses_both_venues_and_internalizes_part_of_the_flow(basic) -> None:
    _, summary, rows = basic
    assert {row["venue"] for row in rows} == {"internal", "amm"}
    assert 0 < summary["internalization_rate"] < 1


def test_basic_ends_with_the_ledger_invariants_holding(basic) -> None:
    result, summary, _ = basic
    assert result.invariants and all(result.invariants.values())
    assert summary["invariants_ok"] is True
    assert summary["pnl_residual_units"] == 0


def test_no_fill_in_basic_breaks_its_limit(basic) -> None:
    _, _, rows = basic
    for row in rows:
        price, limit = Decimal(row["price"]), Decimal(row["limit_price"])
        assert price <= limit if row["side"] == "buy" else price >= limit, row


def test_no_internal_fill_in_basic_is_worse_than_the_amm_for_the_same_size(basic) -> None:
    _, _, rows = basic
    internal = [row for row in rows if row["venue"] == "internal"]
    assert internal
    for row in internal:
        price, amm = Decimal(row["price"]), Decimal(row["amm_quote_price"])
        assert price <= amm if row["side"] == "buy" else price >= amm, row


def test_the_desk_earns_spread_and_fees_and_fills_most_orders_in_basic(basic) -> None:
    _, summary, _ = basic
    assert summary["pnl_breakdown"]["spread"] > 0
    assert summary["pnl_breakdown"]["fees"] > 0
    assert summary["orders_filled"] > 0.5 * summary["orders_total"]


def test_the_same_seed_gives_a_byte_identical_fills_csv(tmp_path: Path) -> None:
    args = ["run", str(SCENARIOS / "basic.toml"), "--set", "steps=25", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    first = (tmp_path / "a" / "fills.csv").read_bytes()
    assert first.count(b"\n") > 5
    assert first == (tmp_path / "b" / "fills.csv").read_bytes()
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() == (tmp_path / "b" / "timeseries.csv").read_bytes()
    assert main([*args, "--seed", "2", "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "fills.csv").read_bytes() != first


def test_run_writes_the_whole_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert (
        main(["run", str(SCENARIOS / "stress_jumps.toml"), "--set", "steps=15", "--no-progress", "--out", str(out)])
        == 0
    )
    names = {p.name for p in out.iterdir()}
    assert names == set(REPORT_FILES)
    assert {"fills.csv", "timeseries.csv", "orders.csv", "execution.csv", "summary.json", "report.html"} <= names
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "orders_total",
        "orders_filled",
        "orders_rejected",
        "internal_volume",
        "amm_volume",
        "internalization_rate",
        "inventory_final",
        "pnl_total",
        "pnl_breakdown",
        "price_deviation_bps",
        "price_improvement_bps",
        "markouts_bps",
        "gas_per_fill",
        "liquidations",
        "wall_seconds",
        "orders_per_second",
        "seed",
        "backend",
        "contracts",
        "invariants_ok",
    ):
        assert key in summary
    assert set(summary["pnl_breakdown"]) == {"spread", "inventory", "fees", "hedging", "funding", "liquidations"}
    assert summary["pnl_residual_units"] == 0
    assert set(summary["liquidations"]) >= {"count", "by_venue", "penalties", "bad_debt", "insurance_fund"}
    assert summary["backend"] == "revm" and summary["seed"] == 3
    assert "report written to" in capsys.readouterr().out


def test_the_summary_of_a_result_is_strict_json(basic) -> None:
    result, _, _ = basic
    json.dumps(summarize(result), allow_nan=False)


def test_a_desk_pricing_another_fill_decay_than_its_traders_is_warned_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(SCENARIOS / "avellaneda_stoikov.toml"), "--set", "traders[0].decay=2", "--set", "steps=3"]
    assert main([*args, "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warned) == 1 and warned[0].startswith("defi-int: warning: ")
    assert "keeper.fill_decay = 1.5 but traders[0].decay = 2 (market_orders)" in warned[0]
    assert "<code>traders[0].decay=2</code>" in (tmp_path / "r" / "report.html").read_text()


def test_basic_s_execution_report_has_no_best_execution_violation_and_a_row_for_every_order(basic, basic_dir) -> None:
    result, summary, rows = basic
    audits = summary["audits"]
    assert audits["best_execution"]["violations"] == 0
    assert audits["best_execution"]["checked"] == sum(1 for row in rows if row["venue"] == "internal")
    assert audits["counterfactual"]["checked"] == len(result.counterfactuals) > 0
    with (basic_dir / "orders.csv").open() as fh:
        assert sum(1 for _ in fh) == summary["orders_total"] + 1
    with (basic_dir / "hedges.csv").open() as fh:
        hedges = list(csv.DictReader(fh))
    assert len(hedges) == summary["hedge_transactions"] > 0
    assert all(int(h["time"]) > 0 for h in hedges)


def test_basic_s_execution_cells_match_a_recomputation_from_its_csvs(basic, basic_dir) -> None:
    from execution_recompute import check, groups, recompute
    from execution_recompute import rows as read

    samples = read(basic_dir / "timeseries.csv")
    report = {(r["market"], r["order_type"], r["size_bucket"]): r for r in read(basic_dir / "execution.csv")}
    checked = 0
    for key, members in groups(basic_dir).items():
        if any(fs for _, fs in members) and all(o["amm_price_at_receipt"] for o, _ in members):
            check(report[key], recompute(members, samples))
            checked += 1
    assert checked >= 3


def test_basic_s_execution_report_rebuilds_from_its_directory_byte_for_byte(basic, basic_dir, tmp_path) -> None:
    from defi_int.metrics.rebuild import EXECUTION_FILES

    assert main(["report", "execution", str(basic_dir), "--out", str(tmp_path / "again")]) == 0
    for name in EXECUTION_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (basic_dir / name).read_bytes(), name


def test_the_steps_run_with_the_heap_set_aside_and_hand_it_back():
    """The objects alive before the steps are out of the collector's sight while they run
    (``gc.freeze``: its full collections scan what the run makes) and handed back after; a caller
    that set the heap aside itself keeps it so."""
    short = load_scenario(SCENARIOS / "basic.toml", overrides=["steps=2"])
    assert gc.get_freeze_count() == 0
    during: list[int] = []
    run_scenario(short, progress=lambda done, total: during.append(gc.get_freeze_count()))
    assert len(during) == 2 and min(during) > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        run_scenario(short)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
