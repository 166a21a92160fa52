"""``make bot-demo``: the keeper bot on a local anvil for about a minute, killed once and restarted.

Everything goes through the commands an operator runs (``defi-int deploy``, ``defi-int keeper``,
``defi-int traders``, ``defi-int keeper report``), each its own process:

1. anvil (from npm, as the tests start it) on a free port;
2. ``defi-int deploy`` with ``scripts/scenarios/basic.toml``'s protocol and market (demo keys for the
   owner and the keeper, derived from labels, passed in the environment, never as flags);
3. ``defi-int keeper`` with ``scripts/bot/keeper.toml``, its API on a free port;
4. ``defi-int traders`` playing basic.toml's traders, oracle and arbitrageur for ``--duration``;
5. a third of the way in, with a settle in flight, the keeper is SIGKILLed and started again on
   the same journal;
6. once the traders are done and the keeper has settled what it holds, SIGTERM; the report;
7. the audit, read from the chain and the journal: the ledger invariants, and
   "0 double fills, 0 lost orders"; the report's PnL decomposition (exact to the unit: residual 0),
   its funding and liquidation lines.

Run with ``.venv/bin/python scripts/bot_demo.py [--out DIR] [--duration S]``; exits 1 when the
audit finds anything wrong or the report is not OK (an invariant broken, a PnL residual).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from eth_account import Account
from eth_utils.crypto import keccak

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.chain.anvil import Anvil, free_port
from defi_int.chain.backend import Chain
from defi_int.chain.deployment import attach, read_deployment
from defi_int.chain.rpc import RpcNode

ROOT = Path(__file__).resolve().parent.parent
DEFI_INT = [sys.executable, "-m", "defi_int.cli"]
SCENARIO = ROOT / "scripts/scenarios/basic.toml"
KEEPER_FILE = ROOT / "scripts/bot/keeper.toml"


def demo_keys() -> dict[str, str]:
    """Keys for a throwaway local chain only: derived from public labels, so never fund them anywhere."""
    owner = Account.from_key(keccak(text="defi-int bot demo: owner"))
    keeper = Account.from_key(keccak(text="defi-int bot demo: keeper"))
    return {"DEFI_INT_OWNER_KEY": owner.key.hex(), "DEFI_INT_KEEPER_KEY": keeper.key.hex()}


def say(text: str) -> None:
    print(f"[bot-demo] {text}", flush=True)


def start_keeper(url: str, out: Path, port: int, env: dict[str, str], log) -> subprocess.Popen[bytes]:
    command = [
        *DEFI_INT, "keeper", "--rpc-url", url, "--deployment", str(out / "deployment.json"),
        "--config", str(KEEPER_FILE), "--db", str(out / "keeper.sqlite"), "--listen", f"127.0.0.1:{port}",
        "--log-level", "info",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the keeper exited with {process.returncode}; see {log.name}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("the keeper did not get ready in 60 s")


def backlog(out: Path) -> dict[str, int]:
    with Journal(out / "keeper.sqlite") as journal:
        return journal.backlog()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out/bot-demo")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds the traders run")
    args = parser.parse_args()
    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, **demo_keys()}
    log = (out / "keeper.log").open("ab")
    with Anvil() as anvil:
        say(f"anvil on {anvil.url}")
        subprocess.run(
            [*DEFI_INT, "deploy", "--rpc-url", anvil.url, "--out", str(out / "deployment.json"),
             "--config", str(SCENARIO)],
            env=env, check=True,
        )  # fmt: skip
        port = free_port()
        keeper = start_keeper(anvil.url, out, port, env, log)
        api = f"http://127.0.0.1:{port}"
        say(f"keeper up: API on {api}, journal {out / 'keeper.sqlite'}, log {log.name}")
        traders = subprocess.Popen(
            [*DEFI_INT, "traders", "--api", api, "--deployment", str(out / "deployment.json"), "--scenario",
             str(SCENARIO), "--duration", str(args.duration), "--step-seconds", "0.5"],
            env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(args.duration / 3)
        deadline = time.monotonic() + 10
        while not any(backlog(out).values()) and time.monotonic() < deadline:
            time.sleep(0.005)  # wait for a settle in flight: the kill is more interesting then
        say(f"SIGKILL to the keeper (pid {keeper.pid}) with {backlog(out)} in its journal")
        keeper.send_signal(signal.SIGKILL)
        keeper.wait()
        time.sleep(2)
        keeper = start_keeper(anvil.url, out, port, env, log)
        say("keeper restarted from its journal")
        summary, _ = traders.communicate()
        say(f"traders: {summary.strip()}")
        deadline, node = time.monotonic() + 60, RpcNode(anvil.url)
        while any(backlog(out).values()) and time.monotonic() < deadline:
            node.mine()  # blocks on top, for the last settles' confirmations
            time.sleep(0.5)
        metrics = requests.get(f"{api}/metrics", timeout=5).text
        keeper.send_signal(signal.SIGTERM)
        if keeper.wait(timeout=60) != 0:
            raise SystemExit(f"the keeper stopped with {keeper.returncode}; see {log.name}")
        say("keeper stopped (SIGTERM)")
        for line in metrics.splitlines():
            if line.startswith(("defi_int_orders{", "defi_int_fills_booked{", "defi_int_loop_events_total")):
                say(f"  {line}")
        subprocess.run(
            [*DEFI_INT, "keeper", "report", "--db", str(out / "keeper.sqlite"), "--out", str(out / "report")],
            check=True,
        )  # fmt: skip
        summary = json.loads((out / "report" / "summary.json").read_text())
        deployment = read_deployment(out / "deployment.json")
        with Chain.connect(anvil.url, manage_clock=False) as chain, Journal(out / "keeper.sqlite") as journal:
            result = audit(attach(chain, deployment), journal, deployment.block)
            counts = journal.status_counts()
    say(f"orders by status: {counts}")
    for name, holds in result.invariants.items():
        say(f"invariant {name}: {'holds' if holds else 'BROKEN'}")
    for problem in (result.double_fills + result.non_canonical + result.lost_orders)[:10]:
        say(f"  problem: {problem}")
    say(result.line())
    pnl, residual = summary["pnl_breakdown_units"], summary["pnl_residual_units"]
    say("PnL (units): " + ", ".join(f"{name} {value:,}" for name, value in pnl.items()) + f"; residual {residual:,}")
    liquidations = summary["liquidations"]
    say(
        f"liquidations: {liquidations['count']} (desk {liquidations['by_venue']['desk']}, AMM "
        f"{liquidations['by_venue']['amm']}), penalties {liquidations['penalties']:,.6f}, bad debt "
        f"{liquidations['bad_debt']:,.6f}, insurance fund {liquidations['insurance_fund']:,.6f}"
    )
    report_ok = bool(summary["invariants_ok"])
    say(f"report: {'OK' if report_ok else 'NOT OK'} {out / 'report' / 'report.html'}")
    return 0 if result.ok and report_ok else 1


if __name__ == "__main__":
    sys.exit(main())
