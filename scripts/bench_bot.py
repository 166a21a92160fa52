"""Benchmark: the keeper bot on a local anvil, under the traders' load (``make bench-bot``).

Run with ``.venv/bin/python scripts/bench_bot.py [--duration S] [--step-seconds S] [--intake N]
[--connections C] [--block-time S] [--profile] [--json PATH]``. It starts anvil (mining on demand;
with ``--block-time``, a block every S seconds once the setup is done), deploys
``scripts/scenarios/bench_bot.toml``'s protocol and market, starts ``defi-int keeper`` (its own
process: the API and the loop), then, in three phases that never overlap:

1. **intake burst**: ``N`` orders, signed before the clock starts and encoded to their HTTP bytes,
   POSTed over ``C`` kept-alive connections as fast as the keeper answers (the API verifies,
   journals with ``synchronous=FULL`` and answers 201): orders/s. Then the keeper settles them all
   (their POST-to-fill latency is the burst's);
2. **sustained load**: ``defi-int traders`` plays the scenario's 200 noise traders for
   ``--duration`` seconds, a step every ``--step-seconds`` (the oracle posts, an arbitrageur trades,
   every trader's orders are signed and POSTed): fills/s from the phase's first POST to its last
   confirmation, and the POST-to-fill and POST-to-confirmed latency of its orders;
3. **the whole run**: both together; then the audit (chain against journal: double fills, lost
   orders, the ledger invariants), so that no figure comes from a keeper that cut a corner.

Each figure is printed with the machine's load average (``/proc/loadavg``) when its phase began
and ended: the machine is shared, and a figure means little without it. What each process spent
of the CPU in each phase (the keeper, anvil, the traders' load) is printed per fill: a figure the
other jobs on the machine change much less than the wall-clock rates. ``--profile`` runs the
keeper under cProfile (the loop's thread and the API's) and prints where each spends its time. It
asserts nothing; ``--json`` writes every figure. The profiles count each thread's own CPU time
(``time.thread_time``), not the wall clock, so a loaded machine does not move their shares.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import signal
import socket
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
batch_wait = 0.1
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


def load() -> str:
    """The load averages (1, 5, 15 min) as ``/proc/loadavg`` gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far: what a phase cost each process,
    whatever else the shared machine ran meanwhile."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    data = np.array(values)
    return {"count": len(values), **{f"p{q}": float(np.percentile(data, q)) for q in (50, 90, 99)},
            "max": float(data.max())}  # fmt: skip


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


def signed_requests(api: str, deployment_path: Path, count: int) -> list[bytes]:
    """``count`` orders of the scenario's funded traders, signed, as the bytes of their HTTP POSTs."""
    from defi_int.bot.traders import TradersRun
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
        bodies: list[dict[str, Any]] = []
        accounts, agent = run.populations[0]
        while len(bodies) < count:
            for intent in agent.intents(run.rng, run.marks, now, 120, 0):
                bodies.append(run._body(accounts[intent.trader], intent))
    host = api.split("//", 1)[1]
    wire = []
    for body in bodies[:count]:
        data = json.dumps(body).encode()
        head = f"POST /v1/orders HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        wire.append(f"{head}content-length: {len(data)}\r\n\r\n".encode() + data)
    return wire


