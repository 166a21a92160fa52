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

``model_run`` replays one path of the same scenario without a chain: the same draws, the same
pricing functions, the fills the model implies. A test holds the chain's result equal to it, to
the unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from defi_int.exceptions import ScenarioError
from defi_int.research.runs import Ledger, Row, RunSpec, code_version, read_spec
from defi_int.research.stats import summary

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
    specs: tuple[tuple[float, str, RunSpec], ...]  # (γ, strategy, spec)


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: int
    reproduced: bool


def plan_experiment(scenario: Path | None, paths: int | None, sets: Sequence[str]) -> Experiment:
    """One spec per γ, strategy and path (seeds shared by the strategies); everything checked first."""
    from defi_int.sim.scenario import load_scenario

    path = scenario or default_scenario()
    if not path.is_file():
        raise ScenarioError(str(path), None, "file not found (give the scenario with --scenario)")
    rows = tuple((gamma, paths or count) for gamma, count in ROWS)
    specs: list[tuple[float, str, RunSpec]] = []
    for gamma, count in rows:
        for strategy, mode in STRATEGIES:
            overrides = [*sets, f"keeper.risk_aversion={gamma}", f"keeper.pricing_mode={mode}"]
            base = load_scenario(path, overrides=overrides)
            base.with_seed(base.seed + count - 1)
            specs.extend((gamma, strategy, read_spec(path, overrides, base.seed + i)) for i in range(count))
    return Experiment(str(path), rows, tuple(specs))


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


def table_rows(study: Experiment, ledger: Ledger) -> list[Row]:
    """Per γ and strategy: ours (n, spread, profit mean/sd, final q mean/sd), the paper's, the z-scores."""
    code = code_version()
    out = []
    for gamma, _ in study.rows:
        for strategy, _mode in STRATEGIES:
            specs = [s for g, st, s in study.specs if g == gamma and st == strategy]
            rows = [ledger.rows.get(s.key(code)) for s in specs]
            ok = [r for r in rows if r is not None and r.get("status") == "ok"]
            profit = summary(r["pnl_at_close"] for r in ok)
            final_q = summary(r["inventory_final"] for r in ok)
            spread, p_mean, p_sd, q_mean, q_sd = PAPER[gamma][strategy]
            row: Row = {
                "gamma": gamma,
                "strategy": strategy,
                "paths": profit.n,
                "failed": len(specs) - len(ok),
                "spread": average_spread(study.scenario, specs[0].overrides),
                "profit_mean": profit.mean,
                "profit_sd": profit.sd,
                "final_q_mean": final_q.mean,
                "final_q_sd": final_q.sd,
                "paper_spread": spread,
                "paper_profit_mean": p_mean,
                "paper_profit_sd": p_sd,
                "paper_final_q_mean": q_mean,
                "paper_final_q_sd": q_sd,
            }
            n, m = profit.n, PAPER_PATHS
            if n >= 2 and profit.mean is not None and final_q.mean is not None and profit.sd and final_q.sd:
                # Under "same model", both estimates share the paper's sd (from 1,000 paths, the steadier).
                row["z_profit_mean"] = (profit.mean - p_mean) / (p_sd * math.sqrt(1 / n + 1 / m))
                row["z_profit_sd"] = (profit.sd - p_sd) / (p_sd * math.sqrt(1 / (2 * (n - 1)) + 1 / (2 * (m - 1))))
                row["z_final_q_mean"] = (final_q.mean - q_mean) / (q_sd * math.sqrt(1 / n + 1 / m))
                row["z_final_q_sd"] = (final_q.sd - q_sd) / (q_sd * math.sqrt(1 / (2 * (n - 1)) + 1 / (2 * (m - 1))))
            out.append(row)
    return out


_Z_KEYS = ("z_profit_mean", "z_profit_sd", "z_final_q_mean", "z_final_q_sd")


def reproduced(row: Row) -> bool:
    """Whether every z-score of ``row`` is within ``Z_MAX``."""
    zs = [row.get(k) for k in _Z_KEYS]
    return all(z is not None and abs(z) <= Z_MAX for z in zs)


def _f(value: float | None, places: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def format_table(rows: Sequence[Row]) -> str:
    """The paper's table, ours beside the published values, with the z-scores."""
    head = (
        f"{'gamma':>5} {'strategy':<9} {'paths':>5} | {'spread':>6} {'profit':>7} {'sd':>6} {'final q':>7} {'sd':>5} "
        f"| paper: {'spread':>6} {'profit':>6} {'sd':>5} {'q':>5} {'sd':>4} | z: profit, sd, q, sd"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        zs = ", ".join(_f(r.get(k), 1) for k in _Z_KEYS)
        lines.append(
            f"{r['gamma']:>5g} {r['strategy']:<9} {r['paths']:>5} | {_f(r['spread']):>6} {_f(r['profit_mean']):>7} "
            f"{_f(r['profit_sd']):>6} {_f(r['final_q_mean']):>7} {_f(r['final_q_sd']):>5} "
            f"| paper: {r['paper_spread']:>6.2f} {r['paper_profit_mean']:>6.1f} {r['paper_profit_sd']:>5.1f} "
            f"{r['paper_final_q_mean']:>5.2f} {r['paper_final_q_sd']:>4.1f} | {zs}"
            + ("" if reproduced(r) else "  <- outside")
        )
    return "\n".join(lines)


def write_experiment(study: Experiment, out: Path, ledger: Ledger, wall_seconds: float | None = None) -> Outcome:
    """Writes ``table.*``, ``results.*`` and ``report.html``; returns the printed table."""
    from defi_int.research import report

    rows = table_rows(study, ledger)
    code = code_version()
    results = []
    for gamma, strategy, spec in study.specs:
        row = ledger.rows.get(spec.key(code))
        if row is not None:
            results.append({"gamma": gamma, "strategy": strategy, **{k: v for k, v in row.items() if k != "traceback"}})
    report.write_tables(out, {"table": rows, "results": results})
    failed = sum(r["failed"] for r in rows)
    run_seconds = math.fsum(r.get("run_seconds", 0.0) for r in results)
    text = format_table(rows)
    ok = all(reproduced(r) for r in rows)
    verdict = (
        "reproduced within Monte Carlo error (every |z| <= 3)" if ok else "NOT within Monte Carlo error everywhere"
    )
    timing = f"{len(results)} runs, {run_seconds:,.0f} s of run time"
    if wall_seconds is not None:
        timing += f", {wall_seconds:,.0f} s wall for this invocation"
    source = (
        "Paper: Avellaneda & Stoikov (2008), Quantitative Finance 8(3), Tables 1-3, pp. 222-223 (1,000 paths each)."
    )
    lines = [text, verdict + f"; {failed} failed runs; {timing}.", source]
    sections = [
        ("Table", f"<pre>{report.escape(text)}</pre>" + report.paragraph(verdict)),
        ("Source", report.paragraph(source + " " + (__doc__ or "").split("\n\n")[1].replace("\n", " "))),
        ("Rows", report.html_table(rows)),
    ]
    path = report.write_atomic(out / "report.html", report.report_html("Avellaneda–Stoikov (2008)", sections, {}))
    lines.append(f"report written to {path}")
    return Outcome("\n".join(lines), failed, ok)


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
