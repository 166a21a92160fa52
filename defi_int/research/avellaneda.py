"""The Avellaneda–Stoikov (2008) experiment through the project: ``defi-int experiment avellaneda-stoikov``.

Avellaneda, M. and Stoikov, S. (2008), "High-frequency trading in a limit order book",
Quantitative Finance 8(3), 217–224, section 4: s = 100, T = 1, σ = 2, dt = 0.005, q₀ = 0,
k = 1.5, A = 140; the "inventory" strategy quotes the optimal spread around the reservation price,
the "symmetric" strategy quotes that spread's average around the mid; 1,000 simulations per γ.
``PAPER`` holds Tables 1–3 (pp. 222–223) as published: average spread, mean and sd of the profit,
mean and sd of the final inventory. The 2006 preprint's Table 1 differs (spread 1.29, profit
62.94 ...) and is not the published one. Its "Average spread" column is reproduced by the closed
form ``γσ²T/2 + (2/γ)·ln(1 + γ/k)`` (1.49, 1.35, 3.02), a check on the transcription.

The mapping onto the chain is the shipped ``scripts/scenarios/avellaneda_stoikov.toml``
(see its header): 200 steps of 1,095 s (T = 1/144 year), an arithmetic path with σ = 0.24 of
s₀ = 100 per √year (2 USD per √T), intensity traders with A·dt = 0.7 and k = 1.5 (fills with
probability ``min(1, A·dt·e^(−kδ))`` per side and step, the paper's discretisation), the keeper in
``pricing_mode = "as"`` or ``"as_symmetric"``, an AMM that cannot interfere, no fees, 18-decimal
collateral so cash moves by exactly the quoted prices. Profit is ``pnl_at_close``: the desk's cash
change plus its final inventory at the path's value at T (``RunResult.closing_prices``).

Data flow: ``plan_experiment`` → one spec per (γ, strategy, path), seeds 1..N shared by both
strategies (paired paths) → the Dask engine (resumable ledger) → ``table_rows`` → the table
printed beside ``PAPER`` with z-scores against the Monte Carlo error of the difference of both
estimates (ours over n paths, the paper's over 1,000, both with the paper's sd) → ``table.*`` and ``report.html``.

The user's ``--set`` wins over the experiment's own γ and strategy (``plan_experiment``). On other
parameters than the paper's (another γ, σ, k, horizon ...) there is no published table to hold the
chain to: the baseline becomes ``model_run`` on the same paths, and every run must equal it to the
unit. Against the paper, "reproduced" needs enough paths to mean something: with fewer than
``min_paths`` (a 10 % deviation of the mean profit would still show as |z| > 3) the verdict says
there are too few paths instead.

``model_run`` replays one path of the same scenario without a chain: the same draws, the same
pricing functions, the fills the model implies. A test holds the chain's result equal to it, to
the unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from defi_int.exceptions import ScenarioError
from defi_int.research.runs import Ledger, Row, RunSpec, code_version, read_spec
from defi_int.research.stats import summary
from defi_int.research.study import canonical_key, override_columns

#: γ -> strategy -> (average spread, profit mean, profit sd, final q mean, final q sd), as published.
PAPER: Final = {
    0.1: {"inventory": (1.49, 65.0, 6.6, 0.08, 2.9), "symmetric": (1.49, 68.4, 12.7, 0.26, 8.4)},
    0.01: {"inventory": (1.35, 68.6, 8.7, 0.12, 5.1), "symmetric": (1.35, 68.8, 12.8, 0.09, 8.7)},
    1.0: {"inventory": (3.02, 31.4, 5.0, 0.02, 1.7), "symmetric": (3.02, 44.0, 11.0, 0.00, 5.1)},
}
PAPER_PATHS: Final = 1_000
#: The rows in the paper's order (Tables 1, 2, 3) and the paths each gets by default.
ROWS: Final = ((0.1, 1_000), (0.01, 200), (1.0, 200))
STRATEGIES: Final = (("inventory", "as"), ("symmetric", "as_symmetric"))
#: Within Monte Carlo error: every |z| at most this.
Z_MAX: Final = 3.0


def default_scenario() -> Path:
    return Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "avellaneda_stoikov.toml"


@dataclass(frozen=True)
class Experiment:
    scenario: str
    rows: tuple[tuple[float, int], ...]  # (γ, paths)
    strategies: tuple[tuple[str, str], ...]  # (strategy, pricing mode)
    specs: tuple[tuple[float, str, RunSpec], ...]  # (γ, strategy, spec)
    sets: tuple[str, ...] = ()  # the user's --set overrides
    baseline: str = "paper"  # "paper": its published table; "model": ``model_run`` on the same paths


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: int
    reproduced: bool
    supported: bool = True  # enough paths for the claim (see ``min_paths``)


#: The parameters the paper's table holds for: everything but these may not differ from the shipped file.
_FREE = frozenset({"seed", "name", "description", "source", "chain"})
_MODES = dict(STRATEGIES)
_RISK, _MODE = "keeper.risk_aversion", "keeper.pricing_mode"


def _plain_params(scenario: Any) -> dict[str, Any]:
    return {k: v for k, v in scenario.to_dict().items() if k not in _FREE}


def _baseline(path: Path, overrides: Sequence[str], gamma: float, mode: str) -> str:
    """``paper`` when the run's parameters are the paper's (γ among its rows), else ``model``."""
    from defi_int.sim.scenario import load_scenario

    if gamma not in PAPER:
        return "model"
    paper = load_scenario(default_scenario(), overrides=[f"{_RISK}={gamma}", f"{_MODE}={mode}"])
    return "paper" if _plain_params(load_scenario(path, overrides=overrides)) == _plain_params(paper) else "model"


def _model_applies(path: Path, overrides: Sequence[str]) -> None:
    """``model_run`` replays one market traded by one intensity population, nothing else; else refused."""
    from defi_int.sim.scenario import load_scenario

    scenario = load_scenario(path, overrides=overrides)
    kinds = [t.type for t in scenario.traders]
    if len(scenario.markets) != 1 or kinds != ["intensity"] or scenario.arbitrage.count != 0:
        raise ScenarioError(
            "--set",
            None,
            "the experiment compares with the paper's table (its parameters) or with its model run, which replays "
            f"one market traded by one intensity population and no arbitrageurs; this scenario has "
            f"{len(scenario.markets)} market(s), traders {kinds} and {scenario.arbitrage.count} arbitrageur(s) "
            "(use defi-int sweep for other studies)",
        )


def plan_experiment(scenario: Path | None, paths: int | None, sets: Sequence[str]) -> Experiment:
    """One spec per γ, strategy and path (seeds shared by the strategies); everything checked first.

    The user's ``--set`` wins: a ``keeper.risk_aversion`` makes the γ of the one row, a
    ``keeper.pricing_mode`` keeps its strategy only. When the parameters are not the paper's (another
    γ, another σ, k, steps ...), the baseline is the model run on the same paths instead of the paper.
    """
    from defi_int.sim.scenario import load_scenario

    path = scenario or default_scenario()
    if not path.is_file():
        raise ScenarioError(str(path), None, "file not found (give the scenario with --scenario)")
    load_scenario(path, overrides=sets)  # the user's overrides alone first: their own errors, named as such
    given = override_columns(sets)
    own = [s for s in sets if canonical_key(s.partition("=")[0]) not in (_RISK, _MODE)]
    if _RISK in given:
        gamma = float(given[_RISK])
        rows: tuple[tuple[float, int], ...] = ((gamma, paths or dict(ROWS).get(gamma, ROWS[-1][1])),)
    else:
        rows = tuple((gamma, paths or count) for gamma, count in ROWS)
    strategies: tuple[tuple[str, str], ...] = STRATEGIES
    if _MODE in given:
        mode = str(given[_MODE])
        strategies = tuple((name, m) for name, m in STRATEGIES if m == mode)
        if not strategies:
            raise ScenarioError(
                "--set", _MODE, f"the experiment runs the paper's strategies, as or as_symmetric; got {mode!r}"
            )
    specs: list[tuple[float, str, RunSpec]] = []
    baselines = set()
    for gamma, count in rows:
        for strategy, mode in strategies:
            overrides = [*own, f"{_RISK}={gamma}", f"{_MODE}={mode}"]
            base = load_scenario(path, overrides=overrides)
            base.with_seed(base.seed + count - 1)
            baselines.add(_baseline(path, overrides, gamma, mode))
            specs.extend((gamma, strategy, read_spec(path, overrides, base.seed + i)) for i in range(count))
    baseline = "paper" if baselines == {"paper"} else "model"
    if baseline == "model":
        _model_applies(path, specs[0][2].overrides)
    return Experiment(str(path), rows, strategies, tuple(specs), tuple(sets), baseline)


def average_spread(scenario_path: str, overrides: Sequence[str]) -> float:
    """The strategy's spread averaged over the batches' times, from the keeper's own pricing."""
    from defi_int.keeper.config import KeeperConfig
    from defi_int.keeper.pricing import optimal_spread
    from defi_int.sim.scenario import load_scenario

    scenario = load_scenario(scenario_path, overrides=overrides)
    params = scenario.system_params()
    session = (scenario.start_time, scenario.time_of(scenario.steps))
    config = KeeperConfig.from_params(scenario.keeper, params, {m.id: m.volatility for m in scenario.markets}, session)
    pricing = config.pricing[scenario.markets[0].id]
    spreads = [optimal_spread(pricing, scenario.time_of(step) + 1) for step in range(scenario.steps)]
    return math.fsum(spreads) / len(spreads)