def read_answer(sock: socket.socket, buffer: bytearray) -> int:
    """Reads one HTTP answer from ``sock`` (``buffer`` keeps what follows it); returns its status."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the keeper closed the connection")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end]).lower()
    length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
    while len(buffer) < end + length:
        buffer += sock.recv(65536)
    status = int(head.split(b" ", 2)[1])
    del buffer[: end + length]
    return status


def burst(api: str, wire: list[bytes], connections: int) -> dict[str, Any]:
    """POSTs every request over ``connections`` kept-alive sockets, one request in the air on each."""
    host, port = api.split("//", 1)[1].split(":")
    statuses: list[int] = []
    lock = threading.Lock()
    shares = [wire[i::connections] for i in range(connections)]

    def post(share: list[bytes]) -> None:
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = bytearray()
        mine = []
        for request in share:
            sock.sendall(request)
            mine.append(read_answer(sock, buffer))
        sock.close()
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=post, args=(share,)) for share in shares]
    before = load()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    counts = {str(s): statuses.count(s) for s in sorted(set(statuses))}
    return {"orders": len(wire), "connections": connections, "seconds": seconds,
            "orders_per_second": len(wire) / seconds, "statuses": counts, "load_before": before,
            "load_after": load()}  # fmt: skip


def drain(db: Path, timeout: float = 300.0) -> None:
    """Waits until the keeper holds nothing in flight or to reconcile, and no live order it could settle now."""
    from defi_int.bot.journal import Journal

    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        with Journal(db) as journal:
            busy = any(journal.backlog().values())
        quiet = 0 if busy else quiet + 1
        if quiet >= 5:  # five looks in a row with nothing in flight
            return
        time.sleep(0.2)


def phase_figures(rows: list[tuple[float, float, float | None]], since: float, until: float) -> dict[str, Any]:
    """Fills/s and latency of the orders POSTed in ``[since, until)``; rows: (received, booked, confirmed)."""
    mine = [r for r in rows if since <= r[0] < until]
    confirmed = [c for _, _, c in mine if c is not None]
    span = (max(confirmed) - min(r[0] for r in mine)) if confirmed else 0.0
    return {
        "orders_filled": len(mine),
        "fills_confirmed": len(confirmed),
        "seconds": span,
        "fills_per_second": len(confirmed) / span if span > 0 else None,
        "post_to_fill_seconds": percentiles([b - r for r, b, _ in mine]),
        "post_to_confirmed_seconds": percentiles([c - r for r, _, c in mine if c is not None]),
    }


def profiled_keeper(argv: list[str]) -> None:
    """The keeper under cProfile: the loop's thread and the API's, written to ``<db>.loop|api.prof``."""
    url, deployment, config, db, listen = argv
    from defi_int.bot import serve
    from defi_int.bot.service import open_service

    service = open_service(url, deployment, config_path=config, db_path=db, listen=listen)
    service.install_signals()
    api_profile = cProfile.Profile(time.thread_time)  # CPU time of the thread: what the load around it does not inflate
    original = serve.ApiServer.start

    def start(self: serve.ApiServer, timeout: float = 10.0) -> serve.ApiServer:
        run = self._server.run
        self._thread = threading.Thread(target=lambda: api_profile.runcall(run), daemon=True)
        return original(self, timeout)

    serve.ApiServer.start = start  # type: ignore[method-assign]
    loop_profile = cProfile.Profile(time.thread_time)
    loop_profile.runcall(service.run)
    loop_profile.dump_stats(f"{db}.loop.prof")
    api_profile.dump_stats(f"{db}.api.prof")


def top(path: str, lines: int = 30, key: str = "cumulative") -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(path, stream=buffer)
    stats.sort_stats(key).print_stats(r"defi_int|sqlite3|socket|keccak|secp256k1", lines)
    return buffer.getvalue()


def show(name: str, figures: dict[str, Any]) -> None:
    fill, confirm = figures["post_to_fill_seconds"], figures["post_to_confirmed_seconds"]
    rate = figures["fills_per_second"]
    print(
        f"{name}: {figures['fills_confirmed']} fills confirmed in {figures['seconds']:.1f} s = "
        f"{'-' if rate is None else f'{rate:.0f}'} fills/s; POST to fill p50 {_s(fill['p50'])} p99 {_s(fill['p99'])}"
        f" (max {_s(fill['max'])}); POST to confirmed p50 {_s(confirm['p50'])} p99 {_s(confirm['p99'])}"
        f"  [load {figures.get('load_before', '?')} -> {figures.get('load_after', '?')}]"
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "keeper-profiled":
        profiled_keeper(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the traders' load")
    parser.add_argument("--step-seconds", type=float, default=0.2, help="a step every S s (~100 orders each)")
    parser.add_argument("--intake", type=int, default=6_000, help="orders of the intake burst")
    parser.add_argument("--connections", type=int, default=8, help="kept-alive connections of the intake burst")
    parser.add_argument("--block-time", type=int, default=None, help="anvil mines a block every S seconds")
    parser.add_argument("--keeper-config", type=Path, default=None, help="a keeper file instead of the bench's")
    parser.add_argument("--profile", action="store_true", help="run the keeper under cProfile and print it")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from defi_int.bot.journal import Journal
    from defi_int.chain.anvil import Anvil, free_port

    env = {**os.environ, **keys()}
    folder = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    config = args.keeper_config or folder / "keeper.toml"
    if args.keeper_config is None:
        config.write_text(KEEPER_FILE)
    figures: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count()}
    anvil = Anvil()
    with anvil:
        deployment = folder / "deployment.json"
        subprocess.run([*DEFI_INT, "deploy", "--rpc-url", anvil.url, "--out", str(deployment), "--config",
                        str(SCENARIO)], env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        db = folder / "keeper.sqlite"
        keeper_args = [anvil.url, str(deployment), str(config), str(db), f"127.0.0.1:{port}"]
        if args.profile:
            command = [sys.executable, __file__, "keeper-profiled", *keeper_args]
        else:
            command = [*DEFI_INT, "keeper", "--rpc-url", keeper_args[0], "--deployment", keeper_args[1], "--config",
                       keeper_args[2], "--db", keeper_args[3], "--listen", keeper_args[4],
                       "--log-level", "info"]  # fmt: skip
        log = (folder / "keeper.log").open("wb")
        keeper = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        wait_ready(api, keeper)

        wire = signed_requests(api, deployment, args.intake)  # the traders funded: the setup is done
        if args.block_time:
            from defi_int.chain.rpc import RpcNode

            RpcNode(anvil.url).request("evm_setIntervalMining", [args.block_time])  # no block on demand now
        anvil_pid = anvil.pid
        keeper_cpu, anvil_cpu = cpu(keeper.pid), cpu(anvil_pid)
        burst_started = time.time()
        figures["intake"] = burst(api, wire, args.connections)
        figures["intake"]["keeper_cpu_ms_per_order"] = 1000 * (cpu(keeper.pid) - keeper_cpu) / len(wire)
        intake = figures["intake"]
        print(f"intake: {intake['orders']} signed orders POSTed over {intake['connections']} connections in "
              f"{intake['seconds']:.2f} s = {intake['orders_per_second']:.0f} orders/s, answers {intake['statuses']}"
              f"  [load {intake['load_before']} -> {intake['load_after']}]")  # fmt: skip
        burst_load = intake["load_before"]
        drain(db)
        burst_end_load = load()
        burst_cpu = {"keeper": cpu(keeper.pid) - keeper_cpu, "anvil": cpu(anvil_pid) - anvil_cpu}
        keeper_cpu, anvil_cpu, traders_cpu = cpu(keeper.pid), cpu(anvil_pid), children_cpu()

        sustained_started = time.time()
        sustained_load = load()
        traders = subprocess.run(
            [*DEFI_INT, "traders", "--api", api, "--deployment", str(deployment), "--scenario", str(SCENARIO),
             "--duration", str(args.duration), "--step-seconds", str(args.step_seconds)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        traders_load = load()
        print(f"traders: {traders.stdout.strip()}")
        figures["traders"] = traders.stdout.strip()
        drain(db)
        sustained_end = time.time()
        sustained_end_load = load()
        sustained_cpu = {"keeper": cpu(keeper.pid) - keeper_cpu, "anvil": cpu(anvil_pid) - anvil_cpu,
                         "traders": children_cpu() - traders_cpu}  # fmt: skip
        keeper.send_signal(signal.SIGTERM)
        keeper.wait(timeout=120)
        from defi_int.bot.audit import audit
        from defi_int.chain.backend import Chain
        from defi_int.chain.deployment import attach, read_deployment

        deployed = read_deployment(deployment)
        with Journal(db) as journal, Chain.connect(anvil.url, manage_clock=False) as chain:
            rows = journal.fill_latencies()
            figures["orders"] = journal.status_counts()
            figures["rejections"] = journal.rejection_counts()
            figures["fill_legs"] = journal.fill_counts()
            settles, gas = journal.settle_totals()
            checked = audit(attach(chain, deployed), journal, deployed.block)
            figures["audit"] = {"ok": checked.ok, "line": checked.line()}
    figures["settles"] = settles
    figures["orders_per_settle"] = len(rows) / max(1, settles)
    figures["gas_per_fill"] = gas / max(1, len(rows))
    figures["burst"] = {**phase_figures(rows, burst_started, sustained_started), "load_before": burst_load,
                        "load_after": burst_end_load, "cpu_seconds": burst_cpu}  # fmt: skip
    figures["sustained"] = {**phase_figures(rows, sustained_started, sustained_end), "load_before": sustained_load,
                            "load_after": sustained_end_load, "load_end_of_traders": traders_load,
                            "cpu_seconds": sustained_cpu}  # fmt: skip
    figures["whole"] = {**phase_figures(rows, burst_started, sustained_end), "load_before": burst_load,
                        "load_after": sustained_end_load}  # fmt: skip
    print(f"orders: {figures['orders']}; {settles} settles, {figures['orders_per_settle']:.1f} orders each, "
          f"{figures['gas_per_fill']:,.0f} gas a fill")  # fmt: skip
    for name in ("burst", "sustained", "whole"):
        show(name, figures[name])
    for name in ("burst", "sustained"):
        phase = figures[name]
        per = {k: 1000 * v / max(1, phase["fills_confirmed"]) for k, v in phase["cpu_seconds"].items()}
        print(f"{name} CPU per fill: " + ", ".join(f"{k} {v:.2f} ms" for k, v in per.items()) +
              f" (keeper {phase['cpu_seconds']['keeper']:.1f} s of CPU)")  # fmt: skip
    print(f"audit: {figures['audit']['line']}")
    if args.profile:
        for part in ("loop", "api"):
            print(f"\n--- where the keeper's {part} thread spends its time (cumulative) ---")
            print(top(f"{db}.{part}.prof"))
            print(f"\n--- where the keeper's {part} thread spends its time (own time) ---")
            print(top(f"{db}.{part}.prof", 25, "tottime"))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
