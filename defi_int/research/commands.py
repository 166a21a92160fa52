"""The research subcommands of ``defi-int``: ``sweep``, ``compare`` and ``experiment`` (a paper's, or ``toxicity``).

``add_commands(sub)`` adds their parsers to the CLI's; ``run_command(args)`` runs one through the
Python API (``research.api``: ``sweep``, ``compare``, ``experiment``) and prints what it returns.
Every input is checked before anything runs (the scenario, each ``--set``, each ``--grid`` value
and cell, each policy, ``--seeds``, ``--workers``, ``--scheduler``, ``--out`` and the study it
holds, ``--force`` to take it over); a problem is one line and exit code 2, raised as a
``ConfigError`` for ``defi_int.cli`` to print. Runs go to Dask (a ``LocalCluster`` of ``--workers``
processes, or the scheduler at ``--scheduler``), whose dashboard address is printed; progress is a
bar on a terminal, else a line per few runs with the rate and an ETA. Exit code 0 when every run
finished ``ok``, 1 when any failed (the tables and report say which).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_FAILED = 1
_SCHEDULER = re.compile(r"^(tcp|tls|inproc|ws|wss)://[^\s/]+(:\d{1,5})?$")


def _workers(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"must be a whole number within 1..256, got {text!r}")
    return value


def _seeds(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"must be a whole number within 1..1000000, got {text!r}")
    return value


def _number(low: float, high: float, what: str, *, open_high: bool = False) -> Callable[[str], float]:
    """An argparse type: a number within ``low..high`` (``high`` itself excluded when ``open_high``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (low <= value < high if open_high else low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


_share = _number(0, 1, "a number within [0, 1)", open_high=True)
_bps = _number(0, 10_000, "a number of bps within 0..10000")


def _scheduler(text: str) -> str:
    if not _SCHEDULER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected an address like tcp://127.0.0.1:8786, got {text!r}")
    return text


def _common(parser: argparse.ArgumentParser, *, seeds: bool = True) -> None:
    if seeds:
        parser.add_argument(
            "--seeds", type=_seeds, required=True, help="runs per cell: the scenario's seed, +1, +2 ..."
        )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_workers, default=2, help="processes of the local Dask cluster (default 2)")
    where.add_argument("--scheduler", type=_scheduler, default=None, help="a running Dask scheduler, tcp://HOST:PORT")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override for every run"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress (a bar on a terminal, else a line per few runs)"
    )
    parser.add_argument(
        "--force", action="store_true", help="run in an --out that holds another study (its ledger is kept)"
    )


