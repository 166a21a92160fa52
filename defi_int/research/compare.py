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
``results.*`` (one row per run), ``differences.*``, ``differences.png`` and ``report.html``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from defi_int.exceptions import ScenarioError
from defi_int.research.runs import Ledger, Row, RunSpec, code_version, read_spec
from defi_int.research.stats import paired, summary
from defi_int.research.sweep import figure_names
from defi_int.sim.schema import SET, parse_key_path

POLICIES = ("A", "B")


@dataclass(frozen=True)
class Comparison:
    scenario: str
    name: str
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
    return Comparison(str(scenario), base.name, (tuple(a), tuple(b)), seed_list, specs)


def run_rows(study: Comparison, ledger: Ledger) -> list[Row]:
    code = code_version()
    rows = []
    for label, spec in study.specs:
        row = ledger.rows.get(spec.key(code))
        if row is not None:
            rest = {k: v for k, v in row.items() if k not in ("traceback",)}
            rows.append({"policy": label, **rest})
    return rows


def differences(study: Comparison, rows: Sequence[Row]) -> tuple[list[Row], int, int]:
    """Per figure: mean A, mean B, paired B − A (n, mean, sd, 95 % CI); and (pairs, pairs with identical flow)."""
    by = {(r["policy"], r["seed"]): r for r in rows if r["status"] == "ok"}
    pairs = [(by[("A", s)], by[("B", s)]) for s in study.seeds if ("A", s) in by and ("B", s) in by]
    same = sum(a.get("flow_digest") == b.get("flow_digest") for a, b in pairs)
    out = []
    for name in figure_names(rows):
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
            }
        )
    return out, len(pairs), same


_KEY = ("pnl_total", "pnl_at_close", "internal_volume", "internalization_rate", "inventory_sd", "markout_bps_5")


def write_compare(study: Comparison, out: Path, ledger: Ledger) -> Outcome:
    """Writes the tables, the differences plot and ``report.html``; returns the printed summary."""
    from defi_int.research import report

    rows = run_rows(study, ledger)
    diffs, pairs, same = differences(study, rows)
    failed = sum(r["status"] != "ok" for r in rows) + (len(study.specs) - len(rows))
    report.write_tables(out, {"results": rows, "differences": diffs})
    shown = [d for d in diffs if d["figure"] in _KEY]
    image = report.differences_png(shown)
    report.write_atomic(out / "differences.png", image)
    a, b = (" ".join(p) or "(as written)" for p in study.policies)
    identical = pairs > 0 and same == pairs
    flow = f"identical order flow in {same} of {pairs} pairs" + ("" if identical else " (NOT IDENTICAL)")
    lines = [f"A: {a}", f"B: {b}", f"{len(study.seeds)} seeds, {pairs} pairs, {failed} failed runs; {flow}"]
    for d in shown:
        if d["mean_diff"] is None:
            continue
        ci = "" if d["ci_low"] is None else f" [{d['ci_low']:,.4g}, {d['ci_high']:,.4g}]"
        lines.append(
            f"  {d['figure']:<22} A {d['mean_a']:>12,.4g}  B {d['mean_b']:>12,.4g}  B-A {d['mean_diff']:,.4g}{ci}"
        )
    overview = report.paragraph(
        f"Scenario {study.scenario} ({study.name}); A: {a}; B: {b}; seeds {study.seeds[0]}..{study.seeds[-1]}; {flow}. "
        "Each seed runs both policies on the same order flow; the interval is on the per-seed difference B − A."
    )
    sections = [("Overview", overview), ("Paired differences B − A (95 % CI)", report.html_table(diffs))]
    errors = [{"policy": r["policy"], "seed": r["seed"], "error": r["error"]} for r in rows if r["status"] != "ok"]
    if errors:
        sections.append(("Failed runs", report.html_table(errors)))
    html = report.report_html(f"Compare: {study.name}", sections, {"differences.png": image})
    path = report.write_atomic(out / "report.html", html)
    lines.append(f"report written to {path}")
    return Outcome("\n".join(lines), failed, identical)
