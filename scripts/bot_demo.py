"""``make bot-demo``: the keeper bot on a local anvil for about a minute, killed once and restarted.

Everything goes through the commands an operator runs (``defi-int deploy``, ``defi-int keeper``,
``defi-int traders``, ``defi-int keeper report``), each its own process:

1. anvil (from npm, as the tests start it) on a free port;
2. ``defi-int deploy`` with ``scripts/scenarios/basic.toml``'s protocol and market (demo keys for the
   owner and the keeper, derived from labels, passed in the environment, never as flags);
3. ``defi-int keeper`` with ``scripts/bot/keeper.toml``, its API on a free port;
4. ``defi-int traders`` playing basic.toml's traders, oracle and arbitrageur for ``--duration``;
5. a third of the way in, with a settle in flight, the keeper is SIGKILLed and started again on
   the same journal (the traders send again what got no answer);
6. once the traders are done, a trader funded thinly with ``defi-int fund`` buys 2 ETH through
   ``defi-int order sign | defi-int order post``, the oracle drops 7% and the keeper's liquidator
   closes it; once the keeper has settled and confirmed what it holds (it asks anvil, which mines
   only on demand, for the blocks it waits for), SIGTERM; the report;
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


def liquidation(url: str, out: Path, api: str, env: dict[str, str]) -> None:
    """A trader funded thinly through the tools buys, the oracle drops 7%, the keeper's liquidator closes it."""
    thin = Account.from_key(keccak(text="defi-int bot demo: a thin trader"))
    deployment = read_deployment(out / "deployment.json")
    with Chain.connect(url, manage_clock=False) as chain:
        system = attach(chain, deployment, owner=Account.from_key(env["DEFI_INT_OWNER_KEY"]))
        price = chain.call(system.oracle.functions.latest(0))[0]
        margin = 2 * price * 105 // 1000 // 10**18  # 10.5% of a 2-ETH position, in whole tokens
        tool = {**env, "DEFI_INT_TRADER_KEY": thin.key.hex()}
        deploy_file = str(out / "deployment.json")
        fund = [*DEFI_INT, "fund", "--deployment", deploy_file, "--account", thin.address, "--amount", str(margin)]
        funded = subprocess.run(fund, env=tool, check=True, capture_output=True, text=True)
        say(f"defi-int fund: {funded.stdout.strip()}")
        limit = f"{price * 1005 // 1000 / 10**18:.2f}"
        sign = [*DEFI_INT, "order", "sign", "--deployment", deploy_file, "--side", "buy", "--size", "2",
                "--limit-price", limit]  # fmt: skip
        signed = subprocess.run(sign, env=tool, check=True, capture_output=True, text=True)
        post = [*DEFI_INT, "order", "post", "--api", api]
        posted = subprocess.run(post, input=signed.stdout, env=tool, check=True, capture_output=True, text=True)
        digest = posted.stdout.split()[0]
        say(f"defi-int order sign | defi-int order post: {posted.stdout.strip()}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = requests.get(f"{api}/v1/orders/{digest}", timeout=5).json()["status"]
            if status == "filled":
                break
            time.sleep(0.2)
        say(f"the thin trader's order is {status}; the oracle drops 7%")
        system.set_price(0, price * 93 // 100)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Journal(out / "keeper.sqlite") as journal:
                taken = [x for x in journal.liquidations() if x.account == thin.address]
            if taken:
                x = taken[0]
                say(f"liquidated {x.account}: {abs(x.size) / 10**18:g} ETH closed (desk {x.to_desk / 10**18:g}), "
                    f"penalty {x.penalty / 10**6:,.6f} tokens, block {x.block_number}")  # fmt: skip
                return
            time.sleep(0.2)
        say("no liquidation within 30 s")


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
        liquidation(anvil.url, out, api, env)
        deadline = time.monotonic() + 60
        while any(backlog(out).values()) and time.monotonic() < deadline:
            time.sleep(0.2)  # the keeper asks anvil (which mines on demand) for the blocks it waits for
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
