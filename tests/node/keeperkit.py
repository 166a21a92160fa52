"""Helpers for the keeper bot's tests on anvil: a deployment, funded traders, signed orders, and real
keeper processes to start, SIGKILL and restart.

A keeper runs as its own process, forked from a fork server that has the package imported already
(``multiprocessing``'s ``forkserver`` with ``defi_int.bot.service`` preloaded), so starting one
costs milliseconds instead of an interpreter and web3's imports. The child runs exactly what
``defi-int keeper`` runs (``open_service(...).run()`` with the signal handlers), with fail points
armed when asked: a crash test makes it SIGKILL itself at a journal stage. The parent talks to it
as a client does: HTTP to its API, and reads its journal file (SQLite WAL: readers never block it).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from defi_int.bot.journal import Journal
from defi_int.chain.backend import Chain
from defi_int.chain.deploy import System
from defi_int.chain.deployment import Deployment, attach, deploy, write_deployment
from defi_int.orders.eip712 import order_digest
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.params import MarketParams, SystemParams
from defi_int.types import ONE

OWNER = Account.from_key(keccak(text="defi-int keeper tests: owner"))
KEEPER = Account.from_key(keccak(text="defi-int keeper tests: keeper"))
ADMIN_TOKEN = "keeper-tests-admin"
KEYS = {
    "DEFI_INT_OWNER_KEY": OWNER.key.hex(),
    "DEFI_INT_KEEPER_KEY": KEEPER.key.hex(),
    "DEFI_INT_ADMIN_TOKEN": ADMIN_TOKEN,
}
KEEPER_TOML = """
[bot]
confirmations = {confirmations}
loop_interval = 0.05
batch_wait = 0.005
receipt_poll = 0.001
receipt_wait = 2.0
replace_after = {replace_after}
rpc_timeout = 2.0
rpc_retries = 4
rpc_backoff = 0.02
circuit_failures = 12
circuit_cooldown = 0.2
sample_interval = 0.2

[keeper]
max_batch = {max_batch}
"""
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(
    [
        "defi_int.bot.service",
        "uvicorn.loops.auto",
        "uvicorn.loops.asyncio",
        "uvicorn.protocols.http.auto",
        "uvicorn.protocols.http.h11_impl",
        "uvicorn.protocols.http.httptools_impl",
        "uvicorn.protocols.websockets.auto",
        "uvicorn.lifespan.off",
    ]
)


@dataclass
class Desk:
    """A deployment on a node, its files, and funded traders."""

    url: str
    folder: Path
    deployment: Deployment
    deployment_path: Path
    system: System
    traders: list[LocalAccount]
    nonces: Any = field(default_factory=lambda: iter(range(1, 10**9)))

    @property
    def domain(self) -> Any:
        return self.deployment.domain

    def keeper_file(
        self, *, confirmations: int = 1, replace_after: float = 30.0, max_batch: int = 500, extra: str = ""
    ) -> Path:
        """A keeper file for the tests (fast loop, short timeouts); ``extra`` is appended ([api], [breakers] ...)."""
        text = KEEPER_TOML.format(confirmations=confirmations, replace_after=replace_after, max_batch=max_batch)
        path = self.folder / f"keeper-{abs(hash(text + extra))}.toml"
        path.write_text(text + extra)
        return path

    def order(self, trader: LocalAccount, *, is_buy: bool, size: int = ONE, through_bps: int = 100, expiry: int = 600,
              market: int = 0) -> tuple[Order, bytes, bytes]:  # fmt: skip
        """A signed order ``through_bps`` through the oracle on the trader's side (negative: away from it)."""
        chain = self.system.chain
        price = chain.call(self.system.oracle.functions.latest(market))[0]
        limit = price * (10_000 + through_bps) // 10_000 if is_buy else price * (10_000 - through_bps) // 10_000
        now = max(chain.timestamp(), int(time.time()))  # anvil's clock is the wall clock between blocks
        order = Order(trader.address, market, is_buy, size, limit, now + expiry, next(self.nonces), 30, True)
        return order, sign_order(trader, order, self.domain), order_digest(order, self.domain)

    def body(self, signed: tuple[Order, bytes, bytes]) -> dict[str, Any]:
        order, signature, _ = signed
        message = {k: v if isinstance(v, (bool, str)) else str(v) for k, v in order.as_message().items()}
        return {"order": message, "signature": "0x" + signature.hex()}


