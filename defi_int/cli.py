"""Command line: ``defi-int run SCENARIO`` runs a scenario on a chain and writes its report.

Exit codes: 0 done; 1 a run failed (a node stopped answering, a transaction failed unexpectedly);
2 bad input (the scenario file or a ``--set`` override), with one line naming the key and what is
wrong with it; 130 interrupted. Nothing is written to the output directory until the run is over.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from defi_int.chain import BACKENDS, DEFAULT_BACKEND
from defi_int.exceptions import ConfigError, DefiIntError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="defi-int", description="An internalizing desk for on-chain derivatives.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario (TOML) on the embedded chain or a node and write its report")
    run.add_argument("scenario", type=Path, help="the scenario file, e.g. scripts/scenarios/basic.toml")
    run.add_argument("--out", type=Path, default=None, help="report directory (default: out/<scenario name>)")
    run.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help=f"the chain: {', '.join(BACKENDS)} (default: the scenario's [chain] backend, else {DEFAULT_BACKEND})",
    )
    run.add_argument("--rpc-url", default=None, help="run against this JSON-RPC node (the rpc backend)")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set keeper.half_spread_bps=8 --set markets[0].volatility=1.2",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        print(f"defi-int: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DefiIntError as exc:
        print(f"defi-int: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("defi-int: interrupted; no report was written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from defi_int.sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, overrides=args.overrides, seed=args.seed)
    from defi_int.metrics.report import write_report
    from defi_int.sim.runner import choose_backend, run_scenario

    choose_backend(scenario, args.backend, args.rpc_url)  # a bad combination fails before anything starts

    out = args.out or Path("out") / scenario.name
    console = Console(stderr=True)
    if args.no_progress:
        result = run_scenario(scenario, backend=args.backend, rpc_url=args.rpc_url)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn(f"[bold]{scenario.name}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("run", total=scenario.steps)
            result = run_scenario(
                scenario,
                backend=args.backend,
                rpc_url=args.rpc_url,
                progress=lambda done, total: bar.update(task, completed=done),
            )
    soft = scenario.keeper.soft_limit
    paths = write_report(
        result,
        out,
        scenario=scenario.to_dict(),
        caps={m.id: m.inventory_cap for m in scenario.markets},
        soft_limits=None if soft is None else {m.id: soft for m in scenario.markets},
    )
    from defi_int.metrics.summary import summarize

    summary = summarize(result)
    rate = summary.get("internalization_rate")
    print(
        f"{summary['orders_total']} orders, {summary['orders_filled']} filled, "
        f"{summary['orders_rejected']} rejected; internalization "
        f"{'-' if rate is None else f'{rate:.1%}'}; PnL {summary['pnl_total']:,.2f}; "
        f"invariants {'ok' if summary['invariants_ok'] else 'BROKEN'}; "
        f"{summary['wall_seconds']:.1f} s ({summary['orders_per_second']:.1f} orders/s)"
    )
    print(f"report written to {paths.get('report.html', out / 'report.html')}")
    return 0 if summary["invariants_ok"] else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
