"""Benchmark: a whole scenario run, end to end, on a real chain.

Run with ``make bench-run`` or ``.venv/bin/python scripts/bench_run.py [SCENARIO ...] [--set K=V]
[--json PATH] [--rpc-url URL]``. For each scenario (default: ``basic.toml`` and ``bench_10k.toml``)
it runs ``run_scenario`` once and prints the wall time, orders per second, steps per second, gas
per fill and where the time went (setup, oracle posts, arbitrage, order signing and intake, the
keeper's step, recording). It asserts nothing; ``--json`` writes the same figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

from defi_int import load_scenario, run_scenario, summarize

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
DEFAULT = [SCENARIOS / "basic.toml", SCENARIOS / "bench_10k.toml"]


def measure(path: Path, overrides: list[str], rpc_url: str | None) -> dict[str, Any]:
    scenario = load_scenario(path, overrides=overrides)
    print(f"running {scenario.name} ({scenario.steps} steps) ...", file=sys.stderr)
    summary = summarize(run_scenario(scenario, rpc_url=rpc_url))
    wall = summary["wall_seconds"]
    return {
        "scenario": scenario.name,
        "backend": summary["backend"],
        "steps": scenario.steps,
        "orders": summary["orders_total"],
        "orders_filled": summary["orders_filled"],
        "settled_fills": summary["settled_fills"],
        "wall_seconds": round(wall, 2),
        "orders_per_second": round(summary["orders_per_second"], 2),
        "steps_per_second": round(scenario.steps / wall, 2),
        "gas_per_fill": None if summary["gas_per_fill"] is None else round(summary["gas_per_fill"]),
        "phase_seconds": summary["phase_seconds"],
        "invariants_ok": summary["invariants_ok"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--rpc-url", default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    rows = [measure(path, args.overrides, args.rpc_url) for path in args.scenarios]
    header = ("scenario", "steps", "orders", "settled_fills", "wall_seconds", "orders_per_second", "gas_per_fill")
    print("  ".join(f"{h:>17}" for h in header))
    for row in rows:
        print("  ".join(f"{row[h]!s:>17}" for h in header))
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in row["phase_seconds"].items())
        print(f"  {row['scenario']}: {phases}")
    if args.json:
        report = {"python": platform.python_version(), "machine": platform.machine(), "runs": rows}
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
