"""``defi-int traders``: a scenario's market played against a running keeper, over its API and the node.

The load generator and the example client. From a scenario file it takes the markets' price paths,
the trader populations (noise, informed: ``sim.agents``), the oracle's cadence and the
arbitrageurs, and plays them in wall time, one scenario step every ``step_seconds``:

1. the oracle (the owner's key: ``DEFI_INT_OWNER_KEY`` or the key file) posts the path's price;
2. an arbitrageur trades the AMM back toward it (``PerpAmm.swap``);
3. every trader's orders are signed (EIP-712, in the deployment's domain) and POSTed to the
   keeper's API, by ``workers`` threads with kept-alive connections; an order expires
   ``expiry_steps`` x the scenario's ``block_time`` seconds after the chain's time. A POST that gets
   no answer (the keeper restarting, a dropped connection) is sent again, for up to
   ``RETRY_SECONDS``: the API answers a repeat of an order with the same result.

Traders and arbitrageurs are accounts derived from labels (as in ``defi-int run``), given ether by
the node's unlocked account and margin by the owner (mint and deposit) once. Nonces start from the
wall clock in microseconds, so runs never reuse one. Every request's outcome is counted by status
and code (``TradersSummary``: accepted, refused by the keeper with its code, lost: never answered);
the keeper's journal says what became of each order.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from eth_account.signers.local import LocalAccount

from defi_int.bot.keys import load_account
from defi_int.chain.backend import Chain
from defi_int.chain.deploy import System
from defi_int.chain.deployment import attach, read_deployment
from defi_int.chain.views import market_state
from defi_int.exceptions import ConfigError, ContractRevert
from defi_int.market.paths import price_path
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_digest
from defi_int.sim.agents import InformedTraders, NoiseTraders, OrderIntent, arbitrage_trade
from defi_int.sim.scenario import Scenario, load_scenario

#: Seconds a POST that gets no answer (the keeper restarting, a dropped connection) is retried for.
RETRY_SECONDS = 30.0
LOST = "lost"


@dataclass
class TradersSummary:
    """What the traders did: orders by outcome, retries, oracle posts, arbitrage swaps, time."""

    steps: int = 0
    posted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "201", the API's error code, or "lost"
    retries: int = 0  # POSTs sent again after no answer
    oracle_posts: int = 0
    swaps: int = 0
    seconds: float = 0.0
    digests: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.outcomes.get("201", 0)

    @property
    def lost(self) -> int:
        """Orders the keeper never answered, after ``RETRY_SECONDS`` of retries."""
        return self.outcomes.get(LOST, 0)

    def line(self) -> str:
        rate = self.posted / self.seconds if self.seconds else 0.0
        refusals = {k: v for k, v in self.outcomes.items() if k not in ("201", LOST)}
        refused = ", ".join(f"{k} x{v}" for k, v in sorted(refusals.items())) or "none"
        return (
            f"{self.steps} steps in {self.seconds:.1f} s: {self.posted} orders posted ({rate:.1f}/s), "
            f"{self.accepted} accepted, {sum(refusals.values())} refused by the keeper ({refused}), {self.lost} lost "
            f"(never answered; {self.retries} retries); {self.oracle_posts} oracle posts, {self.swaps} swaps"
        )


class Poster:
    """POSTs signed orders from a queue with ``workers`` threads, each on its own kept-alive connection.

    The standard library's ``http.client`` rather than ``requests``: a fifth of its CPU per request,
    and the load generator shares the machine with the keeper it measures.
    """

    def __init__(
        self, api: str, workers: int, summary: TradersSummary, *, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        parts = urlsplit(api)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)
        self.https = parts.scheme == "https"
        self.path = parts.path.rstrip("/") + "/v1/orders"
        self.summary = summary
        self.retry_seconds = retry_seconds
        self.jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self.threads:
            thread.start()

    def post(self, body: dict[str, Any]) -> None:
        self.jobs.put(body)

    def close(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=30)

    def _work(self) -> None:
        connection = self._connect()
        headers = {"content-type": "application/json"}
        while (body := self.jobs.get()) is not None:
            text = json.dumps(body)
            deadline, pause = time.monotonic() + self.retry_seconds, 0.05
            while True:
                try:
                    connection.request("POST", self.path, text, headers)
                    response = connection.getresponse()
                    answer = json.loads(response.read())
                    created = response.status == 201
                    outcome = "201" if created else str(answer.get("code", response.status))
                    digest = answer.get("digest") if created else None
                    break
                except (OSError, http.client.HTTPException, ValueError):
                    connection.close()
                    connection = self._connect()
                    if time.monotonic() + pause > deadline:
                        outcome, digest = LOST, None
                        break
                    time.sleep(pause)  # the keeper may be restarting: the same POST gets the same answer
                    pause = min(1.0, pause * 2)
                    with self.lock:
                        self.summary.retries += 1
            with self.lock:
                self.summary.posted += 1
                self.summary.outcomes[outcome] += 1
                if digest:
                    self.summary.digests.append(digest)
        connection.close()


class TradersRun:
    """One run of the traders (see the module docstring)."""

    def __init__(self, scenario: Scenario, system: System, domain: Domain, api: str, *, workers: int = 8) -> None:
        self.scenario = scenario
        self.system = system
        self.domain = domain
        self.api = api
        self.workers = workers
        self.rng = np.random.default_rng(scenario.seed)
        self.markets = tuple(m.id for m in scenario.markets)
        self.nonces = itertools.count(time.time_ns() // 1_000)
        self.summary = TradersSummary()

    def setup(self, steps: int) -> None:
        """Accounts, ether, margin and the price paths for ``steps`` steps."""
        scenario, system, chain = self.scenario, self.system, self.system.chain
        unit = system.params.unit
        missing = [m for m in self.markets if m not in {p.market_id for p in system.params.markets}]
        if missing:
            raise ConfigError(f"the scenario's markets {missing} are not listed by the deployment")
        self.paths = {m.id: price_path(m, m.price, steps, scenario.block_time, self.rng) for m in scenario.markets}
        self.populations: list[tuple[list[LocalAccount], NoiseTraders | InformedTraders]] = []
        for spec in scenario.traders:
            accounts = [chain.account(f"trader:{spec.name}:{i}") for i in range(spec.count)]
            agent: NoiseTraders | InformedTraders = (
                InformedTraders(spec, self.markets, self.paths)
                if spec.type == "informed"
                else NoiseTraders(spec, self.markets)
            )
            for account in accounts:
                self._margin(account, spec.margin * unit)
            self.populations.append((accounts, agent))
        self.arbs = [chain.account(f"arbitrageur:{i}") for i in range(scenario.arbitrage.count)]
        for arb in self.arbs:
            self._margin(arb, scenario.arbitrage.margin * unit)
        self.marks = {m.id: m.price for m in scenario.markets}

    def _margin(self, account: LocalAccount, amount: int) -> None:
        cash = self.system.chain.call(self.system.vault.functions.cash(account.address))
        if cash < amount // 2:
            self.system.fund(account, amount)

    def run(self, duration: float, step_seconds: float) -> TradersSummary:
        steps = max(1, math.ceil(duration / step_seconds))
        self.setup(steps)
        poster = Poster(self.api, self.workers, self.summary)
        started = time.monotonic()
        try:
            for step in range(steps):
                self._step(step, poster)
                self.summary.steps += 1
                pause = started + (step + 1) * step_seconds - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        finally:
            poster.close()
            self.summary.seconds = time.monotonic() - started
        return self.summary

    def _step(self, step: int, poster: Poster) -> None:
        scenario, system = self.scenario, self.system
        if scenario.oracle.posts_at(step):
            for market in self.markets:
                price = self.paths[market][step]
                system.set_price(market, price)
                self.marks[market] = price
                self.summary.oracle_posts += 1
        if self.arbs:
            arb = self.arbs[step % len(self.arbs)]
            states = market_state(system)
            for market in self.markets:
                pool = states[market].pool
                trade = None if pool is None else arbitrage_trade(
                    market, pool, self.marks[market], system.params.price_scale, scenario.arbitrage
                )  # fmt: skip
                if trade is None:
                    continue
                try:
                    system.swap(arb, market, trade.is_buy, trade.size, trade.limit_quote)
                    self.summary.swaps += 1
                except ContractRevert:
                    pass  # the pool moved under it; next step
        now = system.chain.timestamp()
        for accounts, agent in self.populations:
            for intent in agent.intents(self.rng, self.marks, now, scenario.block_time, step):
                poster.post(self._body(accounts[intent.trader], intent))

    def _body(self, account: LocalAccount, intent: OrderIntent) -> dict[str, Any]:
        order = Order(
            account.address, intent.market, intent.is_buy, intent.size, intent.limit_price, intent.expiry,
            next(self.nonces), intent.max_fee_bps, intent.allow_amm,
        )  # fmt: skip
        signature = sign_digest(account, order_digest(order, self.domain))
        message = {k: v if isinstance(v, (bool, str)) else str(v) for k, v in order.as_message().items()}
        return {"order": message, "signature": "0x" + signature.hex()}


def traders_command(
    api: str,
    deployment_path: str | Path,
    scenario_path: str | Path,
    *,
    duration: float = 60.0,
    rpc_url: str | None = None,
    step_seconds: float = 1.0,
    key_file: str | Path | None = None,
    seed: int | None = None,
    workers: int = 8,
) -> TradersSummary:
    """Checks the inputs, then runs the traders for ``duration`` seconds (see the module docstring)."""
    if not api.startswith(("http://", "https://")):
        raise ConfigError(f"--api {api!r}: expected the keeper's URL, e.g. http://127.0.0.1:8700")
    if not duration > 0 or not step_seconds > 0:
        raise ConfigError("--duration and --step-seconds must be positive seconds")
    deployment = read_deployment(deployment_path)
    scenario = load_scenario(scenario_path, seed=seed)
    owner = load_account("owner", key_file)
    url = rpc_url or deployment.rpc_url
    if url is None:
        raise ConfigError("--rpc-url: the deployment file names no node; give the node's URL")
    with Chain.connect(url, manage_clock=False) as chain:
        system = attach(chain, deployment, owner=owner)
        return TradersRun(scenario, system, deployment.domain, api, workers=workers).run(duration, step_seconds)
