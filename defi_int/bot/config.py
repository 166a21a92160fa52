"""The keeper bot's configuration: every knob declared once, and the service config built from them.

The keeper file (``defi-int keeper --config keeper.toml``) has four tables, each a declared class
(``defi_int.params``: default, range and unit on one line per key, checked when built):

- ``[keeper]``   ``KeeperParams``: pricing, limits, hedging, the book's bounds (as in a scenario);
- ``[bot]``      ``LoopParams``: the loop's cadence, confirmations, the transaction manager (fees,
                 replacement), the node (timeouts, retries, the circuit breaker), reorg window;
- ``[api]``      ``ApiLimits``: what one client may send;
- ``[breakers]`` ``BreakerConfig`` (``defi_int.bot.breakers``): the circuit breakers' thresholds.

``load_keeper_file(path)`` reads it with the scenario reader (``defi_int.sim.schema``), so a bad
key or value gets the same one-line error naming the file and the key (``ScenarioError``).

``ServiceConfig`` is what the API, the state and the loop share: the deployment's EIP-712 domain
and markets, the keeper's configuration (``KeeperConfig``, derived from ``[keeper]`` and the
deployment: pricing and risk limits come from there and nowhere else), the loop's parameters, the
API limits and the breakers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from defi_int.bot.breakers import BreakerConfig
from defi_int.exceptions import ConfigError, ParamError, ScenarioError
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.pricing import PricingParams
from defi_int.orders.eip712 import Domain
from defi_int.params import YEAR_SECONDS, Declared, KeeperParams, integer, number

#: The environment variable holding the admin token (kill switch); unset disables the admin endpoint.
ADMIN_TOKEN_ENV = "DEFI_INT_ADMIN_TOKEN"


@dataclass(frozen=True, kw_only=True)
class ApiLimits(Declared):
    """[api]: what one client may send (the resting cap per trader is the keeper's ``max_resting_per_trader``)."""

    max_body_bytes: int = integer(8_192, 512, 10_000_000, unit="bytes")  # a signed order is ~600 bytes of JSON
    orders_per_second: float = number(20.0, 0, 1e6, lo_open=True, unit="orders per second")  # per trader
    burst: int = integer(40, 1, 1_000_000, unit="orders")  # per trader, at once
    max_cancel_window: int = integer(86_400, 1, YEAR_SECONDS, unit="seconds")  # a cancel's deadline at most this far
    margin_ttl: float = number(2.0, 0.0, 3_600.0, unit="seconds")  # a trader's book is read again after this
    request_timeout: float = number(10.0, 0.1, 600.0, unit="seconds")  # a request must arrive whole within this


@dataclass(frozen=True, kw_only=True)
class LoopParams(Declared):
    """[bot]: the loop, its transactions and the node.

    ``confirmations`` counts the block a settle is mined in: 1 is final once mined. A transaction
    not mined ``replace_after`` seconds after it was sent is replaced at the same nonce with its
    fees raised by ``fee_bump_bps`` (at least 12.5%, what nodes require of a replacement), never
    above ``max_fee_gwei``. A JSON-RPC call that fails is retried ``rpc_retries`` times, waiting
    ``rpc_backoff`` seconds and doubling; ``circuit_failures`` calls failing in a row open the
    circuit for ``circuit_cooldown`` seconds (calls fail at once, the loop waits), then one call
    tries the node again. Settles mined within ``reorg_window`` blocks of the head are checked
    against the canonical chain every iteration. The markets are sampled for the report every
    ``sample_interval`` seconds. Up to ``max_in_flight`` settles are signed and sent before the first
    of them is mined (their nonces in a row; each batch planned on the node's pending block, where
    the ones before it already stand); 1: one at a time. The liquidator reads the books of the
    accounts that traded at most every ``liquidation_interval`` seconds, once per new block, and sends at most
    ``max_liquidations`` closes a look. A settle waiting for its confirmations on a node whose head
    has not moved for ``mine_after`` seconds asks the node for an empty block (``evm_mine``), once
    the node allows it: a node that mines only on demand (a stock anvil, hardhat's default) has no
    other block coming; a node that refuses the method is never asked again (0: never ask). The
    toxicity model, which learns at the samples, is journaled at most every ``model_checkpoint``
    seconds (a restart resumes from the last one).
    """

    confirmations: int = integer(2, 1, 10_000, unit="blocks")
    loop_interval: float = number(1.0, 0.001, 60.0, unit="seconds")  # idle wait; /healthz allows 5x
    batch_wait: float = number(0.02, 0.0, 10.0, unit="seconds")  # gather more orders this long before a batch
    receipt_poll: float = number(0.002, 0.0001, 5.0, unit="seconds")
    receipt_wait: float = number(2.0, 0.0, 600.0, unit="seconds")  # one iteration waits this long for a receipt
    replace_after: float = number(30.0, 0.05, 86_400.0, unit="seconds")
    fee_bump_bps: int = integer(1_250, 1_250, 100_000, unit="bps")
    max_fee_gwei: float = number(1_000.0, 0.0, 1e9, lo_open=True, unit="gwei")
    rpc_timeout: float = number(10.0, 0.05, 600.0, unit="seconds")
    rpc_retries: int = integer(3, 0, 100, unit="retries")
    rpc_backoff: float = number(0.05, 0.0, 60.0, unit="seconds")
    circuit_failures: int = integer(5, 1, 10_000, unit="calls")
    circuit_cooldown: float = number(1.0, 0.0, 3_600.0, unit="seconds")
    reorg_window: int = integer(64, 1, 100_000, unit="blocks")
    sample_interval: float = number(1.0, 0.0, 3_600.0, unit="seconds")
    liquidation_interval: float = number(1.0, 0.0, 3_600.0, unit="seconds")  # the liquidator looks at most this often
    mine_after: float = number(1.0, 0.0, 3_600.0, unit="seconds")  # 0: never ask the node for a block
    max_in_flight: int = integer(4, 1, 64, unit="transactions")  # settles signed and not mined at once
    max_liquidations: int = integer(10, 1, 1_000, unit="closes")  # sent at most per look
    model_checkpoint: float = number(
        10.0, 0.0, 86_400.0, unit="seconds"
    )  # the toxicity model journaled at most this often


@dataclass(frozen=True)
class KeeperFile:
    """The tables of a keeper file (defaults for those it leaves out)."""

    keeper: KeeperParams = field(default_factory=KeeperParams)
    loop: LoopParams = field(default_factory=LoopParams)
    api: ApiLimits = field(default_factory=ApiLimits)
    breakers: BreakerConfig = field(default_factory=BreakerConfig)


#: The keeper file's tables, each a declared class (read by ``load_keeper_file`` and the parameter reference).
TABLES: dict[str, type] = {"keeper": KeeperParams, "bot": LoopParams, "api": ApiLimits, "breakers": BreakerConfig}


def load_keeper_file(path: str | Path | None) -> KeeperFile:
    """Reads and checks a keeper file (None: every default); raises ``ScenarioError`` naming file and key."""
    if path is None:
        return KeeperFile()
    from defi_int.sim.schema import Context, Node, declared_keys, read_declared, shown

    source = shown(str(path))
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(source, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, None, f"cannot read: {exc}") from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ScenarioError(source, None, f"invalid TOML: {exc}") from None
    top = Node(Context(source, Path(path).parent), raw)
    top.check_keys(set(TABLES))
    values = {}
    for name, cls in TABLES.items():
        node = top.table(name)
        node.check_keys(declared_keys(cls))
        read = read_declared(node, cls)  # a bad key or value raises ScenarioError naming it
        try:
            values[name] = cls(**read)
        except ParamError as exc:  # a rule across keys
            raise ScenarioError(source, f"{name}.{exc.path}", exc.problem) from None
    return KeeperFile(values["keeper"], values["bot"], values["api"], values["breakers"])


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the API, the state and the loop share; see the module docstring."""

    domain: Domain
    markets: tuple[int, ...]  # the deployment's listed markets
    keeper: KeeperConfig  # pricing, risk limits, book bounds: the keeper's, derived once
    loop: LoopParams = field(default_factory=LoopParams)
    limits: ApiLimits = field(default_factory=ApiLimits)
    breakers: BreakerConfig = field(default_factory=BreakerConfig)

    def __post_init__(self) -> None:
        unpriced = [m for m in self.markets if m not in self.keeper.pricing]
        if unpriced:
            raise ConfigError(f"markets {unpriced} have no pricing parameters")

    @property
    def pricing(self) -> dict[int, PricingParams]:
        return self.keeper.pricing

    @property
    def risk_limits(self) -> dict[int, int]:
        return self.keeper.risk_limits

    @property
    def loop_interval(self) -> float:
        return self.loop.loop_interval

    @property
    def max_resting_per_trader(self) -> int:
        """Live orders one trader may have: the keeper book's bound, enforced at intake."""
        return self.keeper.max_resting_per_trader
