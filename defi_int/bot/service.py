"""``defi-int keeper``: the API and the loop in one process, from a deployment file and a keeper file.

``open_service(...)`` checks everything before anything runs (the deployment file, the keeper
file, the key, the journal, the node: its chain id and contracts) and builds:

    Chain (JSON-RPC, the node's own clock, retries behind a circuit breaker)
      └─ System (attached with the keeper's key) ─ KeeperLoop (venue, keeper, transaction manager)
    Journal (SQLite file, claimed for this deployment) ─ BotState ─ API (uvicorn, its own thread)

``KeeperService.run()`` resumes the loop from the journal, starts the API, and iterates in the
calling thread until ``stop`` is set: SIGTERM and SIGINT set it (a graceful stop: the iteration
under way finishes, a batch sent is awaited for its receipt and booked, anything else in flight
stays journaled for the next start); SIGUSR1 engages the kill switch. The keeper's pricing and risk
limits are derived once, from the keeper file's ``[keeper]`` and the deployment's markets
(``KeeperConfig.from_params``).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TypeVar

from defi_int.bot.api import create_app
from defi_int.bot.config import KeeperFile, ServiceConfig, load_keeper_file
from defi_int.bot.errors import JournalError
from defi_int.bot.journal import Journal
from defi_int.bot.keys import load_account
from defi_int.bot.lock import JournalLock
from defi_int.bot.loop import KeeperLoop
from defi_int.bot.margin import MarginCheck
from defi_int.bot.serve import ApiServer
from defi_int.bot.state import BotState, install_kill_signal
from defi_int.chain.backend import Chain
from defi_int.chain.deployment import Deployment, attach, read_deployment
from defi_int.chain.rpc import CircuitBreaker, RetryPolicy, RpcNode
from defi_int.chain.views import read_ledger
from defi_int.exceptions import ConfigError, DefiIntError, NodeUnavailable, ParamError, ScenarioError
from defi_int.keeper.config import KeeperConfig

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass
class KeeperService:
    """A keeper bot ready to run; see the module docstring."""

    chain: Chain
    deployment: Deployment
    state: BotState
    loop: KeeperLoop
    host: str
    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    server: ApiServer | None = None
    closing: list[Chain] = field(default_factory=list)  # the node connections to close at the end
    lock: JournalLock | None = None  # one keeper per journal, released at the end

    def run(self, *, on_ready: Callable[[KeeperService], None] | None = None) -> None:
        """Resumes, serves the API and runs the loop until ``stop`` is set; then closes everything."""
        try:
            self.loop.resume()
            timeout = self.state.config.limits.request_timeout
            self.server = ApiServer(create_app(self.state), self.host, self.port, request_timeout=timeout).start()
            if on_ready is not None:
                on_ready(self)
            self.loop.run(self.stop)
            try:
                self.loop.finish()
            except DefiIntError as exc:
                _log.warning("stopping without a final sample and invariant check: %s", exc)
        finally:
            self.close()

    @property
    def url(self) -> str:
        return self.server.url if self.server is not None else f"http://{self.host}:{self.port}"

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.state.journal.close()
        for chain in self.closing or [self.chain]:
            chain.close()
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def install_signals(self) -> None:
        """SIGTERM/SIGINT stop the loop gracefully; SIGUSR1 engages the kill switch (main thread only)."""

        def graceful(received: int, frame: FrameType | None) -> None:
            _log.warning("%s received: finishing the iteration under way", signal.Signals(received).name)
            self.stop.set()
            self.state.wake.set()

        signal.signal(signal.SIGTERM, graceful)
        signal.signal(signal.SIGINT, graceful)
        install_kill_signal(self.state)


def open_service(
    rpc_url: str,
    deployment_path: str | Path,
    *,
    config_path: str | Path | None = None,
    db_path: str | Path = "keeper.sqlite",
    listen: str = "127.0.0.1:8700",
    key_file: str | Path | None = None,
    recover: bool = False,
) -> KeeperService:
    """Checks the inputs and builds the service (see the module docstring); bad input raises ``ConfigError``."""
    host, port = parse_listen(listen)
    deployment = read_deployment(deployment_path)
    settings = load_keeper_file(config_path)
    keeper_account = load_account("keeper", key_file)
    if keeper_account.address != deployment.accounts["keeper"]:
        expected = deployment.accounts["keeper"]
        raise ConfigError(f"the keeper key is for {keeper_account.address}, the deployment's keeper is {expected}")
    db = Path(db_path)
    if db.exists() and not db.is_file():
        raise ConfigError(f"--db {db}: not a file")
    if not db.parent.is_dir():
        raise ConfigError(f"--db {db}: no directory {db.parent}")
    try:  # before the node and the journal: a pricing mode the bot cannot run is the keeper file's error
        keeper = KeeperConfig.from_params(settings.keeper, deployment.params, deployment.volatility)
    except ParamError as exc:
        raise ScenarioError(str(config_path or "keeper defaults"), f"keeper.{exc.path}", exc.problem) from None
    lock = JournalLock(db).acquire()  # one keeper per journal
    closing: list[Chain] = []
    journal: Journal | None = None
    try:
        journal = open_journal(db)
        identity = f"chain {deployment.chain_id}, Settlement {deployment.contracts['Settlement']}"
        claimed = journal.claim("identity", identity)
        if claimed != identity:
            raise ConfigError(f"--db {db}: this journal belongs to another deployment ({claimed})")
        chain = connect(rpc_url, settings)
        closing.append(chain)
        system = _attached(rpc_url, lambda: attach(chain, deployment, keeper=keeper_account))
        config = ServiceConfig(
            domain=deployment.domain,
            markets=deployment.markets,
            keeper=keeper,
            loop=settings.loop,
            limits=settings.api,
            breakers=settings.breakers,
        )
        journal.set_meta("deployment", deployment.to_json())  # what ``keeper report`` reads
        state = BotState(config, journal)
        reader = connect(rpc_url, settings)  # the API's own connection: intake reads traders' books on it
        closing.append(reader)
        reading = _attached(rpc_url, lambda: attach(reader, deployment))
        state.margin = MarginCheck(
            lambda trader: read_ledger(reading, [trader]),
            state.snapshot,
            ttl=settings.api.margin_ttl,
            decimals=deployment.params.decimals,
        )
        node = chain.node
        assert isinstance(node, RpcNode)  # Chain.connect always gives one
        if node.policy is not None:
            node.policy.on_error = state.metrics.rpc_error
        loop = KeeperLoop(state, system, node, start_block=deployment.block, recover=recover)
    except BaseException:
        for each in closing:
            each.close()
        if journal is not None:
            journal.close()
        lock.release()
        raise
    return KeeperService(chain, deployment, state, loop, host, port, closing=closing, lock=lock)


def open_journal(db: Path) -> Journal:
    """The journal at ``db``, checked whole (``quick_check``); a file that is not a journal, a newer
    schema, a damaged page or a truncated file is one ``ConfigError`` line."""
    journal: Journal | None = None
    try:
        journal = Journal(db)
        journal.check()
    except JournalError as exc:
        if journal is not None:
            journal.close()
        detail = str(exc).removeprefix(f"{db}: ")
        raise ConfigError(
            f"--db {db}: {detail}; restore it from a backup, or start on a new file with --recover"
        ) from None
    return journal


def _attached(rpc_url: str, attaching: Callable[[], _T]) -> _T:
    """The node connected, or the deployment attached on it; a node that does not answer is one line
    naming its URL."""
    try:
        return attaching()
    except NodeUnavailable as exc:
        raise ConfigError(f"--rpc-url {rpc_url}: the node does not answer ({_why(exc.detail)})") from None


def _why(detail: str) -> str:
    """The gist of a transport error (requests' messages run to a paragraph)."""
    for words, gist in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host"),
        ("Temporary failure in name resolution", "unknown host"),
        ("circuit open", "circuit open"),
    ):
        if words in detail:
            return gist
    return detail[:160]


def connect(rpc_url: str, settings: KeeperFile) -> Chain:
    """The node, on its own clock, its requests retried under the ``[bot]`` policy."""
    loop = settings.loop
    policy = RetryPolicy(
        retries=loop.rpc_retries,
        backoff=loop.rpc_backoff,
        circuit=CircuitBreaker(failures=loop.circuit_failures, cooldown=loop.circuit_cooldown),
    )
    return _attached(
        rpc_url, lambda: Chain.connect(rpc_url, timeout=loop.rpc_timeout, manage_clock=False, policy=policy)
    )


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` of ``--listen``; one line naming the problem otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65_535:
        raise ConfigError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8700")
    return host, int(port)
