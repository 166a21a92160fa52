"""Scenarios: the TOML file that fixes a simulation, its frozen dataclasses, and the loader.

Each table of the file is a declared dataclass (``defi_int.params``): ``[protocol]`` is
``ProtocolParams``, ``[keeper]`` is ``KeeperParams``, a ``[[markets]]`` entry is a
:class:`MarketSpec` (the on-chain ``MarketParams`` plus the price path's ``PathParams`` and a
symbol), and the tables only a simulation has (``[chain]``, ``[oracle]``, ``[[traders]]``,
``[arbitrage]``, ``[[depositors]]``, the top level) are declared here the same way. Each field's one line gives its
key, default, range and unit.

Data flow: ``load_scenario(path, overrides=..., seed=...)`` reads the file, parses the TOML into a
raw dict, writes each ``--set key=value`` override into it (``schema.apply_overrides``), then
builds the specs table by table: ``schema.read_declared`` reads and checks every declared key,
the loader checks the keys that only make sense together (jump keys on jump paths, a replay CSV
that covers the run ...), and building each spec checks the rules that span its fields. Last,
building the :class:`Scenario` checks what the contracts will take over the whole run
(:meth:`Scenario.problems`: the markets against the protocol, the clock, every deposit and the
token's supply, each price path). The first problem is raised as one :class:`ScenarioError`
naming the file (or ``--set``) and the dotted key path; nothing is deployed before that.

Amounts that go on chain are 1e18 fixed-point ints (``price``, ``amm_base``, sizes, limits),
read exactly from decimals; ``to_dict`` renders them back as decimal strings. Whole-token amounts
(``desk_capital``, ``margin``) stay whole tokens. No web3 here.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from defi_int.chain import BACKENDS, DEFAULT_BACKEND
from defi_int.exceptions import ParamError, ScenarioError, ScenarioWarning
from defi_int.market.paths import PathParams, load_price_csv, path_problem, replay_coverage
from defi_int.params import (
    INT96_MAX,
    MAX_MARKET_ID,
    MAX_STEPS,
    MAX_TIMESTAMP,
    REQUIRED,
    UINT64_MAX,
    UINT112_MAX,
    UINT128_MAX,
    Declared,
    KeeperParams,
    MarketParams,
    Problem,
    ProtocolParams,
    SystemParams,
    amount,
    choice,
    declared,
    fixed_to_str,
    flag,
    integer,
    integers,
    market_problems,
    number,
    pair,
    param_of,
    show,
    text,
    values_of,
)
from defi_int.sim.schema import Context, Node, apply_overrides, declared_keys, read_declared, shown
from defi_int.types import BPS, ONE

TRADER_TYPES: Final = ("noise", "informed", "fast", "intensity")
INFORMED_ONLY: Final = ("horizon",)
EDGE_ONLY: Final = ("min_edge_bps", "limit_rule")
INTENSITY_ONLY: Final = ("intensity", "decay")
LIMIT_RULES: Final = ("half_edge", "offset")
#: Keys an ``intensity`` population does not take: its orders are one of each side per step and market,
#: of ``size_mean`` exactly, through the oracle by a drawn distance, for half a step, never to the AMM,
#: from one address per trader.
NOT_FOR_INTENSITY: Final = (
    "rate",
    "size_sigma",
    "limit_offset_bps",
    "expiry_steps",
    "allow_amm",
    "rotate_every",
    *INFORMED_ONLY,
    *EDGE_ONLY,
)
#: The most addresses one population may be funded with (as many as ``count`` takes).
MAX_ADDRESSES: Final = 10_000
#: A rotating population is funded before the run for its expected orders plus this many standard
#: deviations (Poisson); the rare run that needs more funds the rest when they are first used.
ROTATION_SIGMAS: Final = 4
ARB_ANCHORS: Final = ("oracle", "reference")
JUMP_ONLY: Final = ("jump_intensity", "jump_mean", "jump_std")
_NAME_MAX: Final = 100

Spec = TypeVar("Spec")


@dataclass(frozen=True, kw_only=True)
class ChainSpec(Declared):
    """[chain]: one of ``chain.BACKENDS`` (default: revm, in process); ``rpc`` takes a node's ``rpc_url``."""

    backend: str = choice(DEFAULT_BACKEND, BACKENDS)
    rpc_url: str | None = text(None)


