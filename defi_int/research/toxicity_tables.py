"""The toxicity experiment's tables, from the ledger's evaluation rows (``toxicity`` plans them).

- ``results``: one row per evaluation run (case, model, seed, status, the figures; the per-order
  decisions, reliability sums and signal columns stay in the ledger), with
  ``decisions_changed_vs_none`` (orders whose last action differs from ``none``'s on that seed);
- ``summary``: the experiment's table, one row per case and policy: its tuned thresholds, the
  prediction (AUC with its 95 % CI over seeds, Brier), the desk (PnL and its parts, PnL against
  ``none`` and against ``trader_rule`` paired by seed with 95 % CIs, the informed volume it
  internalized, decisions changed), fairness to the uninformed (internal volume against
  ``none``'s, and of what they lost the part the score declined; fill rate, price improvement
  against the AMM, effective spread), and the issue's aims;
- ``differences``: per case, policy and baseline (``none``, ``trader_rule``), every key figure's
  paired difference ``policy − baseline`` with its 95 % CI (``stats.paired``, as ``compare``);
- ``reliability``: per case, policy and probability bin, pooled over the evaluation seeds;
- ``signal``: per case and feature, over the ``gbdt`` runs: the feature's own AUC for telling the
  informed orders apart, and the AUC a classifier loses without it (``toxicity_runs``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from defi_int.keeper.toxicity.features import OrderFeatures
from defi_int.metrics.pnl import PARTS
from defi_int.research.runs import Row
from defi_int.research.stats import paired, summary
from defi_int.research.toxicity import Case, Tuning
from defi_int.research.toxicity_runs import BINS, NOT_FIGURES, decisions_changed

#: The issue's aims (section 5): AUC of the best model, PnL over trader_rule, the uninformed's volume.
AIM_AUC: Final = 0.65
AIM_VOLUME: Final = 0.02
#: The figures whose paired differences the report shows.
KEY_FIGURES: Final = (
    "pnl_total",
    *(f"pnl_{part}" for part in PARTS),
    "internal_volume",
    "informed_internal_volume",
    "uninformed_internal_volume",
    "uninformed_score_declined",
    "uninformed_fill_rate",
    "uninformed_price_improvement_bps",
    "uninformed_effective_spread_bps",
    "informed_fill_rate",
    "decisions_changed_vs_none",
    "auc",
    "brier",
)
_HIDDEN: Final = ("rel_", "signal_", "ablation_")

Runs = dict[tuple[str, str, int], Row]  # (case, model, seed) -> ledger row


def results(cases: Sequence[Case], runs: Runs, policies: Sequence[str]) -> list[Row]:
    """One row per evaluation run, with the decisions it changed against ``none``."""
    out = []
    for case in cases:
        for seed in case.eval_seeds:
            base = runs.get((case.label, "none", seed), {})
            for model in policies:
                row = runs.get((case.label, model, seed))
                if row is None:
                    continue
                shown = {k: v for k, v in row.items() if k not in NOT_FIGURES and k != "traceback"}
                shown = {k: v for k, v in shown.items() if not k.startswith(_HIDDEN)}
                changed = decisions_changed(row.get("decisions"), base.get("decisions"))
                out.append({"case": case.label, "model": model, **shown, "decisions_changed_vs_none": changed})
    return out


def _ok(rows: Sequence[Row], case: str, model: str) -> dict[int, Row]:
    return {r["seed"]: r for r in rows if r["case"] == case and r["model"] == model and r["status"] == "ok"}


def _pair(a: dict[int, Row], b: dict[int, Row], figure: str) -> Any:
    seeds = sorted(set(a) & set(b))
    return paired([a[s].get(figure) for s in seeds], [b[s].get(figure) for s in seeds])[1]


def _ratio(a: dict[int, Row], b: dict[int, Row], figure: str) -> Any:
    """Per seed ``b / a`` of ``figure`` (seeds where ``a``'s is zero or missing left out), summarized."""
    seeds = sorted(set(a) & set(b))
    return summary(
        b[s][figure] / a[s][figure] if a[s].get(figure) and b[s].get(figure) is not None else None for s in seeds
    )


def _settings(tuning: Tuning, case: str, model: str) -> str:
    chosen = tuning.chosen.get((case, model))
    if chosen is None or not chosen.settings:
        return ""
    return ", ".join(f"{k.removeprefix('keeper.toxicity_')}={v}" for k, v in chosen.settings)


def summary_rows(cases: Sequence[Case], rows: Sequence[Row], tuning: Tuning, policies: Sequence[str]) -> list[Row]:
    """The experiment's table (see the module docstring)."""
    out = []
    for case in cases:
        none, rule = _ok(rows, case.label, "none"), _ok(rows, case.label, "trader_rule")
        for model in policies:
            mine = _ok(rows, case.label, model)
            runs = [r for r in rows if r["case"] == case.label and r["model"] == model]
            auc, pnl = summary(r.get("auc") for r in mine.values()), summary(r.get("pnl_total") for r in mine.values())
            vs_none, vs_rule = _pair(none, mine, "pnl_total"), _pair(rule, mine, "pnl_total")
            volume = _ratio(none, mine, "uninformed_internal_volume")
            lost = _pair(none, mine, "uninformed_internal_volume")
            spread = _pair(none, mine, "uninformed_effective_spread_bps")
            chosen = tuning.chosen.get((case.label, model))
            row: Row = {
                "case": case.label,
                "model": model,
                "thresholds": _settings(tuning, case.label, model),
                "fair_on_tuning_seeds": None if chosen is None else chosen.fair,
                "seeds": len(mine),
                "failed": len(runs) - len(mine),
                "auc_mean": auc.mean,
                "auc_ci_low": auc.low,
                "auc_ci_high": auc.high,
                "brier_mean": summary(r.get("brier") for r in mine.values()).mean,
                "auc_informed_mean": summary(r.get("auc_informed") for r in mine.values()).mean,
                "pnl_mean": pnl.mean,
                "pnl_ci_low": pnl.low,
                "pnl_ci_high": pnl.high,
                **{f"pnl_{p}_mean": summary(r.get(f"pnl_{p}") for r in mine.values()).mean for p in PARTS},
                "pnl_vs_none_mean": vs_none.mean,
                "pnl_vs_none_ci_low": vs_none.low,
                "pnl_vs_none_ci_high": vs_none.high,
                "pnl_vs_rule_mean": vs_rule.mean,
                "pnl_vs_rule_ci_low": vs_rule.low,
                "pnl_vs_rule_ci_high": vs_rule.high,
                "informed_internal_volume_mean": summary(r.get("informed_internal_volume") for r in mine.values()).mean,
                "uninformed_internal_volume_mean": summary(
                    r.get("uninformed_internal_volume") for r in mine.values()
                ).mean,
                "uninformed_volume_lost_vs_none": None if lost.mean is None else -lost.mean,
                "uninformed_score_declined_mean": summary(
                    r.get("uninformed_score_declined") for r in mine.values()
                ).mean,
                "uninformed_volume_vs_none": volume.mean,
                "uninformed_volume_vs_none_ci_low": volume.low,
                "uninformed_volume_vs_none_ci_high": volume.high,
                "decisions_changed_vs_none_mean": summary(
                    r.get("decisions_changed_vs_none") for r in mine.values()
                ).mean,
                "uninformed_fill_rate_mean": summary(r.get("uninformed_fill_rate") for r in mine.values()).mean,
                "uninformed_price_improvement_bps_mean": summary(
                    r.get("uninformed_price_improvement_bps") for r in mine.values()
                ).mean,
                "uninformed_effective_spread_bps_mean": summary(
                    r.get("uninformed_effective_spread_bps") for r in mine.values()
                ).mean,
                "uninformed_spread_vs_none_bps": spread.mean,
                "uninformed_spread_vs_none_ci_low": spread.low,
                "uninformed_spread_vs_none_ci_high": spread.high,
            }
            row["aim_auc"] = None if auc.mean is None else auc.mean >= AIM_AUC
            row["aim_pnl_over_rule"] = None if vs_rule.low is None else vs_rule.low > 0
            row["aim_volume"] = None if volume.mean is None else volume.mean >= 1 - AIM_VOLUME
            out.append(row)
    return out


def difference_rows(cases: Sequence[Case], rows: Sequence[Row], policies: Sequence[str]) -> list[Row]:
    """Per case, policy and baseline: each key figure's paired difference with its 95 % CI."""
    out = []
    for case in cases:
        for baseline in ("none", "trader_rule"):
            a = _ok(rows, case.label, baseline)
            for model in policies:
                if model == baseline:
                    continue
                b = _ok(rows, case.label, model)
                for figure in KEY_FIGURES:
                    seeds = sorted(set(a) & set(b))
                    est = _pair(a, b, figure)
                    out.append(
                        {
                            "case": case.label,
                            "model": model,
                            "baseline": baseline,
                            "figure": figure,
                            "pairs": len(seeds),
                            "mean_baseline": summary(a[s].get(figure) for s in seeds).mean,
                            "mean_model": summary(b[s].get(figure) for s in seeds).mean,
                            "n": est.n,
                            "mean_diff": est.mean,
                            "sd_diff": est.sd,
                            "ci_low": est.low,
                            "ci_high": est.high,
                        }
                    )
    return out


def reliability_rows(cases: Sequence[Case], runs: Runs, policies: Sequence[str]) -> list[Row]:
    """Per case, policy and bin: predictions pooled over the evaluation seeds."""
    out = []
    for case in cases:
        for model in policies:
            if model == "none":
                continue
            mine = [
                r
                for s in case.eval_seeds
                if (r := runs.get((case.label, model, s))) is not None and r.get("status") == "ok"
            ]
            for b in range(BINS):
                count = sum(int(r.get(f"rel_count_{b}") or 0) for r in mine)
                p = math.fsum(float(r.get(f"rel_p_{b}") or 0.0) for r in mine)
                toxic = sum(int(r.get(f"rel_toxic_{b}") or 0) for r in mine)
                out.append(
                    {
                        "case": case.label,
                        "model": model,
                        "bin": b,
                        "low": b / BINS,
                        "high": (b + 1) / BINS,
                        "count": count,
                        "mean_prediction": p / count if count else None,
                        "toxic_share": toxic / count if count else None,
                    }
                )
    return out


def signal_rows(cases: Sequence[Case], runs: Runs, model: str = "gbdt") -> list[Row]:
    """Per case and feature (``model``'s runs): its own AUC for the informed orders and the ablation's loss."""
    out = []
    for case in cases:
        mine = [
            r
            for s in case.eval_seeds
            if (r := runs.get((case.label, model, s))) is not None and r.get("status") == "ok"
        ]
        full = summary(r.get("ablation_auc") for r in mine).mean
        for name in OrderFeatures.NAMES:
            informed = summary(r.get(f"signal_{name}") for r in mine)
            lost = summary(r.get(f"ablation_{name}") for r in mine)
            out.append(
                {
                    "case": case.label,
                    "feature": name,
                    "auc_informed": informed.mean,
                    "ablation_auc_full": full,
                    "ablation_auc_lost": lost.mean,
                    "ablation_ci_low": lost.low,
                    "ablation_ci_high": lost.high,
                }
            )
    return out


def strongest(signal: Sequence[Row], case: str, count: int = 3) -> list[Row]:
    """The features whose ablation costs ``case`` the most AUC, most first."""
    rows = [r for r in signal if r["case"] == case and r["ablation_auc_lost"] is not None]
    return sorted(rows, key=lambda r: -r["ablation_auc_lost"])[:count]