def make_desk(url: str, folder: Path, *, traders: int = 6, params: SystemParams | None = None) -> Desk:
    """Deploys the protocol on the node at ``url`` with the test keys and funds ``traders`` traders."""
    folder.mkdir(parents=True, exist_ok=True)
    params = params or SystemParams(markets=(MarketParams(inventory_cap=1_000 * ONE, amm_base=10_000 * ONE),))
    chain = Chain.connect(url, manage_clock=False)
    system, deployment = deploy(chain, params, owner=OWNER, keeper=KEEPER)
    path = folder / "deployment.json"
    write_deployment(deployment, path)
    salt = folder.name
    accounts = [chain.account(f"{salt}:trader:{i}") for i in range(traders)]
    for account in accounts:
        system.fund(account, 10_000_000 * system.params.unit)
    return Desk(url, folder, deployment, path, attach(chain, deployment, owner=OWNER), accounts)


def keeper_main(
    url: str, deployment: str, config: str, db: str, armed: str, ready: Connection, recover: bool = False
) -> None:
    """The child: ``defi-int keeper`` with fail points ``armed``; sends its API URL once ready."""
    import logging

    os.environ.update(KEYS)
    from defi_int.bot import failpoints
    from defi_int.bot.service import open_service

    logging.basicConfig(
        filename=str(Path(db).with_suffix(".log")),
        level=logging.DEBUG if os.environ.get("DEFI_INT_TEST_DEBUG") else logging.INFO,
        format=f"%(asctime)s {os.getpid()} %(levelname)s %(name)s: %(message)s",
    )

    failpoints.arm(armed)
    service = open_service(url, deployment, config_path=config, db_path=db, listen="127.0.0.1:0", recover=recover)
    service.install_signals()
    service.run(on_ready=lambda s: ready.send(s.url))


class KeeperProcess:
    """A keeper in its own process; see the module docstring."""

    def __init__(
        self, desk: Desk, db: Path, config: Path, *, armed: str = "", url: str | None = None, recover: bool = False
    ) -> None:
        receive, send = _CONTEXT.Pipe(duplex=False)
        self._ready = receive
        args = (url or desk.url, str(desk.deployment_path), str(config), str(db), armed, send, recover)
        self.process = _CONTEXT.Process(target=keeper_main, args=args, daemon=True)
        self.process.start()
        self.api: str | None = None

    def wait_ready(self, timeout: float = 30.0) -> str:
        """The API URL, once the keeper resumed and listens; raises if it died first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready.poll(0.05):
                self.api = str(self._ready.recv())
                return self.api
            if not self.process.is_alive():
                raise AssertionError(f"the keeper died before it was ready (exit {self.process.exitcode})")
        raise AssertionError("the keeper did not get ready in time")

    def wait_killed(self, timeout: float = 30.0) -> None:
        """Waits for the fail point's SIGKILL."""
        self.process.join(timeout)
        assert self.process.exitcode == -signal.SIGKILL, f"expected a SIGKILL, got exit {self.process.exitcode}"

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (a graceful stop) and waits; returns the exit code."""
        if self.process.is_alive():
            os.kill(self.process.pid, signal.SIGTERM)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        return self.process.exitcode

    def post(self, desk: Desk, signed: tuple[Order, bytes, bytes]) -> requests.Response:
        assert self.api is not None
        return requests.post(f"{self.api}/v1/orders", json=desk.body(signed), timeout=10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, *, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def settled(db: Path, digests: list[bytes]) -> bool:
    """Nothing in flight or unreconciled, and every one of ``digests`` is final (filled, cancelled,
    expired, rejected) or live with the loop's reason for not filling it."""
    with Journal(db) as journal:
        if any(journal.backlog().values()):
            return False
        records = journal.get_orders(digests)
        return len(records) == len(digests) and all(not r.live or r.reason is not None for r in records.values())


def all_filled(db: Path, digests: list[bytes]) -> bool:
    with Journal(db) as journal:
        if any(journal.backlog().values()):
            return False
        records = journal.get_orders(digests)
        return len(records) == len(digests) and all(r.status == "filled" for r in records.values())