@dataclass(frozen=True, kw_only=True)
class MarketSpec(PathParams, MarketParams):
    """[[markets]]: one perp market on chain (``MarketParams``), its price path (``PathParams``) and a
    symbol for the report. For ``path = "replay"`` the ``price`` is the CSV's first price."""

    symbol: str = text("")

    def __post_init__(self) -> None:
        if not self.symbol:
            object.__setattr__(self, "symbol", f"M{self.market_id}")
        super().__post_init__()

    @property
    def id(self) -> int:
        """The market id (``market_id``; the scenario's key is ``id``)."""
        return self.market_id


@dataclass(frozen=True, kw_only=True)
class OracleSpec(Declared):
    """[oracle]: a price is posted every ``cadence`` steps, except during
    ``[stale_from, stale_from + stale_steps)`` when nothing is posted. The price posted at step ``t``
    is the path's at ``t − lag`` (the path's first price while ``t < lag``): the path is the
    reference, the real market's price now, which the oracle shows ``lag`` steps late."""

    cadence: int = integer(1, 1, MAX_STEPS, unit="steps")
    stale_from: int | None = integer(None, 0, MAX_STEPS)
    stale_steps: int = integer(0, 0, MAX_STEPS, unit="steps")
    lag: int = integer(0, 0, MAX_STEPS, unit="steps")

    def posts_at(self, step: int) -> bool:
        """Whether the oracle posts a price at ``step``."""
        if self.stale_from is not None and self.stale_from <= step < self.stale_from + self.stale_steps:
            return False
        return step % self.cadence == 0

    def source_step(self, step: int) -> int:
        """The step of the path whose price the oracle posts at ``step``."""
        return max(0, step - self.lag)

    def problems(self) -> Iterator[Problem]:
        # A window starting after the last step is allowed: it never happens, so ``--set steps=N``
        # can shorten a scenario that has an outage later on.
        if self.stale_from is None and self.stale_steps > 0:
            yield Problem("stale_steps", "has no effect without oracle.stale_from (the first stale step)")