def add_commands(sub: Any) -> None:
    """Adds ``sweep``, ``compare`` and ``experiment`` to the CLI's subparsers."""
    sweep = sub.add_parser("sweep", help="run a grid of overrides x seeds on Dask; tables, plots and a report")
    sweep.add_argument("scenario", type=Path, help="the scenario file")
    sweep.add_argument(
        "--grid", action="append", default=[], metavar="KEY=V1,V2,...", help="one axis of the grid (repeatable)"
    )
    sweep.add_argument("--out", type=Path, required=True, help="the study directory (rerun to resume)")
    _common(sweep)

    compare = sub.add_parser("compare", help="A/B of two keeper policies on identical order flow, paired over seeds")
    compare.add_argument("scenario", type=Path, help="the scenario file")
    compare.add_argument("--a", dest="a", action="append", default=[], metavar="KEY=VALUE", help="policy A's override")
    compare.add_argument("--b", dest="b", action="append", default=[], metavar="KEY=VALUE", help="policy B's override")
    compare.add_argument("--out", type=Path, required=True, help="the study directory (rerun to resume)")
    _common(compare)

    experiment = sub.add_parser("experiment", help="an experiment through the project: a paper's, or the desk's own")
    kinds = experiment.add_subparsers(dest="name", required=True, metavar="{avellaneda-stoikov,toxicity}")
    paper = kinds.add_parser("avellaneda-stoikov", help="Avellaneda & Stoikov (2008), Tables 1-3, on chain")
    paper.add_argument("--out", type=Path, required=True, help="the study directory (rerun to resume)")
    paper.add_argument(
        "--paths",
        type=_seeds,
        default=None,
        help="paths per row instead of the paper's (1,000 at gamma = 0.1, 200 for the others)",
    )
    paper.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help="the scenario (default scripts/scenarios/avellaneda_stoikov.toml beside the package)",
    )
    _common(paper, seeds=False)
    toxicity = kinds.add_parser(
        "toxicity", help="none, trader_rule, logistic and gbdt on identical flow, tuned and evaluated on disjoint seeds"
    )
    toxicity.add_argument(
        "cases",
        nargs="*",
        metavar="SCENARIO",
        help="a scenario file, or FILE:KEY=VALUE,... with overrides of its own (default: the shipped cases)",
    )
    toxicity.add_argument("--out", type=Path, required=True, help="the study directory (rerun to resume)")
    toxicity.add_argument("--seeds", type=_seeds, default=8, help="evaluation seeds per case (default 8)")
    toxicity.add_argument("--tune-seeds", type=_seeds, default=2, help="tuning seeds per case (default 2)")
    toxicity.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="the values the tuning tries for one threshold, the first to start from (repeatable)",
    )
    toxicity.add_argument(
        "--fair-volume",
        type=_share,
        default=0.02,
        help="the share of the uninformed traders' internal volume a tuned policy may lose against none (0.02)",
    )
    toxicity.add_argument(
        "--fair-spread",
        type=_bps,
        default=math.inf,
        help="how far (bps) a tuned policy may raise their average effective spread against none (default: no bound)",
    )
    toxicity.add_argument(
        "--variant",
        action="append",
        default=None,
        metavar="NAME=MODEL:KEY=VALUE,...",
        help="a policy besides the four: MODEL with these thresholds held (default: "
        "gbdt_no_widen=gbdt:keeper.toxicity_max_widen_bps=0)",
    )
    _common(toxicity, seeds=False)


def run_command(args: argparse.Namespace) -> int:
    """Runs ``args.command``; see the module docstring for exit codes."""
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "sweep": _sweep,
        "compare": _compare,
        "experiment": _experiment,
    }
    return handlers[args.command](args)


def _where(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "out": args.out,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "progress": not args.no_progress,
        "force": args.force,
    }


def _sweep(args: argparse.Namespace) -> int:
    from defi_int.research.api import sweep

    found = sweep(args.scenario, args.grid, seeds=args.seeds, sets=args.overrides, **_where(args))
    print(found.text)
    return EXIT_FAILED if found.failed else 0


def _compare(args: argparse.Namespace) -> int:
    from defi_int.research.api import compare

    found = compare(args.scenario, args.a, args.b, seeds=args.seeds, sets=args.overrides, **_where(args))
    print(found.text)
    return EXIT_FAILED if found.failed or not found.identical else 0


def _experiment(args: argparse.Namespace) -> int:
    if args.name == "toxicity":
        return _toxicity(args)
    from defi_int.research.api import experiment

    found = experiment(args.name, paths=args.paths, sets=args.overrides, scenario=args.scenario, **_where(args))
    print(found.text)
    return EXIT_FAILED if found.failed else 0


def _toxicity(args: argparse.Namespace) -> int:
    from defi_int.research.api import toxicity_experiment

    found = toxicity_experiment(
        args.cases,
        seeds=args.seeds,
        tune_seeds=args.tune_seeds,
        grid=args.grid,
        fair_volume=args.fair_volume,
        fair_spread_bps=args.fair_spread,
        variants=args.variant,
        sets=args.overrides,
        **_where(args),
    )
    print(found.text)
    return EXIT_FAILED if found.failed or not found.identical else 0
