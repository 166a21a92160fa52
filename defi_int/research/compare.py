"""``defi-int compare``: A/B of two keeper policies on identical order flow, paired over seeds.

A policy is a list of overrides (``--a keeper.toxicity_routing=false --b keeper.toxicity_routing=true``);
both run the same scenario with the same seeds, so each seed gives a pair of runs.

**Identical flow.** The agents' orders (who sends them, when, market, side, size, limit, expiry,
AMM permission, nonce) are functions of the scenario, the seed and the price path only: every random
draw is taken in a fixed order whatever the keeper does, and agents decide on the scenario's clock
(``defi_int.sim.agents``, ``runner``). So under either policy the keeper receives the same orders;
what differs is what it fills, routes and hedges, and with it the AMM's state and the arbitrageurs'
trades (their response to the pool, not part of the flow). Every run hashes the orders it sent
(``flow_digest``); ``compare`` checks that both runs of each seed have the same digest and says so
(a mismatch, which would mean the policy changed the flow, fails the comparison). Overrides that
change the flow itself (traders, the path, the seed) are refused up front: the policies may set
``keeper.*`` keys only.

Data flow: ``plan_compare`` checks both policies like ``--set`` and plans 2 × N specs; the engine
runs them; ``differences`` pairs the rows by seed and gives, per figure, both means and the paired
difference ``B − A`` with its 95 % CI (``stats.paired``); ``write_compare`` writes
``results.*`` (one row per run, with every ``--set`` value and each policy's values as columns),
``differences.*`` and ``report.html`` (the differences, each policy's PnL by part, every run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from defi_int.exceptions import ScenarioError
from defi_int.metrics.pnl import PARTS
from defi_int.research.runs import Ledger, Row, RunSpec, code_version, read_spec
from defi_int.research.stats import paired, summary
from defi_int.research.study import override_columns, refuse_overlap
from defi_int.research.sweep import figure_names, ordered
from defi_int.sim.schema import SET, parse_key_path

POLICIES = ("A", "B")


@dataclass(frozen=True)
class Comparison:
    scenario: str
    name: str
    sets: tuple[str, ...]  # the --set overrides both policies take
    policies: tuple[tuple[str, ...], tuple[str, ...]]  # A's and B's overrides
    seeds: tuple[int, ...]
    specs: tuple[tuple[str, RunSpec], ...]  # (policy, spec)


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: int
    identical: bool


def plan_compare(
    scenario: str | Path, a: Sequence[str], b: Sequence[str], sets: Sequence[str], seeds: int
) -> Comparison:
    """Checks the scenario and both policies, and plans one run per policy and seed."""
    from defi_int.sim.scenario import load_scenario

    base = load_scenario(scenario, overrides=sets)
    for label, policy in zip(("--a", "--b"), (a, b), strict=True):
        for override in policy:
            key = override.partition("=")[0].strip()
            try:
                tokens = parse_key_path(key)
            except ValueError:
                raise ScenarioError(
                    label, key or None, "not a key path (expected e.g. keeper.toxicity_routing)"
                ) from None
            if tokens[0] != "keeper":
                raise ScenarioError(label, key, "a policy may set keeper.* keys only (the flow must stay identical)")
        refuse_overlap(sets, policy, label)
        try:
            load_scenario(scenario, overrides=[*sets, *policy])
        except ScenarioError as err:
            if err.source != SET:
                raise
            raise ScenarioError(label, err.key, err.problem) from None
    if list(a) == list(b):
        raise ScenarioError("--b", None, "policy B is the same as policy A; give each side its overrides")
    seed_list = tuple(base.seed + i for i in range(seeds))
    base.with_seed(seed_list[-1])
    specs = tuple(
        (label, read_spec(scenario, [*sets, *policy], seed))
        for seed in seed_list
        for label, policy in zip(POLICIES, (a, b), strict=True)
    )
    return Comparison(str(scenario), base.name, tuple(sets), (tuple(a), tuple(b)), seed_list, specs)


def run_rows(study: Comparison, ledger: Ledger) -> list[Row]:
    """One row per run the ledger holds: policy, every --set value, the policy's own values, figures."""
    code = code_version()
    fixed = override_columns(study.sets)
    policy_keys = list(override_columns([*study.policies[0], *study.policies[1]]))
    values = {label: override_columns(policy) for label, policy in zip(POLICIES, study.policies, strict=True)}
    rows = []
    for label, spec in study.specs:
        row = ledger.rows.get(spec.key(code))
        if row is not None:
            own = {key: values[label].get(key) for key in policy_keys}
            rows.append({"policy": label, **fixed, **own, **ordered(row)})
    return rows


def differences(study: Comparison, rows: Sequence[Row]) -> tuple[list[Row], int, int]:
    """Per figure: mean A, mean B, paired B − A (n, mean, sd, 95 % CI); and (pairs, pairs with identical flow)."""
    by = {(r["policy"], r["seed"]): r for r in rows if r["status"] == "ok"}
    pairs = [(by[("A", s)], by[("B", s)]) for s in study.seeds if ("A", s) in by and ("B", s) in by]
    same = sum(a.get("flow_digest") == b.get("flow_digest") for a, b in pairs)
    skip = [*override_columns(study.sets), *override_columns([*study.policies[0], *study.policies[1]])]
    out = []
    for name in figure_names(rows, skip=skip):
        a_values = [a.get(name) for a, _ in pairs]
        b_values = [b.get(name) for _, b in pairs]
        _, estimate = paired(a_values, b_values)
        out.append(
            {
                "figure": name,
                "pairs": len(pairs),
                "mean_a": summary(a_values).mean,
                "mean_b": summary(b_values).mean,
                "n": estimate.n,
                "mean_diff": estimate.mean,
                "sd_diff": estimate.sd,
                "ci_low": estimate.low,
                "ci_high": estimate.high,
                "ci_excludes_zero": _excludes_zero(estimate.low, estimate.high),
            }
        )
    return out, len(pairs), same


