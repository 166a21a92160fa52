"""Command line: ``defi-int run SCENARIO`` runs a scenario on a chain and writes its report;
``defi-int report execution RUN_DIR`` (or ``--db JOURNAL --out DIR``) rebuilds its execution-quality,
routing, segment and audit files from a run's directory or a keeper's journal;
``defi-int params`` lists every scenario key with its default, range, unit and on-chain type;
``defi-int sweep``, ``compare`` and ``experiment`` run studies of many runs on Dask
(``defi_int.research.commands``).

The keeper bot (``defi_int.bot``): ``defi-int deploy`` puts the protocol on a node and writes a
deployment file; ``defi-int keeper`` runs the order API and the keeper's loop against it until
SIGTERM/SIGINT; ``defi-int keeper report`` writes the report of a keeper's journal; ``defi-int
traders`` plays a scenario's traders, oracle and arbitrageur against a running keeper. Keys come
from ``DEFI_INT_OWNER_KEY`` / ``DEFI_INT_KEEPER_KEY`` or ``--key-file``, never from a flag.

Everything the user gives is checked before anything is deployed: the scenario file and its
``--set`` overrides (every value against what the contracts take), ``--rpc-url``, and the report
directory (``--out``, default ``out/<scenario name>``: not under a file, not a file, writable, and
either new or an earlier report, which the new one replaces whole; a directory holding anything
else is refused, never emptied). The report is written at the end, all at once.

Exit codes: 0 done; 1 a run failed (a node stopped answering, a transaction failed unexpectedly,
every order was rejected, an invariant broke); 2 bad input (the scenario, an override, an option
or the output directory), with one line naming the file or option, the key and what is wrong;
130 interrupted. Nothing is written when the exit code is 2, or 1 before the report.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any, NoReturn

from defi_int.bot.errors import KeeperConflict
from defi_int.chain import BACKENDS, DEFAULT_BACKEND
from defi_int.exceptions import ConfigError, DefiIntError, ScenarioError, ScenarioWarning

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} -h)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="defi-int", description="An internalizing desk for on-chain derivatives.")
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
    run.add_argument(
        "--no-progress", action="store_true", help="no progress (a bar on a terminal, else a line per few steps)"
    )
    sub.add_parser("params", help="list every scenario key: default, range, unit and on-chain type")
    report = sub.add_parser("report", help="rebuild a report section from a run directory or a keeper's journal")
    sections = report.add_subparsers(dest="section", required=True)
    execution = sections.add_parser(
        "execution", help="execution quality (Rule 605 form), routing (Rule 606 form), segments and audits"
    )
    execution.add_argument("run_dir", type=Path, nargs="?", help="a run's report directory (defi-int run --out)")
    execution.add_argument("--db", type=Path, default=None, help="a keeper's journal instead of a run directory")
    execution.add_argument("--out", type=Path, default=None, help="where to write (default: RUN_DIR itself)")
    from defi_int.research.commands import add_commands

    add_commands(sub)  # sweep, compare, experiment (defi_int/research)
    _bot_commands(sub)
    return parser


def _bot_commands(sub: Any) -> None:
    key_help = "a TOML key file (chmod 600) with owner_key / keeper_key; else DEFI_INT_OWNER_KEY / DEFI_INT_KEEPER_KEY"
    deploy = sub.add_parser("deploy", help="deploy the protocol on a node and write a deployment file")
    deploy.add_argument("--rpc-url", required=True, help="the node's JSON-RPC URL")
    deploy.add_argument("--out", type=Path, required=True, help="the deployment file to write, e.g. deployment.json")
    deploy.add_argument("--config", type=Path, default=None, help="a scenario file: its [protocol] and [[markets]]")
    deploy.add_argument("--key-file", type=Path, default=None, help=key_help)
    keeper = sub.add_parser("keeper", help="run the keeper bot (order API and loop) until SIGTERM/SIGINT")
    keeper.add_argument("--rpc-url", help="the node's JSON-RPC URL")
    keeper.add_argument("--deployment", type=Path, help="the deployment file (defi-int deploy)")
    keeper.add_argument("--config", type=Path, default=None, help="keeper file: [keeper] [bot] [api] [breakers]")
    keeper.add_argument("--db", type=Path, default=Path("keeper.sqlite"), help="the journal (SQLite file)")
    keeper.add_argument("--listen", default="127.0.0.1:8700", help="where the API listens (HOST:PORT)")
    keeper.add_argument("--key-file", type=Path, default=None, help=key_help)
    keeper.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    keeper.add_argument("--log-format", default="text", choices=("text", "json"), help="JSON lines for a log shipper")
    keeper.add_argument(
        "--recover",
        action="store_true",
        help="take in this keeper's transactions the chain holds and the journal lacks (says what it could not)",
    )
    keeper_sub = keeper.add_subparsers(dest="keeper_command")
    report = keeper_sub.add_parser("report", help="write the report of a keeper's journal")
    report.add_argument("--db", type=Path, required=True, dest="report_db", help="the journal (SQLite file)")
    report.add_argument("--out", type=Path, required=True, help="the report directory")
    traders = sub.add_parser("traders", help="play a scenario's traders, oracle and arbitrageur against a keeper")
    traders.add_argument("--api", required=True, help="the keeper's API, e.g. http://127.0.0.1:8700")
    traders.add_argument("--deployment", type=Path, required=True, help="the deployment file")
    traders.add_argument("--scenario", type=Path, required=True, help="the scenario file whose agents to play")
    traders.add_argument("--duration", type=float, default=60.0, help="seconds to run (default 60)")
    traders.add_argument("--rpc-url", default=None, help="the node (default: the one the keeper's API names)")
    traders.add_argument("--step-seconds", type=float, default=1.0, help="wall seconds per scenario step")
    traders.add_argument("--key-file", type=Path, default=None, help=key_help)
    traders.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    traders.add_argument("--workers", type=int, default=8, help="client threads posting orders (default 8)")
    _tool_commands(sub, key_help)


def _tool_commands(sub: Any, key_help: str) -> None:
    """``fund``, ``order sign|post|status|list|cancel`` and ``status`` (``defi_int.bot.tools``)."""
    fund = sub.add_parser("fund", help="deposit margin for an account (the owner mints the test token first)")
    fund.add_argument("--deployment", type=Path, required=True, help="the deployment file")
    fund.add_argument("--account", required=True, help="the account to credit, e.g. a trader's address")
    fund.add_argument("--amount", required=True, help="whole tokens, e.g. 10000 or 2500.5")
    fund.add_argument("--rpc-url", default=None, help="the node (default: the deployment file's)")
    fund.add_argument("--no-mint", action="store_true", help="deposit from the owner's tokens instead of minting")
    fund.add_argument("--key-file", type=Path, default=None, help=key_help)
    order = sub.add_parser("order", help="sign, post, read and cancel orders on a keeper's API")
    verbs = order.add_subparsers(dest="order_command", required=True)
    sign = verbs.add_parser("sign", help="sign an order in the deployment's EIP-712 domain; prints the POST body")
    sign.add_argument("--deployment", type=Path, required=True, help="the deployment file (its domain)")
    sign.add_argument("--market", type=int, default=0, help="the market id (default 0)")
    sign.add_argument("--side", required=True, choices=("buy", "sell"))
    sign.add_argument("--size", required=True, help="base units as a person writes them, e.g. 1.5 (signed x 1e18)")
    sign.add_argument("--limit-price", required=True, help="USD per base unit, e.g. 2010 (signed x 1e18)")
    sign.add_argument("--expiry-in", type=int, default=600, help="seconds from now it stays valid (default 600)")
    sign.add_argument("--expiry", type=int, default=None, help="unix seconds instead of --expiry-in")
    sign.add_argument("--nonce", type=int, default=None, help="any unused nonce (default: microseconds now)")
    sign.add_argument("--max-fee-bps", type=int, default=30, help="the highest fee accepted (default 30)")
    sign.add_argument("--no-amm", action="store_true", help="never route the order to the AMM")
    sign.add_argument("--out", type=Path, default=None, help="write the body there instead of printing it")
    sign.add_argument(
        "--key-file", type=Path, default=None, help="a key file with trader_key; else DEFI_INT_TRADER_KEY"
    )
    post = verbs.add_parser("post", help="POST a signed order (the output of order sign) to the keeper")
    post.add_argument("--api", required=True, help="the keeper's API, e.g. http://127.0.0.1:8700")
    post.add_argument("file", nargs="?", default="-", help="the signed order (JSON); - or nothing: standard input")
    status = verbs.add_parser("status", help="an order's status, fills and why it has not filled")
    status.add_argument("--api", required=True)
    status.add_argument("digest", help="the order's digest, 0x and 64 hex digits")
    listing = verbs.add_parser("list", help="a trader's orders, the latest first")
    listing.add_argument("--api", required=True)
    listing.add_argument("--trader", required=True, help="the trader's address")
    listing.add_argument("--status", action="append", default=[], help="only this status (repeatable; live)")
    listing.add_argument("--limit", type=int, default=50)
    cancel = verbs.add_parser("cancel", help="cancel an order with the trader's signed CancelOrder")
    cancel.add_argument("--api", required=True)
    cancel.add_argument("--deployment", type=Path, required=True, help="the deployment file (its domain)")
    cancel.add_argument("--deadline-in", type=int, default=300, help="seconds the cancel signature stays valid")
    cancel.add_argument(
        "--key-file", type=Path, default=None, help="a key file with trader_key; else DEFI_INT_TRADER_KEY"
    )
    cancel.add_argument("digest")
    state = sub.add_parser("status", help="a running keeper's state, from its /readyz and /metrics")
    state.add_argument("--api", required=True, help="the keeper's API, e.g. http://127.0.0.1:8700")


def _show_warning(message: Warning | str, category: type[Warning], *rest: Any, **more: Any) -> None:
    """A scenario's warning as one line on standard error; any other warning as Python shows it."""
    if issubclass(category, ScenarioWarning):
        print(f"defi-int: warning: {message}", file=sys.stderr)
    else:
        _python_warning(message, category, *rest, **more)


