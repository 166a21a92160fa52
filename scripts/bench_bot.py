"""Benchmark: the keeper bot on a local anvil, under the traders' load (``make bench-bot``).

Run with ``.venv/bin/python scripts/bench_bot.py [--duration S] [--step-seconds S] [--intake N]
[--profile] [--json PATH]``. It starts anvil, deploys ``scripts/scenarios/bench_bot.toml``'s
protocol and market, starts ``defi-int keeper`` (its own process: the API and the loop), then:

1. **intake**: ``N`` orders signed beforehand, POSTed as fast as ``--workers`` kept-alive client
   threads can (the API verifies, journals with ``synchronous=FULL`` and answers 201): orders/s;
2. **sustained**: ``defi-int traders`` plays the scenario's 200 noise traders for ``--duration``
   seconds, a step every ``--step-seconds`` (the oracle posts, an arbitrageur trades, every
   trader's orders are signed and POSTed); the keeper settles as they come;
3. after the load, waits for the keeper to confirm what it holds, and reads its journal: fills
   confirmed per second over the whole run (first POST to last confirmation), and the latency of
   every filled order from its POST to its first fill being booked, and to that fill's
   confirmation (p50, p99).

``--profile`` runs the keeper under cProfile (the loop's thread and the API's) and prints where
each spends its time. It asserts nothing; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import requests
from eth_account import Account
from eth_utils.crypto import keccak

ROOT = Path(__file__).resolve().parent.parent
DEFI_INT = [sys.executable, "-m", "defi_int.cli"]
SCENARIO = ROOT / "scripts/scenarios/bench_bot.toml"
KEEPER_FILE = """
[keeper]
max_batch = 500

[bot]
confirmations = 1
loop_interval = 0.05
batch_wait = 0.05
receipt_poll = 0.001
sample_interval = 1.0

