"""Benchmark: whole scenario runs, end to end, on the default backend and on py-evm in the same run.

Run with ``make bench-run`` or ``.venv/bin/python scripts/bench_run.py [SCENARIO ...] [--set K=V]
[--backend NAME | --rpc-url URL] [--pyevm-steps N] [--json PATH]``. For each scenario (default:
``basic.toml`` and ``bench_10k.toml``) it runs ``run_scenario`` on the backend under test (default:
the default of ``defi-int run``) and on py-evm, the reference, then prints wall time, orders per
second, steps per second, gas per fill and where the time went (setup, oracle posts, arbitrage,
order signing and intake, the keeper's step, recording), and the ratio of the two speeds.

``--policies none,gbdt`` compares the keeper's toxicity models instead, on the backend under test
only (``make bench-toxicity``): each scenario runs once per model (``keeper.toxicity_model``, on top
of ``--set``), the models interleaved ``--repeat`` times (in turn ABBA: the first model first in
even repeats, last in odd ones) so that a shared machine's load falls on all of them alike, and
prints each model's median orders per second and what it loses against the first model's (the
issue's bound: gbdt within 15 % of none on ``bench_10k.toml``): of the medians, and paired, the
median over the repeats of the loss between a repeat's two runs, which ran back to back, so that a
load drifting over minutes cancels within each pair; over the run's wall time and over the
process's CPU time (``time.process_time``: the work itself, which a shared machine's other
processes do not inflate), and over the CPU time of the process and its children
(the gbdt fits in a child process, ``keeper.toxicity_fit_lag``: ended after each run, so that its
CPU time, its start included, is counted: ``child_cpu_seconds``).

Every run also reports the process's peak resident memory so far (``resource.getrusage``'s
``ru_maxrss``, MiB: the records stream to disk, ``defi_int.metrics.spool``) and its time per order
(ms of wall and of CPU time). ``--no-reference`` runs the backend under test only: the million-order
run is ``make bench-million``, that is ``scripts/bench_run.py scripts/scenarios/bench_10k.toml
--set steps=100000 --no-reference --json out/bench_million.json`` (about 17 minutes of one core).
``--report DIR`` (with ``--no-reference``) also writes each run's report under ``DIR`` and adds
its time and the peak RSS after it (``report_seconds``, ``report_rss_mib``).

``--pyevm-steps N`` bounds the reference to the scenario's first N steps (the output says so);
the ratio then compares orders per second over different lengths. Gas per fill must be the same
on both backends over the same steps: when the reference is bounded, the backend under test is run
a second time over those N steps to compare it. It asserts nothing; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from defi_int import load_scenario, run_scenario, summarize, write_report
from defi_int.chain import BACKENDS, DEFAULT_BACKEND
from defi_int.keeper.toxicity.fitter import close_shared
from defi_int.keeper.toxicity.models import MODELS

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
DEFAULT = [SCENARIOS / "basic.toml", SCENARIOS / "bench_10k.toml"]
REFERENCE = "pyevm"
COLUMNS = (
    "scenario",
    "backend",
    "steps",
    "orders",
    "settled_fills",
    "wall_seconds",
    "orders_per_second",
    "orders_per_cpu_second",
    "ms_per_order",
    "peak_rss_mib",
    "gas_per_fill",
)


def measure(
    path: Path, overrides: list[str], backend: str | None, rpc_url: str | None, report: Path | None = None
) -> dict[str, Any]:
    scenario = load_scenario(path, overrides=overrides)
    name = rpc_url or backend
    print(f"running {scenario.name} ({scenario.steps} steps) on {name} ...", file=sys.stderr, flush=True)
    children = _children_cpu()
    cpu = time.process_time()
    result = run_scenario(scenario, backend=backend, rpc_url=rpc_url, progress=_progress(cpu))
    cpu = time.process_time() - cpu
    close_shared()  # the gbdt's fit process, if any: its CPU time is counted once it has ended
    child_cpu = _children_cpu() - children
    summary = summarize(result)
    wall = summary["wall_seconds"]
    run_rss = _peak_rss_mib()
    report_figures: dict[str, float] = {}
    if report is not None:
        print(f"writing the report to {report} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        write_report(result, report / f"{scenario.name}-{summary['backend']}")
        report_figures = {"report_seconds": round(time.perf_counter() - started, 2), "report_rss_mib": _peak_rss_mib()}
    return {
        "scenario": scenario.name,
        "backend": summary["backend"],
        "steps": scenario.steps,
        "orders": summary["orders_total"],
        "orders_filled": summary["orders_filled"],
        "settled_fills": summary["settled_fills"],
        "wall_seconds": round(wall, 2),
        "orders_per_second": round(summary["orders_per_second"], 2),
        "cpu_seconds": round(cpu, 2),  # this process's CPU time: blind to the other processes of a shared machine
        "orders_per_cpu_second": round(summary["orders_total"] / cpu, 2),
        "child_cpu_seconds": round(child_cpu, 2),  # the gbdt's fit process (and any other child)
        "orders_per_total_cpu_second": round(summary["orders_total"] / (cpu + child_cpu), 2),
        "ms_per_order": round(1000 * wall / summary["orders_total"], 4),
        "cpu_ms_per_order": round(1000 * cpu / summary["orders_total"], 4),
        # the process's peak so far, the summary included (a report's after it): later runs show the max of all
        "peak_rss_mib": run_rss,
        **report_figures,
        "steps_per_second": round(scenario.steps / wall, 2),
        "gas_per_fill": None if summary["gas_per_fill"] is None else round(summary["gas_per_fill"], 4),
        "phase_seconds": summary["phase_seconds"],
        "invariants_ok": summary["invariants_ok"],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _progress(cpu: float) -> Callable[[int, int], None]:
    """Prints a line at every tenth of a run of 10,000 steps or more: steps, CPU seconds, peak RSS."""

    def report(done: int, total: int) -> None:
        if total >= 10_000 and done % (total // 10) == 0:
            used = time.process_time() - cpu
            print(
                f"  {done:,}/{total:,} steps, {used:.0f} CPU s, peak RSS {_peak_rss_mib()} MiB",
                file=sys.stderr,
                flush=True,
            )

    return report


def _peak_rss_mib() -> float:
    """The process's peak resident memory so far (``ru_maxrss``, KiB on Linux), in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def compare(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The backend under test and the reference on one scenario, and how they compare."""
    if args.no_reference:
        return {"tested": measure(path, args.overrides, args.backend, args.rpc_url, args.report)}
    steps = load_scenario(path, overrides=args.overrides).steps
    bounded = args.pyevm_steps is not None and args.pyevm_steps < steps
    reference_overrides = [*args.overrides, f"steps={args.pyevm_steps}"] if bounded else args.overrides
    tested = measure(path, args.overrides, args.backend, args.rpc_url)
    reference = measure(path, reference_overrides, REFERENCE, None)
    same_steps = measure(path, reference_overrides, args.backend, args.rpc_url) if bounded else tested
    return {
        "tested": tested,
        "reference": reference,
        "reference_bounded": bounded,
        "speedup": round(tested["orders_per_second"] / reference["orders_per_second"], 2),
        "gas_per_fill_equal": same_steps["gas_per_fill"] == reference["gas_per_fill"],
        "gas_compared_over_steps": reference["steps"],
    }