#: "Reproduced" needs enough paths that a deviation of this share of the published mean profit
#: would show as |z| > Z_MAX; with fewer, the z-scores cannot tell, and the verdict says so.
RESOLUTION: Final = 0.10


def min_paths(profit_mean: float, profit_sd: float, resolution: float = RESOLUTION) -> int | None:
    """The fewest paths n with ``Z_MAX·sd·√(1/n + 1/1000) <= resolution·|mean|``; None if no n does."""
    room = (resolution * abs(profit_mean) / (Z_MAX * profit_sd)) ** 2 - 1 / PAPER_PATHS
    return math.ceil(1 / room) if room > 0 else None


def table_rows(study: Experiment, ledger: Ledger) -> list[Row]:
    """Per γ and strategy: ours (n, spread, profit mean/sd, final q mean/sd), then the paper's and the
    z-scores, or, against the model, how many runs equal the model run to the unit."""
    code = code_version()
    out = []
    for gamma, _ in study.rows:
        for strategy, _mode in study.strategies:
            specs = [s for g, st, s in study.specs if g == gamma and st == strategy]
            rows = [ledger.rows.get(s.key(code)) for s in specs]
            ok = [r for r in rows if r is not None and r.get("status") == "ok"]
            profit = summary(r["pnl_at_close"] for r in ok)
            final_q = summary(r["inventory_final"] for r in ok)
            row: Row = {
                "gamma": gamma,
                "strategy": strategy,
                **override_columns([s for s in study.sets if canonical_key(s.partition("=")[0]) not in (_RISK, _MODE)]),
                "paths": profit.n,
                "failed": len(specs) - len(ok),
                "spread": average_spread(study.scenario, specs[0].overrides),
                "profit_mean": profit.mean,
                "profit_sd": profit.sd,
                "final_q_mean": final_q.mean,
                "final_q_sd": final_q.sd,
            }
            if study.baseline == "model":
                row["model_equal"] = sum(
                    _equals_model(study.scenario, spec, r)
                    for spec, r in zip(specs, rows, strict=True)
                    if r is not None and r.get("status") == "ok"
                )
                out.append(row)
                continue
            spread, p_mean, p_sd, q_mean, q_sd = PAPER[gamma][strategy]
            row.update(
                {
                    "paper_spread": spread,
                    "paper_profit_mean": p_mean,
                    "paper_profit_sd": p_sd,
                    "paper_final_q_mean": q_mean,
                    "paper_final_q_sd": q_sd,
                    "min_paths": min_paths(p_mean, p_sd),
                }
            )
            n, m = profit.n, PAPER_PATHS
            if n >= 2 and profit.mean is not None and final_q.mean is not None and profit.sd and final_q.sd:
                # Under "same model", both estimates share the paper's sd (from 1,000 paths, the steadier).
                row["z_profit_mean"] = (profit.mean - p_mean) / (p_sd * math.sqrt(1 / n + 1 / m))
                row["z_profit_sd"] = (profit.sd - p_sd) / (p_sd * math.sqrt(1 / (2 * (n - 1)) + 1 / (2 * (m - 1))))
                row["z_final_q_mean"] = (final_q.mean - q_mean) / (q_sd * math.sqrt(1 / n + 1 / m))
                row["z_final_q_sd"] = (final_q.sd - q_sd) / (q_sd * math.sqrt(1 / (2 * (n - 1)) + 1 / (2 * (m - 1))))
            out.append(row)
    return out