[api]
orders_per_second = 100000
burst = 100000
"""


def keys() -> dict[str, str]:
    owner = Account.from_key(keccak(text="defi-int bench: owner"))
    keeper = Account.from_key(keccak(text="defi-int bench: keeper"))
    return {"DEFI_INT_OWNER_KEY": owner.key.hex(), "DEFI_INT_KEEPER_KEY": keeper.key.hex()}


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None}
    data = np.array(values)
    return {"p50": float(np.percentile(data, 50)), "p99": float(np.percentile(data, 99))}


def wait_ready(api: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the keeper exited with {process.returncode}")
        try:
            if requests.get(f"{api}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("the keeper did not get ready")


def intake(api: str, folder: Path, deployment_path: Path, count: int, workers: int) -> dict[str, Any]:
    """Signs ``count`` orders (funded traders of the scenario), then POSTs them as fast as it can."""
    from defi_int.bot.traders import Poster, TradersRun, TradersSummary
    from defi_int.chain.backend import Chain
    from defi_int.chain.deployment import attach, read_deployment
    from defi_int.sim.scenario import load_scenario

    deployment = read_deployment(deployment_path)
    scenario = load_scenario(SCENARIO)
    with Chain.connect(str(deployment.rpc_url), manage_clock=False) as chain:
        owner = Account.from_key(keys()["DEFI_INT_OWNER_KEY"])
        run = TradersRun(scenario, attach(chain, deployment, owner=owner), deployment.domain, api)
        run.setup(1)
        now = chain.timestamp()
        bodies = []
        accounts, agent = run.populations[0]
        while len(bodies) < count:
            for intent in agent.intents(run.rng, run.marks, now, 120, 0):
                bodies.append(run._body(accounts[intent.trader], intent))
    bodies = bodies[:count]
    summary = TradersSummary()
    started = time.perf_counter()
    poster = Poster(api, workers, summary)  # the traders' own client: kept-alive http.client connections
    for body in bodies:
        poster.post(body)
    poster.close()
    seconds = time.perf_counter() - started
    return {"orders": count, "workers": workers, "seconds": seconds, "orders_per_second": count / seconds,
            "outcomes": dict(summary.outcomes)}  # fmt: skip


def profiled_keeper(argv: list[str]) -> None:
    """The keeper under cProfile: the loop's thread and the API's, written to ``<db>.loop|api.prof``."""
    url, deployment, config, db, listen = argv
    from defi_int.bot import serve
    from defi_int.bot.service import open_service

    service = open_service(url, deployment, config_path=config, db_path=db, listen=listen)
    service.install_signals()
    api_profile = cProfile.Profile()
    original = serve.ApiServer.start

    def start(self: serve.ApiServer, timeout: float = 10.0) -> serve.ApiServer:
        run = self._server.run
        self._thread = threading.Thread(target=lambda: api_profile.runcall(run), daemon=True)
        return original(self, timeout)

    serve.ApiServer.start = start  # type: ignore[method-assign]
    loop_profile = cProfile.Profile()
    loop_profile.runcall(service.run)
    loop_profile.dump_stats(f"{db}.loop.prof")
    api_profile.dump_stats(f"{db}.api.prof")


def top(path: str, lines: int = 22) -> str:
    buffer = io.StringIO()
    pstats.Stats(path, stream=buffer).sort_stats("cumulative").print_stats(lines)
    return buffer.getvalue()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "keeper-profiled":
        profiled_keeper(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the traders' load")
    parser.add_argument("--step-seconds", type=float, default=0.2, help="a scenario step every S seconds")
    parser.add_argument("--intake", type=int, default=3_000, help="orders of the intake burst")
    parser.add_argument("--workers", type=int, default=8, help="client threads of the intake burst")
    parser.add_argument("--profile", action="store_true", help="run the keeper under cProfile and print it")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from defi_int.bot.journal import Journal
    from defi_int.chain.anvil import Anvil, free_port
    from defi_int.chain.rpc import RpcNode

    env = {**os.environ, **keys()}
    folder = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    (folder / "keeper.toml").write_text(KEEPER_FILE)
    figures: dict[str, Any] = {}
    with Anvil() as anvil:
        deployment = folder / "deployment.json"
        subprocess.run([*DEFI_INT, "deploy", "--rpc-url", anvil.url, "--out", str(deployment), "--config",
                        str(SCENARIO)], env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        db = folder / "keeper.sqlite"
        keeper_args = [anvil.url, str(deployment), str(folder / "keeper.toml"), str(db), f"127.0.0.1:{port}"]
        if args.profile:
            command = [sys.executable, __file__, "keeper-profiled", *keeper_args]
        else:
            command = [*DEFI_INT, "keeper", "--rpc-url", keeper_args[0], "--deployment", keeper_args[1], "--config",
                       keeper_args[2], "--db", keeper_args[3], "--listen", keeper_args[4]]  # fmt: skip
        log = (folder / "keeper.log").open("wb")
        keeper = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        wait_ready(api, keeper)
        started = time.time()
        figures["intake"] = intake(api, folder, deployment, args.intake, args.workers)
        print(f"intake: {args.intake} orders in {figures['intake']['seconds']:.2f} s = "
              f"{figures['intake']['orders_per_second']:.0f} orders/s ({args.workers} client threads)")  # fmt: skip
        traders = subprocess.run(
            [*DEFI_INT, "traders", "--api", api, "--deployment", str(deployment), "--scenario", str(SCENARIO),
             "--duration", str(args.duration), "--step-seconds", str(args.step_seconds)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        print(f"traders: {traders.stdout.strip()}")
        node = RpcNode(anvil.url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with Journal(db) as journal:
                if not any(journal.backlog().values()):
                    break
            node.mine()
            time.sleep(0.2)
        keeper.send_signal(signal.SIGTERM)
        keeper.wait(timeout=120)
        with Journal(db) as journal:
            latencies = journal.fill_latencies()
            counts = journal.status_counts()
            legs = journal.fill_counts()
            settles, gas = journal.settle_totals()
    confirmed = [c for _, _, c in latencies if c is not None]
    last = max(confirmed) if confirmed else started
    span = last - started
    figures["orders"] = counts
    figures["fill_legs"] = legs
    figures["settles"] = settles
    figures["gas_per_fill"] = gas / max(1, len(latencies))
    figures["fills_confirmed"] = len(confirmed)
    figures["run_seconds"] = span
    figures["fills_per_second"] = len(confirmed) / span if span > 0 else None
    figures["post_to_fill_seconds"] = percentiles([b - r for r, b, _ in latencies])
    figures["post_to_confirmed_seconds"] = percentiles([c - r for r, _, c in latencies if c is not None])
    figures["orders_per_settle"] = len(latencies) / max(1, settles)
    print(f"orders: {counts}; {settles} settles, {figures['orders_per_settle']:.1f} orders each")
    print(f"sustained: {len(confirmed)} fills confirmed in {span:.1f} s = {figures['fills_per_second']:.1f} fills/s")
    for name in ("post_to_fill_seconds", "post_to_confirmed_seconds"):
        p = figures[name]
        print(f"{name.replace('_', ' ')}: p50 {p['p50']:.3f} s, p99 {p['p99']:.3f} s")
    if args.profile:
        for part in ("loop", "api"):
            print(f"\n--- where the keeper's {part} thread spends its time ---")
            print(top(f"{db}.{part}.prof"))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