def policies(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Each toxicity model on the backend under test, interleaved ``--repeat`` times; medians and losses."""
    models = args.policies
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in models}
    for repeat in range(args.repeat):
        for model in models if repeat % 2 == 0 else models[::-1]:  # ABBA: a drifting load falls on both
            overrides = [*args.overrides, "keeper.toxicity_routing=false", f"keeper.toxicity_model={model}"]
            runs[model].append(measure(path, overrides, args.backend, args.rpc_url))
    first = models[0]
    result: dict[str, Any] = {"scenario": runs[first][0]["scenario"], "runs": runs}
    for key, loss in _RATES:
        rates = {m: statistics.median(r[key] for r in runs[m]) for m in models}
        result[key] = rates
        result[loss] = {m: round(1 - rates[m] / rates[first], 4) for m in models}
        # each repeat's two runs ran back to back: the loss within the pair, then their median
        paired = {m: [1 - a[key] / b[key] for a, b in zip(runs[m], runs[first], strict=True)] for m in models}
        result[f"paired_{loss}"] = {m: round(statistics.median(v), 4) for m, v in paired.items()}
        result[f"paired_{loss}_each"] = {m: [round(x, 4) for x in v] for m, v in paired.items()}
    return result


#: Each speed a ``--policies`` comparison reports, and the name of its loss against the first model.
_RATES = (
    ("orders_per_second", "loss_vs_first"),
    ("orders_per_cpu_second", "cpu_loss_vs_first"),
    ("orders_per_total_cpu_second", "total_cpu_loss_vs_first"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="the backend under test")
    parser.add_argument("--rpc-url", default=None, help="test this node instead (the rpc backend)")
    parser.add_argument("--pyevm-steps", type=int, default=None, help="run the py-evm reference on the first N steps")
    parser.add_argument("--no-reference", action="store_true", help="run the backend under test only (no py-evm)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--report", type=Path, default=None, metavar="DIR", help="with --no-reference: also write each run's report"
    )
    parser.add_argument(
        "--policies",
        type=lambda text: text.split(","),
        default=None,
        metavar="M1,M2,...",
        help="compare these keeper.toxicity_model values on the backend under test (no py-evm reference)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="with --policies: runs of each model, interleaved")
    args = parser.parse_args(argv)
    if args.rpc_url is not None:
        args.backend = "rpc"
    if args.report is not None and not args.no_reference:
        parser.error("--report needs --no-reference")
    if args.policies is not None:
        unknown = [m for m in args.policies if m not in MODELS]
        if unknown or args.repeat < 1:
            parser.error(f"--policies: unknown model {unknown[0]!r}" if unknown else "--repeat must be >= 1")
        return _policies(args)
    load = os.getloadavg()
    results = [compare(path, args) for path in args.scenarios]
    end = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start, {end[0]:.2f} at the end")
    print("  ".join(f"{h:>17}" for h in COLUMNS))
    for result in results:
        for run in (result["tested"], result.get("reference")):
            if run is None:
                continue
            print("  ".join(f"{run[h]!s:>17}" for h in COLUMNS))
            phases = ", ".join(f"{k} {v:.1f}s" for k, v in run["phase_seconds"].items())
            print(f"  {run['backend']}: {phases}")
        if "reference" not in result:
            continue
        tested, reference = result["tested"], result["reference"]
        bound = f" (py-evm ran only the first {reference['steps']} of {tested['steps']} steps)"
        print(
            f"{tested['scenario']}: {tested['backend']} {tested['orders_per_second']} orders/s, "
            f"py-evm {reference['orders_per_second']} orders/s: {result['speedup']}x"
            f"{bound if result['reference_bounded'] else ''}; gas per fill over {result['gas_compared_over_steps']} "
            f"steps {'equal' if result['gas_per_fill_equal'] else 'DIFFERENT'}"
        )
    if args.json:
        _write_json(args.json, load, end, scenarios=results)
    return 0


def _policies(args: argparse.Namespace) -> int:
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores", flush=True)
    results = [policies(path, args) for path in args.scenarios]
    end = os.getloadavg()
    for result in results:
        first = args.policies[0]
        for model in args.policies:
            each = ", ".join(f"{r['orders_per_second']}" for r in result["runs"][model])
            each_cpu = ", ".join(f"{r['orders_per_cpu_second']}" for r in result["runs"][model])
            loss = "" if model == first else f"; loses {_loss(result, 'loss_vs_first', model)} against {first}"
            each_total = ", ".join(f"{r['orders_per_total_cpu_second']}" for r in result["runs"][model])
            cpu_loss = "" if model == first else f"; loses {_loss(result, 'cpu_loss_vs_first', model)}"
            total_loss = "" if model == first else f"; loses {_loss(result, 'total_cpu_loss_vs_first', model)}"
            pad = f"{'':<{len(result['scenario'])}} {'':<12}"
            print(
                f"{result['scenario']} {model:<12} median {result['orders_per_second'][model]:>8.1f} orders/s "
                f"of wall time (runs: {each}){loss}\n"
                f"{pad} median {result['orders_per_cpu_second'][model]:>8.1f} "
                f"orders/s of CPU time (runs: {each_cpu}){cpu_loss}\n"
                f"{pad} median {result['orders_per_total_cpu_second'][model]:>8.1f} "
                f"orders/s of CPU time with its children (runs: {each_total}){total_loss}"
            )
    print(f"load average at the end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}")
    if args.json:
        _write_json(args.json, load, end, policies=results)
    return 0


def _loss(result: dict[str, Any], loss: str, model: str) -> str:
    """A model's loss as printed: of the medians, and the median of the repeats' paired losses."""
    each = ", ".join(f"{x:.1%}" for x in result[f"paired_{loss}_each"][model])
    return f"{result[loss][model]:.1%} (paired: median {result[f'paired_{loss}'][model]:.1%} of {each})"


def _write_json(path: Path, load: tuple[float, ...], end: tuple[float, ...], **figures: Any) -> None:
    """The figures at ``path``, with the Python, the machine and the load around them."""
    report = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average": {"start": load, "end": end},
        **figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
