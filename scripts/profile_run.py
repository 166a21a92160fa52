"""Profile: where a scenario run's time goes, function by function (cProfile, the standard library's).

Run with ``.venv/bin/python scripts/profile_run.py [SCENARIO] [--set K=V] [--backend NAME]
[--top N] [--sort tottime|cumtime] [--out PATH] [--json PATH]``. It runs ``run_scenario`` once under
cProfile (default: ``bench_10k.toml`` on the default backend), then prints the run's phases (as
``summary.json``'s ``phase_seconds``), the CPU seconds of the process, where the time went by part
of the system (each function's own time, grouped by ``PARTS``: the EVM's batched reads and its
transactions, signatures, the keeper's planning, validation ...), and the ``--top`` functions by
``--sort``; ``--out`` keeps the raw profile for ``python -m pstats`` or snakeviz, ``--json`` writes
the phases and the parts. cProfile slows a
run by about a third and weighs many small calls more than few long ones: compare phases and
orders of magnitude, not the last percent; ``scripts/bench_run.py`` gives the speed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

from defi_int import load_scenario, run_scenario
from defi_int.chain import BACKENDS, DEFAULT_BACKEND

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

#: The parts of the system a function's own time is counted in: the first whose pattern is in the
#: function's file (or, for built-ins, its name) wins; the rest is "Python and other libraries".
PARTS: tuple[tuple[str, str], ...] = (
    ("method 'deploy' of 'builtins.EVM'", "EVM: batched view reads (BatchRead)"),
    ("method 'message_call' of 'builtins.EVM'", "EVM: transactions"),
    ("builtins.EVM", "EVM: journal and state (pyrevm)"),
    ("_libsecp256k1", "secp256k1: signing and recovering"),
    ("pysha3", "keccak"),
    ("defi_int/chain/revm.py", "revm node in Python (post-state, blocks)"),
    ("defi_int/chain/", "chain I/O in Python (encoding, reads, receipts)"),
    ("defi_int/keeper/toxicity/", "toxicity model (features, scoring, fits)"),
    ("lightgbm", "toxicity model (features, scoring, fits)"),
    ("defi_int/keeper/", "keeper: planning, audit, watch"),
    ("defi_int/orders/", "orders: digests, signatures, validation"),
    ("defi_int/market/", "ledger mirror (margin, funding, AMM math)"),
    ("defi_int/sim/", "simulator: agents, runner, recorder"),
    ("defi_int/metrics/", "records and metrics"),
    ("site-packages/web3", "web3, eth-abi, eth-utils, rlp"),
    ("site-packages/eth", "web3, eth-abi, eth-utils, rlp"),
    ("site-packages/rlp", "web3, eth-abi, eth-utils, rlp"),
    ("site-packages/numpy", "numpy"),
)
OTHER = "Python and other libraries"


def parts(stats: pstats.Stats) -> dict[str, float]:
    """Each part's own time in seconds (``PARTS``), largest first. A function no pattern names (a
    built-in such as ``dict.get``, the standard library's ``copy``) is counted in its callers' parts,
    in proportion to the time each call site spent in it."""
    table = stats.stats  # type: ignore[attr-defined]

    def part_of(func: tuple[str, int, str]) -> str | None:
        filename, _, name = func
        where = filename if filename != "~" else name
        return next((label for pattern, label in PARTS if pattern in where), None)

    totals: dict[str, float] = {}
    for func, (_, _, own, _, callers) in table.items():
        part = part_of(func)
        if part is None and callers:
            spent = sum(entry[2] for entry in callers.values()) or 1.0
            for caller, entry in callers.items():
                label = part_of(caller) or OTHER
                totals[label] = totals.get(label, 0.0) + own * entry[2] / spent
            continue
        label = part or OTHER
        totals[label] = totals.get(label, 0.0) + own
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=SCENARIOS / "bench_10k.toml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND)
    parser.add_argument("--top", type=int, default=40, help="functions to print")
    parser.add_argument("--sort", choices=("tottime", "cumtime"), default="tottime")
    parser.add_argument("--out", type=Path, default=None, help="write the raw profile here")
    parser.add_argument("--json", type=Path, default=None, help="write the phases and parts here")
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
    stats = pstats.Stats(profile)
    shares = parts(stats)
    total = sum(shares.values())
    print("\nwhere the time went (each function's own time, by part; cProfile inflates Python calls):")
    for label, seconds in shares.items():
        print(f"  {label:<50} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    if args.json is not None:
        figures = {
            "scenario": scenario.name,
            "backend": args.backend,
            "orders": result.orders_total,
            "cpu_seconds": round(cpu, 3),
            "phase_seconds": {k: round(v, 3) for k, v in result.phase_seconds.items()},
            "part_seconds": {k: round(v, 3) for k, v in shares.items()},
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