_python_warning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    warnings.showwarning = _show_warning
    if args.command == "params":
        return _params()
    commands = {
        "run": _run, "report": _report, "deploy": _deploy, "keeper": _keeper, "traders": _traders, "fund": _fund,
        "order": _order, "status": _status,
    }  # fmt: skip
    try:
        if args.command in ("sweep", "compare", "experiment"):
            from defi_int.research.commands import run_command

            return run_command(args)
        return commands[args.command](args)
    except (ConfigError, KeeperConflict) as exc:
        print(f"defi-int: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DefiIntError as exc:
        print(f"defi-int: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("defi-int: interrupted; no report was written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from defi_int.progress import progress
    from defi_int.sim.scenario import choose_backend, load_scenario, rpc_url_problem

    scenario = load_scenario(args.scenario, overrides=args.overrides, seed=args.seed)
    if args.rpc_url is not None:
        problem = rpc_url_problem(args.rpc_url)
        if problem:
            raise ScenarioError("--rpc-url", None, problem)
    choose_backend(scenario, args.backend, args.rpc_url)  # a bad combination fails before anything starts
    from defi_int.metrics.report import check_report_dir, write_report

    out = args.out or Path("out") / scenario.name
    check_report_dir(out)
    from defi_int.sim.runner import run_scenario  # web3 and the EVM: only once the input is known good

    with progress(scenario.name, "steps", enabled=not args.no_progress) as update:
        result = run_scenario(scenario, backend=args.backend, rpc_url=args.rpc_url, progress=update)
    soft = scenario.keeper.soft_limit
    paths = write_report(
        result,
        out,
        scenario=scenario.to_dict(),
        overrides=args.overrides,
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


def _report(args: argparse.Namespace) -> int:
    """``defi-int report execution RUN_DIR | --db JOURNAL --out DIR`` (``metrics.rebuild``)."""
    from defi_int.metrics.rebuild import EXECUTION_FILES, rebuild_run_dir, write_execution

    if (args.run_dir is None) == (args.db is None):
        raise ConfigError("report execution: give a run directory or --db JOURNAL, one of the two")
    if args.db is not None:
        if args.out is None:
            raise ConfigError("report execution: --db needs --out DIR")
        from defi_int.bot.report import read_journal
        from defi_int.metrics.output import check_directory

        check_directory(args.out, EXECUTION_FILES)
        section, paths = write_execution(read_journal(args.db), args.out)
    else:
        section, paths = rebuild_run_dir(args.run_dir, args.out)
    audits = section.summary["audits"]
    counts = ", ".join(f"{name} {audit['violations']}" for name, audit in audits.items())
    print(f"violations: {counts}")
    print(f"execution report written to {paths['execution.html']}")
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from defi_int.bot.deploying import deploy_command

    deployment = deploy_command(args.rpc_url, args.out, config=args.config, key_file=args.key_file)
    contracts = ", ".join(f"{name} {address}" for name, address in deployment.contracts.items())
    print(f"deployed on chain {deployment.chain_id} at block {deployment.block}: {contracts}")
    print(f"deployment written to {args.out}")
    return 0


def _keeper(args: argparse.Namespace) -> int:
    if args.keeper_command == "report":
        from defi_int.bot.report import report_command

        paths = report_command(args.report_db, args.out)
        print(f"report written to {paths.get('report.html', args.out / 'report.html')}")
        return 0
    missing = [flag for flag, value in (("--rpc-url", args.rpc_url), ("--deployment", args.deployment)) if not value]
    if missing:
        raise ConfigError(f"keeper: {' and '.join(missing)} required (see defi-int keeper -h)")
    from defi_int.bot.logs import configure
    from defi_int.bot.service import open_service

    configure(args.log_level, args.log_format)
    service = open_service(
        args.rpc_url, args.deployment, config_path=args.config, db_path=args.db, listen=args.listen,
        key_file=args.key_file, recover=args.recover,
    )  # fmt: skip
    service.install_signals()

    def ready(running: object) -> None:
        print(f"keeper ready: API on {service.url}, journal {args.db}, node {args.rpc_url}", flush=True)
        if service.loop.recovered is not None:
            for line in service.loop.recovered.lines():
                print(line, flush=True)

    service.run(on_ready=ready)
    print("keeper stopped", flush=True)
    return 0


def _traders(args: argparse.Namespace) -> int:
    from defi_int.bot.traders import traders_command

    summary = traders_command(
        args.api, args.deployment, args.scenario, duration=args.duration, rpc_url=args.rpc_url,
        step_seconds=args.step_seconds, key_file=args.key_file, seed=args.seed, workers=args.workers,
    )  # fmt: skip
    print(summary.line())
    return 0


def _fund(args: argparse.Namespace) -> int:
    from defi_int.bot.tools import fund_command

    print(fund_command(args.deployment, args.account, args.amount, rpc_url=args.rpc_url, key_file=args.key_file,
                       mint=not args.no_mint))  # fmt: skip
    return 0


def _order(args: argparse.Namespace) -> int:
    import json

    from defi_int.bot import tools

    if args.order_command == "sign":
        body, digest = tools.sign_command(
            args.deployment, market=args.market, side=args.side, size=args.size, limit_price=args.limit_price,
            expiry_in=args.expiry_in, expiry=args.expiry, nonce=args.nonce, max_fee_bps=args.max_fee_bps,
            allow_amm=not args.no_amm, key_file=args.key_file,
        )  # fmt: skip
        text = json.dumps(body, indent=2)
        if args.out is not None:
            if args.out.exists():
                raise ConfigError(f"--out {args.out}: already exists")
            args.out.write_text(text + "\n")
        else:
            print(text)
        print(f"digest 0x{digest.hex()}", file=sys.stderr)
    elif args.order_command == "post":
        posted, status = tools.post_command(args.api, args.file)
        print(f"{posted} {status}")
    elif args.order_command == "status":
        print(tools.status_command(args.api, args.digest))
    elif args.order_command == "list":
        print(tools.list_command(args.api, args.trader, args.status, args.limit))
    else:
        cancelled, status = tools.cancel_command(
            args.api, args.deployment, args.digest, deadline_in=args.deadline_in, key_file=args.key_file
        )
        print(f"{cancelled} {status}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from defi_int.bot.status import status_command

    state = status_command(args.api)
    print(state.text)
    return 0 if state.ready else EXIT_FAILED


def _params() -> int:
    """Prints every scenario key with its default, range, unit and on-chain type, one per line."""
    from defi_int.sim.scenario import parameter_rows

    rows = [("key", "default", "range", "unit", "on chain"), *parameter_rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