def _excludes_zero(low: float | None, high: float | None) -> bool | None:
    """Whether the interval [low, high] lies wholly on one side of 0 (None without an interval)."""
    return None if low is None or high is None else low > 0 or high < 0


_KEY = (
    "pnl_total", "pnl_bps_of_volume", "pnl_at_close", "sharpe_per_step", "max_drawdown", "internal_volume",
    "internalization_rate", "inventory_sd", "markout_bps_5",
)  # fmt: skip


@dataclass(frozen=True)
class Tables:
    """A comparison's tables and what it found."""

    rows: list[Row]
    differences: list[Row]
    pairs: int
    same: int
    failed: int

    @property
    def identical(self) -> bool:
        return self.pairs > 0 and self.same == self.pairs


def tables(study: Comparison, ledger: Ledger) -> Tables:
    rows = run_rows(study, ledger)
    diffs, pairs, same = differences(study, rows)
    failed = sum(r["status"] != "ok" for r in rows) + (len(study.specs) - len(rows))
    return Tables(rows, diffs, pairs, same, failed)


def study_lines(study: Comparison) -> list[str]:
    """What the comparison ran with, one line each: every --set, each policy, the seeds."""
    sets = [f"--set {key} = {value}" for key, value in override_columns(study.sets).items()]
    a, b = (" ".join(p) or "(the scenario as written)" for p in study.policies)
    seeds = f"seeds {study.seeds[0]}..{study.seeds[-1]} ({len(study.seeds)} pairs of runs)"
    return [*sets, f"A: {a}", f"B: {b}", seeds]


def outcome_text(study: Comparison, found: Tables) -> str:
    flow = f"identical order flow in {found.same} of {found.pairs} pairs" + (
        "" if found.identical else " (NOT IDENTICAL)"
    )
    a, b = (" ".join(p) or "(as written)" for p in study.policies)
    lines = [f"A: {a}", f"B: {b}", f"{len(study.seeds)} seeds, {found.pairs} pairs, {found.failed} failed runs; {flow}"]
    for d in found.differences:
        if d["figure"] not in _KEY or d["mean_diff"] is None:
            continue
        ci = "" if d["ci_low"] is None else f" [{d['ci_low']:,.4g}, {d['ci_high']:,.4g}]"
        lines.append(
            f"  {d['figure']:<22} A {d['mean_a']:>12,.4g}  B {d['mean_b']:>12,.4g}  B-A {d['mean_diff']:,.4g}{ci}"
        )
    return "\n".join(lines)


def write_compare(study: Comparison, out: Path, ledger: Ledger) -> Outcome:
    """Writes the tables and ``report.html``; returns the printed summary."""
    from defi_int.research import report

    found = tables(study, ledger)
    report.write_tables(out, {"results": found.rows, "differences": found.differences})
    path = report.write_atomic(out / "report.html", compare_html(study, found))
    return Outcome(outcome_text(study, found) + f"\nreport written to {path}", found.failed, found.identical)


def compare_html(study: Comparison, found: Tables) -> bytes:
    from defi_int.metrics import html
    from defi_int.research import report
    from defi_int.research.stats import summary as estimate

    flow = f"identical order flow in {found.same} of {found.pairs} pairs"
    overview = (
        html.paragraph(f"Scenario {study.scenario} ({study.name}); it ran with:")
        + html.lines(study_lines(study), code=True)
        + html.verdict(flow, found.identical)
        + html.paragraph(
            "Each seed runs both policies on the same order flow; the interval is on the per-seed difference B − A.",
            "note",
        )
    )
    groups = []
    for label in POLICIES:
        mine = [r for r in found.rows if r["policy"] == label and r["status"] == "ok"]
        figures: dict[str, Row] = {}
        for name in (*(f"pnl_{p}" for p in PARTS), "pnl_total"):
            e = estimate(r.get(name) for r in mine)
            figures[name] = {"mean": e.mean, "ci_low": e.low, "ci_high": e.high}
        groups.append((f"{label}: {' '.join(study.policies[POLICIES.index(label)]) or 'as written'}", figures))
    key = [d for d in found.differences if d["figure"] in _KEY]
    charts = html.chart(report.differences_chart(key), "differences") + html.chart(
        report.breakdown_chart(groups, "Each policy's PnL by part (mean over seeds)"), "breakdown"
    )
    policy_keys = override_columns([*study.policies[0], *study.policies[1]])
    first = ["policy", *policy_keys, *override_columns(study.sets)]
    sections = [
        html.Section("Overview", overview),
        html.Section(
            "Paired differences B − A (95 % CI)",
            html.data_table(found.differences, report.columns(found.differences), page_size=100),
        ),
        html.Section("Charts", charts),
        html.Section("Every run", report.runs_table(found.rows, first)),
    ]  # fmt: skip
    errors = [
        {"policy": r["policy"], "seed": r["seed"], "error": r["error"]} for r in found.rows if r["status"] != "ok"
    ]
    if errors:
        sections.append(html.Section("Failed runs", html.table(errors)))
    return html.page(f"Compare: {study.name}", sections)