@dataclass(frozen=True, kw_only=True)
class TraderSpec(Declared):
    """[[traders]]: a population of ``count`` traders sending Poisson(``rate``) orders per step.

    Sizes are lognormal with mean ``size_mean`` (1e18 base units); limits sit
    ``limit_offset_bps`` from the oracle on the trader's side (for informed and fast traders, only
    with ``limit_rule = "offset"``); orders expire after
    ``expiry_steps`` steps; ``allow_amm`` is the probability an order allows the AMM. Informed
    traders see the price ``horizon`` steps ahead, ``fast`` traders the reference price now (the
    path, which a lagging oracle shows late), and both trade when the edge over the oracle beats
    ``min_edge_bps``; their ``limit_rule`` is ``half_edge`` (the limit gives away at most half the
    edge) or ``offset`` (drawn from ``limit_offset_bps`` as noise traders draw theirs).
    ``rotate_every``: each trader signs with a fresh funded address after that many orders (none:
    one address for the run). ``intensity`` traders are Avellaneda–Stoikov's market orders: a quote
    ``δ`` USD from the oracle is taken with probability ``min(1, intensity·e^(−decay·δ))`` per step
    and side (``intensity`` is A·dt, ``decay`` is k), orders of ``size_mean`` exactly
    (``defi_int.sim.agents``).
    """

    type: str = choice(REQUIRED, TRADER_TYPES)
    name: str = text("")
    count: int = integer(1, 1, 10_000, unit="traders")
    rate: float = number(0.1, 0, 10, lo_open=True, unit="orders per step")
    markets: tuple[int, ...] | None = integers(None, 0, MAX_MARKET_ID)
    size_mean: int = amount(ONE, 0, UINT128_MAX, lo_open=True, unit="base units", onchain="uint128")
    size_sigma: float = number(0.5, 0, 5)
    limit_offset_bps: tuple[float, float] = pair((5.0, 50.0), "float", -1_000, BPS, unit="bps")
    expiry_steps: tuple[int, int] = pair((1, 5), "int", 1, 100_000, unit="steps")
    allow_amm: float = number(0.8, 0, 1)
    max_fee_bps: int = integer(30, 0, BPS, unit="bps", onchain="uint16")
    margin: int = integer(100_000, 1, INT96_MAX, unit="whole tokens")
    horizon: int = integer(5, 1, MAX_STEPS, unit="steps")
    min_edge_bps: float = number(20.0, 0, unit="bps")
    limit_rule: str = choice("half_edge", LIMIT_RULES)
    rotate_every: int | None = integer(None, 1, MAX_STEPS, unit="orders")
    intensity: float = number(0.7, 0, 1e6, lo_open=True, unit="fills per step at the oracle (A·dt)")
    decay: float = number(1.5, 0, 1e9, lo_open=True, unit="per USD (k)")

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.type)
        super().__post_init__()

    def addresses(self, steps: int) -> int:
        """How many addresses the population is funded with before a run of ``steps``: ``count``,
        and when it rotates, a fresh one per ``rotate_every`` of the orders it may send (its expected
        arrivals, ``count·rate·steps``, plus ``ROTATION_SIGMAS`` standard deviations)."""
        if self.rotate_every is None:
            return self.count
        expected = self.count * self.rate * steps
        orders = math.ceil(expected + ROTATION_SIGMAS * math.sqrt(expected))
        return self.count + -(-orders // self.rotate_every)


@dataclass(frozen=True, kw_only=True)
class ArbSpec(Declared):
    """[arbitrage]: ``count`` arbitrageurs trade the AMM back toward the ``anchor`` past ``threshold_bps``:
    the oracle's last post, or the reference (the path now: the real market, which a lagging oracle
    shows ``oracle.lag`` steps late; arbitrageurs trade against the price they can trade elsewhere)."""

    count: int = integer(1, 0, 100, unit="arbitrageurs")
    threshold_bps: float = number(10.0, 0, unit="bps")
    max_size: int = amount(50 * ONE, 0, UINT112_MAX, lo_open=True, unit="base units", onchain="uint112")
    margin: int = integer(1_000_000, 1, INT96_MAX, unit="whole tokens")
    anchor: str = choice("oracle", ARB_ANCHORS)


@dataclass(frozen=True, kw_only=True)
class DepositorSpec(Declared):
    """[[depositors]]: ``count`` depositors of the desk's shares, each depositing ``deposit`` whole
    tokens at step ``deposit_step``; from ``withdraw_step`` (if given) each asks to withdraw
    ``withdraw_share`` of its shares and claims them once the lock-up has passed, within the daily
    outflow cap (``defi_int.sim.depositors``)."""

    name: str = text("depositors")
    count: int = integer(1, 1, 1_000, unit="depositors")
    deposit: int = integer(REQUIRED, 1, INT96_MAX, unit="whole tokens")
    deposit_step: int = integer(0, 0, MAX_STEPS, unit="steps")
    withdraw_step: int | None = integer(None, 0, MAX_STEPS, unit="steps")
    withdraw_share: float = number(1.0, 0, 1, lo_open=True)

    def problems(self) -> Iterator[Problem]:
        if self.withdraw_step is not None and self.withdraw_step < self.deposit_step:
            yield Problem(
                "withdraw_step",
                f"must be >= deposit_step ({self.deposit_step}), got {self.withdraw_step}",
                ("deposit_step",),
            )


@dataclass(frozen=True, kw_only=True)
class Scenario(Declared):
    """A whole simulation: clock, seed, chain, protocol, markets, oracle, keeper and agents."""

    name: str = text(REQUIRED)
    description: str = text("")
    seed: int = integer(1, 0, UINT64_MAX)
    steps: int = integer(REQUIRED, 1, MAX_STEPS, unit="steps")
    block_time: int = integer(12, 2, 3_600, unit="seconds")
    start_time: int = integer(2_100_000_000, 0, MAX_TIMESTAMP, unit="unix seconds")
    #: The orders of a step reach the keeper in a random order (else population by population, in
    #: the file's order, so a population's place in the batch would tell it apart).
    shuffle_arrivals: bool = flag(False)
    chain: ChainSpec = field(default_factory=ChainSpec)
    protocol: ProtocolParams = field(default_factory=ProtocolParams)
    markets: tuple[MarketSpec, ...]
    oracle: OracleSpec = field(default_factory=OracleSpec)
    keeper: KeeperParams = field(default_factory=KeeperParams)
    traders: tuple[TraderSpec, ...]
    arbitrage: ArbSpec = field(default_factory=ArbSpec)
    depositors: tuple[DepositorSpec, ...] = ()
    source: Path | None = None

    def time_of(self, step: int) -> int:
        """Unix seconds of ``step``."""
        return self.start_time + step * self.block_time

    def market(self, market_id: int) -> MarketSpec:
        """The market with id ``market_id``."""
        for market in self.markets:
            if market.market_id == market_id:
                return market
        raise KeyError(market_id)

    def with_seed(self, seed: int) -> Scenario:
        """The same scenario with another seed."""
        problem = param_of(Scenario, "seed").problem(seed)
        if problem:
            raise ScenarioError("--seed", "seed", problem)
        return dataclasses.replace(self, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        """Every resolved value, JSON-able, by TOML key: tuples as lists, paths as strings, amounts as decimals."""
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain

    def system_params(self) -> SystemParams:
        """The ``deploy_system`` parameters for this scenario."""
        return SystemParams(
            **values_of(self.protocol, ProtocolParams),
            markets=tuple(MarketParams(**values_of(m, MarketParams)) for m in self.markets),
        )

    def warnings(self) -> list[str]:
        """What runs but is probably not meant, one sentence each (``load_scenario`` issues them as
        ``ScenarioWarning``): a desk quoting the paper's way for another fill decay than its intensity
        traders draw from quotes for a flow that is not there."""
        found = []
        if self.keeper.pricing_mode != "bps":
            k = self.keeper.fill_decay
            for index, trader in enumerate(self.traders):
                if trader.type == "intensity" and trader.decay != k:
                    found.append(
                        f"keeper.fill_decay = {k:g} but traders[{index}].decay = {trader.decay:g} ({trader.name}): "
                        f"the desk quotes ({self.keeper.pricing_mode} mode) for fills that decay at k = {k:g} per USD "
                        f"while these traders take quotes at k = {trader.decay:g}; set both to the same value"
                    )
        return found

    def problems(self) -> Iterator[Problem]:
        """What the contracts would refuse over the whole run; paths are the scenario's key paths."""
        name = self.name
        if not name or not name.isprintable() or name != name.strip() or len(name) > _NAME_MAX:
            yield Problem(
                "name",
                f"must be 1..{_NAME_MAX} printable characters without surrounding spaces, got {shown(repr(name))}",
            )
        elif "/" in name or "\\" in name or name.startswith("."):
            yield Problem("name", f"becomes the report directory out/<name>: no '/', '\\' or leading '.', got {name!r}")
        for rule in market_problems(self.protocol, self.markets):
            yield Problem(_protocol_path(rule.path), rule.message, tuple(_protocol_path(r) for r in rule.related))
        for index, market in enumerate(self.markets):
            found = path_problem(market, market.price, self.steps, self.block_time)
            if found:
                key, why = found
                related = tuple(f"markets[{index}].{k}" for k in ("price", "path", *JUMP_ONLY, "drift", "volatility"))
                yield Problem(f"markets[{index}].{key}", why, (*related, "steps", "block_time"))
        yield from self._clock_problems()
        yield from self._rotation_problems()
        yield from self._deposit_problems()

    def _rotation_problems(self) -> Iterator[Problem]:
        for i, trader in enumerate(self.traders):
            needed = trader.addresses(self.steps)
            if needed > MAX_ADDRESSES:
                yield Problem(
                    f"traders[{i}].rotate_every",
                    f"a fresh address every {trader.rotate_every} orders takes {show(needed)} funded addresses "
                    "over the run (count + count x rate x steps / rotate_every, with room), above the "
                    f"{show(MAX_ADDRESSES)} a population may hold",
                    (f"traders[{i}].count", f"traders[{i}].rate", "steps"),
                )

    def _clock_problems(self) -> Iterator[Problem]:
        longest = max((t.expiry_steps[1] for t in self.traders), default=0)
        end = self.start_time + (self.steps + longest) * self.block_time
        if end > MAX_TIMESTAMP:
            yield Problem(
                "start_time",
                f"the run reaches t = {show(end)} (start_time + (steps + the longest expiry, {longest} steps) x "
                f"block_time), past the last block time the chains take ({MAX_TIMESTAMP}, in the year "
                f"{datetime.fromtimestamp(MAX_TIMESTAMP, UTC).year})",
                ("steps", "block_time", *(f"traders[{i}].expiry_steps" for i in range(len(self.traders)))),
            )

    def _deposit_problems(self) -> Iterator[Problem]:
        protocol = self.protocol
        deposits = [
            ("protocol.desk_capital", protocol.desk_capital),
            ("protocol.amm_capital", protocol.amm_capital),
            ("protocol.insurance_capital", protocol.insurance_capital),
            *((f"traders[{i}].margin", t.addresses(self.steps) * t.margin) for i, t in enumerate(self.traders)),
            ("arbitrage.margin", self.arbitrage.count * self.arbitrage.margin),
            *((f"depositors[{i}].deposit", d.count * d.deposit) for i, d in enumerate(self.depositors)),
        ]
        for i, trader in enumerate(self.traders):
            problem = protocol.deposit_problem(trader.margin, "a trader's margin")
            if problem:
                yield Problem(f"traders[{i}].margin", problem, ("protocol.decimals",))
        problem = protocol.deposit_problem(self.arbitrage.margin, "an arbitrageur's margin")
        if problem:
            yield Problem("arbitrage.margin", problem, ("protocol.decimals",))
        for i, depositor in enumerate(self.depositors):
            problem = protocol.deposit_problem(depositor.deposit, "a depositor's deposit")
            if problem:
                yield Problem(f"depositors[{i}].deposit", problem, ("protocol.decimals",))
        supply = sum(tokens for _, tokens in deposits)
        what = "the token's supply (capital and every margin: one account may come to hold it all)"
        problem = protocol.deposit_problem(supply, what)
        if problem:
            largest = max(deposits, key=lambda deposit: deposit[1])[0]
            yield Problem(largest, problem, ("protocol.decimals", *(path for path, _ in deposits)))


def _protocol_path(path: str) -> str:
    """A ``SystemParams`` field path as the scenario's key path (``decimals`` -> ``protocol.decimals``)."""
    if path.startswith("markets["):
        return path
    return f"protocol.{path}"


_ALIASES: Final = {
    f.name: param.key
    for cls in (MarketParams, PathParams, ProtocolParams, KeeperParams)
    for f, param in declared(cls)
    if param.key
}


def toml_path(path: str) -> str:
    """A field path (``markets[1].market_id``) as the scenario's key path (``markets[1].id``)."""
    return re.sub(r"(?<=\.)(\w+)", lambda m: _ALIASES.get(m[1], m[1]), path) if "." in path else path


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        params = {f.name: p for f, p in declared(type(value))}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            param = params.get(f.name)
            key = param.key if param and param.key else f.name
            out[key] = fixed_to_str(item) if param and param.kind == "amount" and item is not None else _plain(item)
        return out
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


#: Every table of a scenario file and the class that declares its keys.
TABLES: Final[tuple[tuple[str, type], ...]] = (
    ("", Scenario),
    ("chain.", ChainSpec),
    ("protocol.", ProtocolParams),
    ("markets[].", MarketSpec),
    ("oracle.", OracleSpec),
    ("keeper.", KeeperParams),
    ("traders[].", TraderSpec),
    ("arbitrage.", ArbSpec),
    ("depositors[].", DepositorSpec),
)


#: Where the loader takes a default from elsewhere (shown next to, or instead of, the declared one).
_DEFAULT_NOTES: Final = {
    "name": "the file's name",
    "markets[].id": "its index",
    "markets[].price": "replay: the CSV's first",
    "markets[].symbol": "M<id>",
    "traders[].name": "its type",
    "keeper.volatility": "the market's",
    "keeper.risk_limit": "inventory_cap",
}


def parameter_rows() -> list[tuple[str, str, str, str, str]]:
    """(key, default, range, unit, on-chain type) of every scenario key, read from the declarations."""
    rows = []
    for prefix, cls in TABLES:
        for f, param in declared(cls):
            key = prefix + (param.key or f.name)
            if f.default is dataclasses.MISSING:
                default = "required"
            elif f.default is None or f.default == "":
                default = "-"
            elif param.kind == "amount":
                default = fixed_to_str(f.default)
            else:
                default = json.dumps(_plain(f.default))
            note = _DEFAULT_NOTES.get(key)
            if note:
                default = note if default in ("-", "required") else f"{default} ({note})"
            rows.append((key, default, param.bounds_text(), param.unit, param.onchain))
    return rows


# ---------------------------------------------------------------------------------------------
# Loading


def load_scenario(path: str | Path, *, overrides: Sequence[str] = (), seed: int | None = None) -> Scenario:
    """Reads, overrides and validates the scenario file at ``path``; see the module docstring.

    What runs but is probably not meant (``Scenario.warnings``) is issued as a ``ScenarioWarning``.
    """
    file = Path(path)
    source = shown(str(path))
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, None, "file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(source, None, "cannot read: not UTF-8 text") from None
    except (OSError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ScenarioError(source, None, f"cannot read: {reason}") from None
    scenario = parse_scenario(text, source=source, base_dir=file.parent, overrides=overrides, seed=seed)
    for warning in scenario.warnings():
        warnings.warn(ScenarioWarning(f"{source}: {warning}"), stacklevel=2)
    return dataclasses.replace(scenario, source=file.resolve())


def parse_scenario(
    text: str,
    *,
    source: str,
    base_dir: Path,
    overrides: Sequence[str] = (),
    seed: int | None = None,
) -> Scenario:
    """Validates scenario TOML ``text``; ``source`` names it in errors, ``base_dir`` anchors replay CSVs."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, None, f"invalid TOML: {err}") from None
    except ValueError:  # tomllib lets Python's limit on integer digits through
        raise ScenarioError(source, None, "invalid TOML: an integer of more than 4300 digits") from None
    ctx = Context(source, base_dir)
    apply_overrides(raw, overrides, ctx)
    if seed is not None:
        raw["seed"] = seed
        ctx.overridden["seed"] = "--seed"
    return _build(Node(ctx, raw), Path(source).stem)


def _spec(node: Node, build: Callable[..., Spec], values: dict[str, Any], prefix: str) -> Spec:
    """``build(**values)``; a rule it breaks is reported against ``prefix`` + the field's key path."""
    try:
        return build(**values)
    except ParamError as err:

        def path(field_path: str) -> str:
            return toml_path(f"{prefix}.{field_path}" if prefix else field_path)

        raise node.ctx.fail(path(err.path), err.problem, [path(r) for r in err.related]) from None


def _read(node: Node, cls: type[Spec], **defaults: Any) -> Spec:
    node.check_keys(declared_keys(cls))
    return _spec(node, cls, read_declared(node, cls, defaults=defaults), node.path)


def _build(top: Node, default_name: str) -> Scenario:
    top.check_keys(declared_keys(Scenario) | {prefix.rstrip(".[]") for prefix, _ in TABLES if prefix})
    values = read_declared(top, Scenario, defaults={"name": default_name})
    values["chain"] = _chain(top.table("chain"))
    values["protocol"] = _read(top.table("protocol"), ProtocolParams)
    values["markets"] = markets = _markets(top, values["steps"], values["block_time"])
    values["oracle"] = _read(top.table("oracle"), OracleSpec)
    values["keeper"] = _read(top.table("keeper"), KeeperParams)
    values["traders"] = _traders(top, {m.market_id for m in markets})
    values["arbitrage"] = _read(top.table("arbitrage"), ArbSpec)
    values["depositors"] = _depositors(top)
    return _spec(top, Scenario, values, "")


def _depositors(top: Node) -> tuple[DepositorSpec, ...]:
    specs: dict[str, DepositorSpec] = {}
    if "depositors" not in top.data:  # optional, unlike [[traders]]
        return ()
    for node in top.tables("depositors"):
        spec = _read(node, DepositorSpec)
        if spec.name in specs:
            raise node.fail("name", f"duplicate depositors name {spec.name!r}; give each [[depositors]] a name")
        specs[spec.name] = spec
    return tuple(specs.values())


def _chain(node: Node) -> ChainSpec:
    spec = _read(node, ChainSpec)
    related = [node.key("backend")]
    if spec.backend != "rpc":
        if spec.rpc_url is not None:
            raise node.fail("rpc_url", f"only for the rpc backend (backend is {spec.backend!r})", related)
        return spec
    if spec.rpc_url is None:
        raise node.fail("rpc_url", "required when backend is 'rpc' (e.g. http://127.0.0.1:8545)", related)
    problem = rpc_url_problem(spec.rpc_url)
    if problem:
        raise node.fail("rpc_url", problem)
    return spec


def choose_backend(scenario: Scenario, backend: str | None, rpc_url: str | None) -> tuple[str, str | None]:
    """The backend and node URL of a run: ``rpc_url`` (a node), else ``backend``, else the scenario's
    ``[chain]``; a combination that cannot be met raises ``ScenarioError`` saying why."""
    if rpc_url is not None and backend not in (None, "rpc"):
        raise ScenarioError(
            "--backend", None, f"a node URL ({rpc_url}) goes with the rpc backend, not with {backend!r}"
        )
    if backend is None:
        backend = "rpc" if rpc_url is not None else scenario.chain.backend
    if backend == "rpc" and rpc_url is None:
        rpc_url = scenario.chain.rpc_url
        if rpc_url is None:
            raise ScenarioError(
                "--backend", None, "the rpc backend needs a node URL: --rpc-url URL, or [chain] rpc_url"
            )
    return backend, rpc_url


def rpc_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a node's JSON-RPC URL, or None (also checks ``--rpc-url``)."""
    if not url.startswith(("http://", "https://")) or not url.isprintable() or " " in url:
        return f"must start with http:// or https://, got {shown(repr(url))}"
    return None


def _markets(top: Node, steps: int, block_time: int) -> tuple[MarketSpec, ...]:
    markets: list[MarketSpec] = []
    symbols: dict[str, str] = {}
    for index, node in enumerate(top.tables("markets")):
        market = _market(node, index, steps, block_time)
        if market.symbol in symbols:
            raise node.fail("symbol", f"duplicate symbol {market.symbol!r} (also {symbols[market.symbol]})")
        symbols[market.symbol] = node.path
        markets.append(market)
    return tuple(markets)


def _market(node: Node, index: int, steps: int, block_time: int) -> MarketSpec:
    node.check_keys(declared_keys(MarketSpec))
    path = node.read("path", param_of(PathParams, "path"), "gbm")
    on_path = [node.key("path")]
    if path == "jump":
        if not node.has("jump_intensity"):
            raise node.fail("jump_intensity", "required for a jump path (jumps per year, > 0)", on_path)
        if node.read("jump_intensity", param_of(PathParams, "jump_intensity")) == 0:
            raise node.fail("jump_intensity", "must be > 0 for a jump path (jumps per year)", on_path)
    else:
        for key in JUMP_ONLY:
            if node.has(key):
                raise node.fail(key, f"only for jump paths (path is '{path}')", on_path)
    defaults: dict[str, Any] = {"market_id": index}
    if path == "replay":
        if node.has("price"):
            raise node.fail("price", "must not be given for a replay path (the CSV gives the prices)", on_path)
        if not node.has("replay_csv"):
            raise node.fail("replay_csv", "required for a replay path (a CSV with timestamp,price)", on_path)
        defaults["price"] = _replay_price(node, steps, block_time)
    elif node.has("replay_csv"):
        raise node.fail("replay_csv", f"only for replay paths (path is '{path}')", on_path)
    values = read_declared(node, MarketSpec, defaults=defaults)
    if not values["symbol"].strip() and node.has("symbol"):
        raise node.fail("symbol", "must not be empty")
    return _spec(node, MarketSpec, values, node.path)


def _replay_price(node: Node, steps: int, block_time: int) -> int:
    """The first price of the market's replay CSV, after checking the CSV covers the run."""
    file: Path = node.read("replay_csv", param_of(PathParams, "replay_csv"))
    written = shown(str(node.data["replay_csv"]))
    try:
        rows = load_price_csv(file)
    except ScenarioError as err:
        raise node.fail("replay_csv", f"{written}: {err.problem}") from None
    covered = replay_coverage(rows, block_time)
    if covered < steps:
        raise node.fail(
            "replay_csv",
            f"{written} covers {covered} steps of {block_time} s, the scenario needs {steps} "
            f"(last row at t0 + {rows[-1][0] - rows[0][0]} s)",
            ["steps", "block_time"],
        )
    return rows[0][1]


def _traders(top: Node, market_ids: set[int]) -> tuple[TraderSpec, ...]:
    traders: list[TraderSpec] = []
    names: dict[str, str] = {}
    for node in top.tables("traders"):
        trader = _trader(node, market_ids)
        if trader.name in names:
            raise node.fail(
                "name",
                f"duplicate population name {trader.name!r} (also {names[trader.name]}); give each [[traders]] a name",
            )
        names[trader.name] = node.path
        traders.append(trader)
    return tuple(traders)


def _trader(node: Node, market_ids: set[int]) -> TraderSpec:
    node.check_keys(declared_keys(TraderSpec))
    kind = node.read("type", param_of(TraderSpec, "type"))
    if kind != "informed" and kind != "intensity":
        for key in INFORMED_ONLY:
            if node.has(key):
                raise node.fail(key, "only for informed traders", [node.key("type")])
    if kind == "noise":
        for key in EDGE_ONLY:
            if node.has(key):
                raise node.fail(key, "only for informed and fast traders", [node.key("type")])
    if kind != "intensity":
        for key in INTENSITY_ONLY:
            if node.has(key):
                raise node.fail(key, "only for intensity traders", [node.key("type")])
    else:
        for key in NOT_FOR_INTENSITY:
            if node.has(key):
                raise node.fail(key, "not for intensity traders (see defi-int params)", [node.key("type")])
    values = read_declared(node, TraderSpec)
    if node.has("name") and not values["name"].strip():
        raise node.fail("name", "must not be empty")
    markets = values["markets"]
    if markets is not None:
        listed = ", ".join(str(i) for i in sorted(market_ids))
        if not markets:
            raise node.fail("markets", f"must list at least one market id (listed: {listed}), or be left out for all")
        for market_id in markets:
            if market_id not in market_ids:
                raise node.fail("markets", f"market {market_id} is not a listed market (listed: {listed})")
        if len(set(markets)) != len(markets):
            raise node.fail("markets", f"lists a market twice: {list(markets)}")
    return _spec(node, TraderSpec, values, node.path)
