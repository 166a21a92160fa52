"""summary.json: the run's figures in strict JSON, with nulls instead of NaN."""

import json

import pytest

from defi_int.metrics import summarize


def test_the_summary_is_strict_json_with_a_stable_key_order(sample_result):
    summary = summarize(sample_result)
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text) == summary
    assert list(summary)[:4] == ["scenario", "seed", "backend", "contracts"]
    assert text == json.dumps(summarize(sample_result), allow_nan=False)


def test_the_summary_counts_volumes_and_the_internalization_rate(sample_result):
    summary = summarize(sample_result)
    assert summary["internal_volume"] == 1.5
    assert summary["amm_volume"] == 0.5
    assert summary["internalization_rate"] == 0.75
    assert summary["inventory_final"] == {"0": 0.0}
    assert summary["rejections"] == {"limit_not_met": 1}
    assert list(summary["contracts"]) == ["Settlement", "Vault"]


def test_the_summary_carries_the_exact_pnl_breakdown(sample_result):
    summary = summarize(sample_result)
    assert summary["pnl_breakdown_units"] == {
        "spread": 1_500_000, "inventory": -15_000_000, "fees": 1_202_625, "hedging": -500_000, "funding": 0,
        "liquidations": 0, "total": -12_797_375,
    }  # fmt: skip
    assert summary["pnl_residual_units"] == 0
    assert summary["pnl_total"] == pytest.approx(-12.797375)
    assert summary["pnl_breakdown"]["fees"] == pytest.approx(1.202625)


def test_gas_per_fill_divides_settle_gas_by_distinct_orders_per_step(sample_result):
    summary = summarize(sample_result)
    assert summary["settled_fills"] == 2  # three legs, two (digest, step) pairs
    assert summary["gas_per_fill"] == 75_000.0
    assert summary["orders_per_second"] == 6.0


def test_fill_statistics_use_absolute_deviation_and_internal_improvement(sample_result):
    summary = summarize(sample_result)
    assert summary["price_deviation_bps"]["max"] == pytest.approx(3.5 / 2010 * 1e4)
    assert summary["price_deviation_bps"]["mean"] > 0
    improvement = (2 / 2003 * 1e4 + 2 / 2007 * 1e4) / 2
    assert summary["price_improvement_bps"]["mean"] == pytest.approx(improvement)
    assert summary["amm_oracle_deviation_bps"]["max"] == pytest.approx(2 / 2010 * 1e4)  # AMM 2008 vs oracle 2010


def test_markouts_are_keyed_by_horizon_strings_and_null_when_unmeasurable(sample_result):
    summary = summarize(sample_result)
    assert list(summary["markouts_bps"]) == ["1", "2", "5"]
    assert summary["markouts_bps"]["1"] < 0
    assert summary["markouts_bps"]["5"] is None
    assert list(summary["markouts_bps_by_type"]) == ["informed", "noise"]


def test_invariants_ok_needs_every_invariant_and_a_zero_residual(sample_result):
    assert summarize(sample_result)["invariants_ok"] is True
    sample_result.invariants["vault_solvent"] = False
    assert summarize(sample_result)["invariants_ok"] is False
    sample_result.invariants["vault_solvent"] = True
    sample_result.desk_events = [e for e in sample_result.desk_events if e.kind != "hedge"]  # an event went missing
    summary = summarize(sample_result)
    assert summary["pnl_residual_units"] != 0
    assert summary["invariants_ok"] is False


def test_an_empty_run_gives_nulls_not_nan(empty_result):
    summary = summarize(empty_result)
    json.dumps(summary, allow_nan=False)
    assert summary["internalization_rate"] is None
    assert summary["price_deviation_bps"] == {"mean": None, "p50": None, "p95": None, "max": None}
    assert summary["price_improvement_bps"] == {"mean": None, "p50": None}
    assert summary["amm_oracle_deviation_bps"] == {"mean": None, "p95": None, "max": None}
    assert summary["markouts_bps"] == {"1": None, "5": None}
    assert summary["markouts_bps_by_type"] == {}
    assert summary["gas_per_fill"] is None
    assert summary["orders_per_second"] is None
    assert summary["pnl_residual_units"] == 0
