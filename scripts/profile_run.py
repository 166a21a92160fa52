"""Profile: where a scenario run's time goes, function by function (cProfile, the standard library's).

Run with ``.venv/bin/python scripts/profile_run.py [SCENARIO] [--set K=V] [--backend NAME]
[--top N] [--sort tottime|cumtime] [--out PATH]``. It runs ``run_scenario`` once under cProfile
(default: ``bench_10k.toml`` on the default backend), then prints the run's phases (as
``summary.json``'s ``phase_seconds``), the CPU seconds of the process, and the ``--top`` functions by
``--sort``; ``--out`` keeps the raw profile for ``python -m pstats`` or snakeviz. cProfile slows a
run by about a third and weighs many small calls more than few long ones: compare phases and
orders of magnitude, not the last percent; ``scripts/bench_run.py`` gives the speed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

from defi_int import load_scenario, run_scenario
from defi_int.chain import BACKENDS, DEFAULT_BACKEND

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=SCENARIOS / "bench_10k.toml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND)
    parser.add_argument("--top", type=int, default=40, help="functions to print")
    parser.add_argument("--sort", choices=("tottime", "cumtime"), default="tottime")
    parser.add_argument("--out", type=Path, default=None, help="write the raw profile here")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario, overrides=args.overrides)
    print(f"profiling {scenario.name} ({scenario.steps} steps) on {args.backend} ...", file=sys.stderr, flush=True)
    profile = cProfile.Profile()
    cpu = time.process_time()
    result = profile.runcall(run_scenario, scenario, backend=args.backend)
    cpu = time.process_time() - cpu
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.phase_seconds.items())
    print(f"{result.orders_total} orders, wall {result.wall_seconds:.1f}s, cpu {cpu:.1f}s: {phases}")
    if args.out is not None:
        profile.dump_stats(args.out)
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
