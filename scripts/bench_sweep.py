"""Benchmark: a sweep of 8 cells × 20 seeds of basic.toml on Dask, against a plain process pool, and its scaling.

Every mode runs the same specs from an empty ledger (nothing is skipped): the grid
``keeper.half_spread_bps = 2, 5, 10, 20`` × ``keeper.risk_aversion = 1, 3`` over ``--seeds`` seeds.

- ``dask-K``: ``engine.run_specs`` on a LocalCluster of K worker processes (K in ``--workers``),
  cluster start-up and shutdown included;
- ``pool-2``: ``concurrent.futures.ProcessPoolExecutor`` of 2 processes mapping ``runs.execute``
  over the same specs, the same rows appended to a ledger: the floor Dask is measured against.

Prints wall time, runs per minute, Dask's overhead over the pool (wall and per run) and the speed-up
from 1 to 2 workers; ``--json PATH`` writes the figures. ``--steps N`` shortens each run (the
default is the scenario's 240 steps: about 20 s a run on py-evm, so the whole benchmark takes over
an hour on 2 cores). Timing lives here, never in the tests.

    python scripts/bench_sweep.py [--seeds 20] [--steps N] [--workers 1,2] [--json out/bench_sweep.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from defi_int.research.engine import run_specs
from defi_int.research.runs import Ledger, RunSpec, code_version, execute
from defi_int.research.sweep import plan_sweep

BASIC = Path(__file__).resolve().parent / "scenarios" / "basic.toml"
GRID = ["keeper.half_spread_bps=2,5,10,20", "keeper.risk_aversion=1,3"]


def _pool(specs: list[RunSpec], ledger: Ledger, processes: int) -> None:
    code = code_version()
    with ProcessPoolExecutor(processes) as pool:
        for row in pool.map(execute, specs, [code] * len(specs)):
            ledger.append(row)


def measure(mode: str, specs: list[RunSpec], workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "runs.jsonl")
        started = time.perf_counter()
        if mode == "dask":
            run_specs(specs, ledger, workers=workers)
        else:
            _pool(specs, ledger, workers)
        wall = time.perf_counter() - started
        rows = list(ledger.rows.values())
    ok = sum(r["status"] == "ok" for r in rows)
    run_seconds = sum(r.get("run_seconds", 0.0) for r in rows)
    return {
        "mode": f"{mode}-{workers}",
        "runs": len(rows),
        "ok": ok,
        "wall_seconds": wall,
        "runs_per_minute": len(rows) / wall * 60,
        "run_seconds_total": run_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=None, help="steps per run (default: the scenario's)")
    parser.add_argument("--workers", default="1,2", help="Dask worker counts to measure (default 1,2)")
    parser.add_argument("--no-pool", action="store_true", help="skip the process-pool reference")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sets = [] if args.steps is None else [f"steps={args.steps}"]
    sweep = plan_sweep(BASIC, GRID, sets, args.seeds)
    specs = [spec for _, spec in sweep.specs]
    print(f"basic.toml: {len(sweep.cells())} cells x {args.seeds} seeds = {len(specs)} runs, steps {args.steps or 240}")
    results = []
    for workers in (int(w) for w in args.workers.split(",")):
        results.append(measure("dask", specs, workers))
        print(_line(results[-1]))
    if not args.no_pool:
        results.append(measure("pool", specs, 2))
        print(_line(results[-1]))
    by = {r["mode"]: r for r in results}
    figures: dict[str, Any] = {"runs": len(specs), "steps": args.steps or 240, "modes": results}
    if "dask-2" in by and "pool-2" in by:
        overhead = by["dask-2"]["wall_seconds"] - by["pool-2"]["wall_seconds"]
        figures["dask_overhead_seconds"] = overhead
        figures["dask_overhead_per_run_seconds"] = overhead / len(specs)
        figures["dask_overhead_fraction"] = overhead / by["pool-2"]["wall_seconds"]
        print(f"Dask over the process pool (2 workers): {overhead:+.1f} s, {overhead / len(specs):+.3f} s per run")
    if "dask-1" in by and "dask-2" in by:
        figures["speedup_1_to_2_workers"] = by["dask-1"]["wall_seconds"] / by["dask-2"]["wall_seconds"]
        print(f"speed-up from 1 to 2 workers: {figures['speedup_1_to_2_workers']:.2f}x")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.json}")


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['mode']:<8} {result['runs']} runs ({result['ok']} ok) in {result['wall_seconds']:.1f} s: "
        f"{result['runs_per_minute']:.1f} runs/min; {result['run_seconds_total']:.0f} s inside the runs"
    )


if __name__ == "__main__":
    main()