def _equals_model(scenario: str, spec: RunSpec, row: Row) -> bool:
    """Whether the chain's run equals ``model_run`` on its path: the desk's cash change and final inventory."""
    cash, inventory = model_run(scenario, spec.overrides, spec.seed)
    return row.get("desk_cash_change_units") == cash and row.get("inventory_final_units") == inventory


_Z_KEYS = ("z_profit_mean", "z_profit_sd", "z_final_q_mean", "z_final_q_sd")


def reproduced(row: Row) -> bool:
    """Whether every z-score of ``row`` is within ``Z_MAX`` (against the model: every run equal to it)."""
    if "model_equal" in row:
        return bool(row["paths"]) and row["model_equal"] == row["paths"]
    zs = [row.get(k) for k in _Z_KEYS]
    return all(z is not None and abs(z) <= Z_MAX for z in zs)


def enough_paths(row: Row) -> bool:
    """Whether the row has the paths its claim needs (``min_paths``; the model's claim is exact, any n)."""
    needed = row.get("min_paths")
    return "model_equal" in row or (needed is not None and row["paths"] >= needed)


def _f(value: float | None, places: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def format_table(rows: Sequence[Row]) -> str:
    """The paper's table, ours beside the published values with the z-scores (or the model's count)."""
    model = any("model_equal" in r for r in rows)
    ours = (
        f"{'gamma':>5} {'strategy':<9} {'paths':>5} | {'spread':>6} {'profit':>7} {'sd':>6} {'final q':>7} {'sd':>5} "
    )
    head = ours + (
        "| model: runs equal to the unit"
        if model
        else f"| paper: {'spread':>6} {'profit':>6} {'sd':>5} {'q':>5} {'sd':>4} | z: profit, sd, q, sd"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        text = (
            f"{r['gamma']:>5g} {r['strategy']:<9} {r['paths']:>5} | {_f(r['spread']):>6} {_f(r['profit_mean']):>7} "
            f"{_f(r['profit_sd']):>6} {_f(r['final_q_mean']):>7} {_f(r['final_q_sd']):>5} "
        )
        if model:
            text += f"| {r['model_equal']} of {r['paths']}"
        else:
            zs = ", ".join(_f(r.get(k), 1) for k in _Z_KEYS)
            text += (
                f"| paper: {r['paper_spread']:>6.2f} {r['paper_profit_mean']:>6.1f} {r['paper_profit_sd']:>5.1f} "
                f"{r['paper_final_q_mean']:>5.2f} {r['paper_final_q_sd']:>4.1f} | {zs}"
            )
        lines.append(text + ("" if reproduced(r) else "  <- outside"))
    return "\n".join(lines)


def verdict(study: Experiment, rows: Sequence[Row]) -> tuple[str, bool, bool]:
    """(the verdict line, reproduced, enough paths)."""
    ok = bool(rows) and all(reproduced(r) for r in rows)
    if study.baseline == "model":
        runs = sum(r["paths"] for r in rows)
        equal = sum(r["model_equal"] for r in rows)
        text = f"not the paper's parameters: compared with the model run on the same paths; {equal} of {runs} runs " + (
            "equal it to the unit" if ok else "equal it to the unit (the others DIFFER)"
        )
        return text, ok, True
    short = [r for r in rows if not enough_paths(r)]
    if short:
        needed = max((r["min_paths"] or 0) for r in rows)
        worst = max(short, key=lambda r: r["min_paths"] or 0)
        text = (
            f"too few paths to support the claim: with {worst['paths']} paths a {RESOLUTION:.0%} deviation from the "
            f"published profit would hide in the Monte Carlo error (gamma {worst['gamma']:g} {worst['strategy']} "
            f"needs {worst['min_paths']}); run --paths {needed} or more"
        )
        return text + ("" if ok else "; even so, a z-score is outside"), False, False
    text = "reproduced within Monte Carlo error (every |z| <= 3)" if ok else "NOT within Monte Carlo error everywhere"
    return text, ok, True


_FIRST = ("gamma", "strategy")
SETUP = (
    "The paper's section 4: s = 100, T = 1, σ = 2, dt = 0.005, q₀ = 0, k = 1.5, A = 140; the inventory strategy "
    "quotes the optimal spread around the reservation price r = s − qγσ²(T − t), the symmetric strategy quotes that "
    "spread's average around the mid; 1,000 simulations per γ. On the chain: 200 steps of 1,095 s, an arithmetic path "
    "of 2 USD per √T, market orders arriving with probability min(1, A·dt·e^(−kδ)) per side and step, every fill "
    "signed, matched by the keeper and settled by the contracts (scripts/scenarios/avellaneda_stoikov.toml)."
)
SOURCE = "Paper: Avellaneda & Stoikov (2008), Quantitative Finance 8(3), Tables 1-3, pp. 222-223 (1,000 paths each)."


def result_rows(study: Experiment, ledger: Ledger) -> list[Row]:
    """One row per run the ledger holds: γ, strategy, every --set value, the run's figures."""
    code = code_version()
    fixed = override_columns([s for s in study.sets if canonical_key(s.partition("=")[0]) not in (_RISK, _MODE)])
    results = []
    for gamma, strategy, spec in study.specs:
        row = ledger.rows.get(spec.key(code))
        if row is not None:
            rest = {k: v for k, v in row.items() if k != "traceback"}
            results.append({"gamma": gamma, "strategy": strategy, **fixed, **rest})
    return results


def write_experiment(study: Experiment, out: Path, ledger: Ledger, wall_seconds: float | None = None) -> Outcome:
    """Writes ``table.*``, ``results.*`` and ``report.html``; returns the printed table."""
    from defi_int.research import report

    rows = table_rows(study, ledger)
    results = result_rows(study, ledger)
    report.write_tables(out, {"table": rows, "results": results})
    outcome = outcome_of(study, rows, results, wall_seconds)
    path = report.write_atomic(out / "report.html", experiment_html(study, rows, results, outcome))
    return Outcome(outcome.text + f"\nreport written to {path}", outcome.failed, outcome.reproduced, outcome.supported)


def outcome_of(study: Experiment, rows: Sequence[Row], results: Sequence[Row], wall_seconds: float | None) -> Outcome:
    failed = sum(r["failed"] for r in rows)
    run_seconds = math.fsum(r.get("run_seconds", 0.0) for r in results)
    text, ok, enough = verdict(study, rows)
    timing = f"{len(results)} runs, {run_seconds:,.0f} s of run time"
    if wall_seconds is not None:
        timing += f", {wall_seconds:,.0f} s wall for this invocation"
    lines = [format_table(rows), text + f"; {failed} failed runs; {timing}."]
    if study.baseline == "paper":
        lines.append(SOURCE)
    return Outcome("\n".join(lines), failed, ok, enough)


def experiment_html(study: Experiment, rows: Sequence[Row], results: Sequence[Row], outcome: Outcome) -> bytes:
    from defi_int.metrics import html
    from defi_int.research import report

    text, ok, enough = verdict(study, rows)
    sets = [f"--set {k} = {v}" for k, v in override_columns(study.sets).items()]
    overview = html.paragraph(f"Scenario {study.scenario}; it ran with:") + html.lines(
        [*(sets or ["no --set: the paper's parameters"]),
         f"gamma: {', '.join(f'{g:g} ({n} paths)' for g, n in study.rows)}",
         f"strategies: {', '.join(name for name, _ in study.strategies)}"], code=True
    ) + html.verdict(text, ok if enough else None)  # fmt: skip
    model = study.baseline == "model"
    columns = ["gamma", "strategy", "paths", "spread", "profit_mean", "profit_sd", "final_q_mean", "final_q_sd"]
    headers = {"profit_mean": "profit", "profit_sd": "profit sd", "final_q_mean": "final q", "final_q_sd": "final q sd"}
    if model:
        columns.append("model_equal")
        headers["model_equal"] = "runs equal to the model"
    else:
        columns += ["paper_spread", "paper_profit_mean", "paper_profit_sd", "paper_final_q_mean", "paper_final_q_sd",
                    *_Z_KEYS, "min_paths"]  # fmt: skip
        headers.update(
            {k: k.replace("paper_", "paper ").replace("_", " ") for k in columns if k.startswith(("paper_", "z_"))}
        )
        headers["min_paths"] = "paths needed"
    marks: dict[tuple[int, str], str] = {}
    for i, row in enumerate(rows):
        for key in _Z_KEYS:
            if row.get(key) is not None:
                marks[(i, key)] = "ok" if abs(row[key]) <= Z_MAX else "bad"
        if not model and not enough_paths(row):
            marks[(i, "paths")] = "warn"
    table = html.table(rows, columns, headers=headers, classes=marks, places=2)
    note = html.paragraph(
        "z: (ours − published) over the Monte Carlo error of the difference (ours over n paths, the paper's over "
        f"1,000, both with the published sd); reproduced when every |z| <= {Z_MAX:g}. Paths needed: the fewest with "
        f"which a {RESOLUTION:.0%} deviation of the mean profit would show.",
        "note",
    ) if not model else html.paragraph(
        "Against the model run (model_run): the desk's cash change and final inventory, to the unit.", "note"
    )  # fmt: skip
    groups = []
    for gamma, _ in study.rows:
        for strategy, _mode in study.strategies:
            values = [
                r["pnl_at_close"]
                for r in results
                if r["gamma"] == gamma and r["strategy"] == strategy and r.get("status") == "ok"
            ]
            published = None if model else PAPER[gamma][strategy]
            groups.append((f"γ {gamma:g} {strategy}", values, published and published[1], published and published[2]))
    sections = [
        html.Section("Overview", overview),
        html.Section("Table", table + note),
        html.Section("Profit per path", html.chart(report.profits_chart(groups), "profits")),
        html.Section("Every run", report.runs_table(results, _FIRST)),
    ]  # fmt: skip
    if not model:
        sections.insert(2, html.Section("Source", html.paragraph(SOURCE) + html.paragraph(SETUP)))
    return html.page("Avellaneda–Stoikov (2008)", sections)


# --------------------------------------------------------------------------- the model without a chain


def model_run(scenario_path: str | Path, overrides: Sequence[str], seed: int) -> tuple[int, int]:
    """(desk cash change in collateral units, final inventory in base units) of one path, without a chain.

    The runner's draws in its order (the path, then two exponentials per step), the keeper's
    pricing at each batch's time (one second into the step), one unit per fill, cash at the
    quoted price. For the shipped scenario's settings only (one market, one intensity population).
    """
    from defi_int.keeper.config import KeeperConfig
    from defi_int.keeper.pricing import desk_price
    from defi_int.market.amm import Pool
    from defi_int.market.ledger import notional
    from defi_int.market.paths import price_path
    from defi_int.orders.rules import amm_reference, meets_limit
    from defi_int.sim.scenario import load_scenario
    from defi_int.types import ONE

    scenario = load_scenario(scenario_path, overrides=overrides, seed=seed)
    (market,), (traders,) = scenario.markets, scenario.traders
    params = scenario.system_params()
    session = (scenario.start_time, scenario.time_of(scenario.steps))
    config = KeeperConfig.from_params(scenario.keeper, params, {market.id: market.volatility}, session)
    pricing = config.pricing[market.id]
    rng = np.random.default_rng(scenario.seed)
    path = price_path(market, market.price, scenario.steps, scenario.block_time, rng)
    pool = Pool(market.amm_base, params.amm_quote(market), market.amm_fee_bps)
    cash, inventory = 0, 0
    shift = math.log(traders.intensity)
    for step in range(scenario.steps):
        mark, now = path[step], scenario.time_of(step) + 1
        draws = rng.standard_exponential(2).tolist()
        start = inventory
        for side, trader_buys in enumerate((True, False)):
            distance = round((shift + draws[side]) / traders.decay * ONE)
            limit = max(1, mark + distance if trader_buys else mark - distance)
            size = traders.size_mean
            price = desk_price(trader_buys, size, mark, start, amm_reference(pool, trader_buys, size), pricing, now)
            if price is None or not meets_limit(trader_buys, price, limit):
                continue
            amount = notional(size, price, params.price_scale, is_buy=trader_buys)
            cash += amount if trader_buys else -amount
            inventory += -size if trader_buys else size
    return cash, inventory
