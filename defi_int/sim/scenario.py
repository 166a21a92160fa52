"""Scenarios: the TOML file that fixes a simulation, its frozen dataclasses, and the loader.

Data flow: ``load_scenario(path, overrides=..., seed=...)`` reads the file, parses the TOML into
a raw dict, writes each ``--set key=value`` override into it (``schema.apply_overrides``), then
builds the specs table by table through ``schema.Node`` (type and range of every key), checks
the rules that span keys (margins, hedge band, market ids, trader markets, replay CSVs), and
returns a frozen :class:`Scenario` with every default resolved. The first problem found is
raised as one :class:`ScenarioError` naming the file (or ``--set``) and the dotted key path.

Amounts that go on chain are 1e18 fixed-point ints (``price``, ``amm_base``, sizes, limits),
read exactly from decimals with ``to_fixed``; ``to_dict`` renders them back as decimal strings.
Whole-token amounts (``desk_capital``, ``margin``) stay whole tokens. The loader imports no web3:
:meth:`Scenario.system_params` imports ``defi_int.chain.deploy`` only when called.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from defi_int.chain import BACKENDS, DEFAULT_BACKEND
from defi_int.exceptions import ScenarioError
from defi_int.market.paths import load_price_csv, replay_coverage
from defi_int.sim.schema import Context, Node, apply_overrides, fixed_to_str, shown
from defi_int.types import ONE

if TYPE_CHECKING:
    from defi_int.chain.deploy import SystemParams

PATHS: Final = ("gbm", "jump", "replay")
TRADER_TYPES: Final = ("noise", "informed")
INFORMED_ONLY: Final = ("horizon", "min_edge_bps")
JUMP_ONLY: Final = ("jump_intensity", "jump_mean", "jump_std")
MAX_MARKET_ID: Final = 2**32 - 1
_FIXED: Final = {"fixed": True}


def _fixed(default: int | None) -> Any:
    """A 1e18 fixed-point field: ``to_dict`` renders it as a decimal string."""
    return field(default=default, metadata=_FIXED)


@dataclass(frozen=True, kw_only=True)
class ChainSpec:
    """[chain]: one of ``chain.BACKENDS`` (default: revm, in process); ``rpc`` takes a node's ``rpc_url``."""

    backend: str = DEFAULT_BACKEND
    rpc_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProtocolSpec:
    """[protocol]: what ``deploy_system`` needs besides the markets; capital in whole tokens."""

    decimals: int = 6
    oracle_max_age: int = 120
    initial_margin_bps: int = 1_000
    maintenance_margin_bps: int = 500
    max_deviation_bps: int = 100
    desk_capital: int = 2_000_000
    amm_capital: int = 5_000_000


@dataclass(frozen=True, kw_only=True)
class MarketSpec:
    """[[markets]]: one perp market, its price path, AMM pool and the desk's inventory cap.

    ``price`` (USD per base unit), ``amm_base`` and ``inventory_cap`` (base units) are 1e18 ints.
    ``volatility`` and ``drift`` are annualized; ``jump_intensity`` is jumps per year and
    ``jump_mean``/``jump_std`` the normal law of each jump's log size. For ``path = "replay"``,
    ``replay_csv`` is the resolved CSV and ``price`` its first price.
    """

    id: int = 0
    symbol: str = ""
    price: int = _fixed(2_000 * ONE)
    path: str = "gbm"
    volatility: float = 0.8
    drift: float = 0.0
    jump_intensity: float = 0.0
    jump_mean: float = 0.0
    jump_std: float = 0.05
    replay_csv: Path | None = None
    amm_base: int = _fixed(1_000 * ONE)
    amm_fee_bps: int = 30
    inventory_cap: int = _fixed(100 * ONE)

    def __post_init__(self) -> None:
        if not self.symbol:
            object.__setattr__(self, "symbol", f"M{self.id}")


@dataclass(frozen=True, kw_only=True)
class OracleSpec:
    """[oracle]: the path's price is posted every ``cadence`` steps, except during
    ``[stale_from, stale_from + stale_steps)`` when nothing is posted."""

    cadence: int = 1
    stale_from: int | None = None
    stale_steps: int = 0

    def posts_at(self, step: int) -> bool:
        """Whether the oracle posts a price at ``step``."""
        if self.stale_from is not None and self.stale_from <= step < self.stale_from + self.stale_steps:
            return False
        return step % self.cadence == 0


@dataclass(frozen=True, kw_only=True)
class KeeperSpec:
    """[keeper]: pricing r = s·(1 − q·γ·σ²·τ) ± half-spread, limits, hedging, toxicity, markouts.

    ``risk_aversion`` is γ (q in base units, σ² per second), ``horizon_seconds`` is τ.
    ``risk_limit``, ``soft_limit`` and ``hedge_to`` are 1e18 base units; None means the market's
    inventory cap (``risk_limit``) or never hedge (``soft_limit``).
    """

    half_spread_bps: float = 5.0
    risk_aversion: float = 1.0
    volatility: float | None = None
    horizon_seconds: float = 3_600.0
    fee_bps: int = 2
    min_edge_bps: float = 0.0
    risk_limit: int | None = _fixed(None)
    soft_limit: int | None = _fixed(None)
    hedge_to: int = _fixed(0)
    hedge_slippage_bps: int = 100
    max_batch: int = 500
    toxicity_routing: bool = False
    toxicity_horizon: int = 5
    toxicity_threshold_bps: float = 5.0
    toxicity_min_fills: int = 5
    markout_horizons: tuple[int, ...] = (1, 5, 20)

    def volatility_for(self, market: MarketSpec) -> float:
        """σ (annualized) the keeper prices ``market`` with."""
        return market.volatility if self.volatility is None else self.volatility

    def risk_limit_for(self, market: MarketSpec) -> int:
        """The inventory (1e18 base units) the keeper will not exceed in ``market``."""
        return market.inventory_cap if self.risk_limit is None else self.risk_limit


@dataclass(frozen=True, kw_only=True)
class TraderSpec:
    """[[traders]]: a population of ``count`` traders sending Poisson(``rate``) orders per step.

    Sizes are lognormal with mean ``size_mean`` (1e18 base units); limits sit
    ``limit_offset_bps`` from the oracle on the trader's side; orders expire after
    ``expiry_steps`` steps; ``allow_amm`` is the probability an order allows the AMM. Informed
    traders see the price ``horizon`` steps ahead and trade when the edge beats ``min_edge_bps``.
    """

    type: str
    name: str = ""
    count: int = 1
    rate: float = 0.1
    markets: tuple[int, ...] | None = None
    size_mean: int = _fixed(ONE)
    size_sigma: float = 0.5
    limit_offset_bps: tuple[float, float] = (5.0, 50.0)
    expiry_steps: tuple[int, int] = (1, 5)
    allow_amm: float = 0.8
    max_fee_bps: int = 30
    margin: int = 100_000
    horizon: int = 5
    min_edge_bps: float = 20.0

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.type)


@dataclass(frozen=True, kw_only=True)
class ArbSpec:
    """[arbitrage]: ``count`` arbitrageurs trade the AMM back toward the oracle past ``threshold_bps``."""

    count: int = 1
    threshold_bps: float = 10.0
    max_size: int = _fixed(50 * ONE)
    margin: int = 1_000_000


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A whole simulation: clock, seed, chain, protocol, markets, oracle, keeper and agents."""

    name: str
    description: str = ""
    seed: int = 1
    steps: int
    block_time: int = 12
    start_time: int = 2_100_000_000
    chain: ChainSpec = field(default_factory=ChainSpec)
    protocol: ProtocolSpec = field(default_factory=ProtocolSpec)
    markets: tuple[MarketSpec, ...]
    oracle: OracleSpec = field(default_factory=OracleSpec)
    keeper: KeeperSpec = field(default_factory=KeeperSpec)
    traders: tuple[TraderSpec, ...]
    arbitrage: ArbSpec = field(default_factory=ArbSpec)
    source: Path | None = None

    def time_of(self, step: int) -> int:
        """Unix seconds of ``step``."""
        return self.start_time + step * self.block_time

    def market(self, market_id: int) -> MarketSpec:
        """The market with id ``market_id``."""
        for market in self.markets:
            if market.id == market_id:
                return market
        raise KeyError(market_id)

    def with_seed(self, seed: int) -> Scenario:
        """The same scenario with another seed."""
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ScenarioError("--seed", "seed", f"must be an integer >= 0, got {seed!r}")
        return dataclasses.replace(self, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        """Every resolved value, JSON-able: tuples as lists, paths as strings, amounts as decimals."""
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain

    def system_params(self) -> SystemParams:
        """The ``deploy_system`` parameters for this scenario (imports the web3 layer lazily)."""
        from defi_int.chain.deploy import MarketParams, SystemParams

        p = self.protocol
        return SystemParams(
            decimals=p.decimals,
            oracle_max_age=p.oracle_max_age,
            initial_margin_bps=p.initial_margin_bps,
            maintenance_margin_bps=p.maintenance_margin_bps,
            max_deviation_bps=p.max_deviation_bps,
            desk_capital=p.desk_capital,
            amm_capital=p.amm_capital,
            markets=tuple(
                MarketParams(
                    market_id=m.id,
                    price=m.price,
                    amm_base=m.amm_base,
                    amm_fee_bps=m.amm_fee_bps,
                    inventory_cap=m.inventory_cap,
                )
                for m in self.markets
            ),
        )


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            out[f.name] = fixed_to_str(item) if f.metadata.get("fixed") and item is not None else _plain(item)
        return out
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _known(spec: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(spec)) - {"source"}


# ---------------------------------------------------------------------------------------------
# Loading


def load_scenario(path: str | Path, *, overrides: Sequence[str] = (), seed: int | None = None) -> Scenario:
    """Reads, overrides and validates the scenario file at ``path``; see the module docstring."""
    file = Path(path)
    source = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, None, "file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(source, None, "cannot read: not UTF-8 text") from None
    except OSError as err:
        raise ScenarioError(source, None, f"cannot read: {err.strerror or err}") from None
    scenario = parse_scenario(text, source=source, base_dir=file.parent, overrides=overrides, seed=seed)
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
    ctx = Context(source)
    apply_overrides(raw, overrides, ctx)
    if seed is not None:
        raw["seed"] = seed
        ctx.overridden["seed"] = "--seed"
    return _build(Node(ctx, raw), Path(source).stem, base_dir)


def _build(top: Node, default_name: str, base_dir: Path) -> Scenario:
    top.check_keys(_known(Scenario))
    name = top.text("name", default_name)
    description = top.text("description", "")
    seed = top.integer("seed", 1, 0)
    steps = top.integer("steps", lo=1, hi=1_000_000)
    block_time = top.integer("block_time", 12, 2, 3_600)
    start_time = top.integer("start_time", 2_100_000_000, 0)
    chain = _chain(top.table("chain"))
    protocol = _protocol(top.table("protocol"))
    markets = _markets(top, base_dir, steps, block_time)
    oracle = _oracle(top.table("oracle"))
    keeper = _keeper(top.table("keeper"))
    traders = _traders(top, {m.id for m in markets})
    arbitrage = _arbitrage(top.table("arbitrage"))
    return Scenario(
        name=name,
        description=description,
        seed=seed,
        steps=steps,
        block_time=block_time,
        start_time=start_time,
        chain=chain,
        protocol=protocol,
        markets=markets,
        oracle=oracle,
        keeper=keeper,
        traders=traders,
        arbitrage=arbitrage,
    )


def _chain(node: Node) -> ChainSpec:
    node.check_keys(_known(ChainSpec))
    backend = node.choice("backend", BACKENDS, DEFAULT_BACKEND)
    related = [node.key("backend")]
    if backend != "rpc":
        if node.has("rpc_url"):
            raise node.fail("rpc_url", f"only for the rpc backend (backend is {backend!r})", related)
        return ChainSpec(backend=backend)
    if not node.has("rpc_url"):
        raise node.fail("rpc_url", "required when backend is 'rpc' (e.g. http://127.0.0.1:8545)", related)
    url = node.text("rpc_url")
    if not url.startswith(("http://", "https://")):
        raise node.fail("rpc_url", f"must start with http:// or https://, got {url!r}")
    return ChainSpec(backend=backend, rpc_url=url)


def _protocol(node: Node) -> ProtocolSpec:
    node.check_keys(_known(ProtocolSpec))
    spec = ProtocolSpec(
        decimals=node.integer("decimals", 6, 0, 36),
        oracle_max_age=node.integer("oracle_max_age", 120, 1),
        initial_margin_bps=node.integer("initial_margin_bps", 1_000, 1, 10_000),
        maintenance_margin_bps=node.integer("maintenance_margin_bps", 500, 1, 10_000),
        max_deviation_bps=node.integer("max_deviation_bps", 100, 0, 10_000),
        desk_capital=node.integer("desk_capital", 2_000_000, 1),
        amm_capital=node.integer("amm_capital", 5_000_000, 0),
    )
    if spec.maintenance_margin_bps > spec.initial_margin_bps:
        raise node.fail(
            "maintenance_margin_bps",
            f"must be <= initial_margin_bps ({spec.initial_margin_bps}), got {spec.maintenance_margin_bps}",
            [node.key("initial_margin_bps")],
        )
    return spec


def _markets(top: Node, base_dir: Path, steps: int, block_time: int) -> tuple[MarketSpec, ...]:
    markets: list[MarketSpec] = []
    seen: dict[int, str] = {}
    symbols: dict[str, str] = {}
    for index, node in enumerate(top.tables("markets")):
        market = _market(node, index, base_dir, steps, block_time)
        if market.id in seen:
            raise node.fail("id", f"duplicate market id {market.id} (also {seen[market.id]})", [seen[market.id]])
        if market.symbol in symbols:
            raise node.fail("symbol", f"duplicate symbol {market.symbol!r} (also {symbols[market.symbol]})")
        seen[market.id] = node.path
        symbols[market.symbol] = node.path
        markets.append(market)
    return tuple(markets)


def _market(node: Node, index: int, base_dir: Path, steps: int, block_time: int) -> MarketSpec:
    node.check_keys(_known(MarketSpec))
    market_id = node.integer("id", index, 0, MAX_MARKET_ID)
    symbol = node.text("symbol", f"M{market_id}")
    if not symbol.strip():
        raise node.fail("symbol", "must not be empty")
    path = node.choice("path", PATHS, "gbm")
    on_path = [node.key("path")]
    volatility = node.number("volatility", 0.8, 0, 10)
    drift = node.number("drift", 0.0, -10, 10)
    jump_intensity, jump_mean, jump_std = 0.0, 0.0, 0.05
    if path == "jump":
        if not node.has("jump_intensity"):
            raise node.fail("jump_intensity", "required for a jump path (jumps per year, > 0)", on_path)
        jump_intensity = node.number("jump_intensity", lo=0, lo_open=True)
        jump_mean = node.number("jump_mean", 0.0)
        jump_std = node.number("jump_std", 0.05, 0)
    else:
        for key in JUMP_ONLY:
            if node.has(key):
                raise node.fail(key, f"only for jump paths (path is '{path}')", on_path)
    replay_csv: Path | None = None
    if path == "replay":
        if node.has("price"):
            raise node.fail("price", "must not be given for a replay path (the CSV gives the prices)", on_path)
        if not node.has("replay_csv"):
            raise node.fail("replay_csv", "required for a replay path (a CSV with timestamp,price)", on_path)
        replay_csv, price = _replay_csv(node, base_dir, steps, block_time)
    else:
        if node.has("replay_csv"):
            raise node.fail("replay_csv", f"only for replay paths (path is '{path}')", on_path)
        price = node.fixed("price", 2_000 * ONE, 0, lo_open=True)
    return MarketSpec(
        id=market_id,
        symbol=symbol,
        price=price,
        path=path,
        volatility=volatility,
        drift=drift,
        jump_intensity=jump_intensity,
        jump_mean=jump_mean,
        jump_std=jump_std,
        replay_csv=replay_csv,
        amm_base=node.fixed("amm_base", 1_000 * ONE, 0, lo_open=True),
        amm_fee_bps=node.integer("amm_fee_bps", 30, 0, 9_999),
        inventory_cap=node.fixed("inventory_cap", 100 * ONE, 0),
    )


def _replay_csv(node: Node, base_dir: Path, steps: int, block_time: int) -> tuple[Path, int]:
    written = node.text("replay_csv")
    file = (base_dir / written).resolve()
    if not file.is_file():
        raise node.fail("replay_csv", f"file not found: {written!r} (looked for {file})")
    try:
        rows = load_price_csv(file)
    except ScenarioError as err:
        raise node.fail("replay_csv", f"{shown(written)}: {err.problem}") from None
    covered = replay_coverage(rows, block_time)
    if covered < steps:
        raise node.fail(
            "replay_csv",
            f"{shown(written)} covers {covered} steps of {block_time} s, the scenario needs {steps} "
            f"(last row at t0 + {rows[-1][0] - rows[0][0]} s)",
            ["steps", "block_time"],
        )
    return file, rows[0][1]


def _oracle(node: Node) -> OracleSpec:
    node.check_keys(_known(OracleSpec))
    cadence = node.integer("cadence", 1, 1)
    stale_from = node.optional_integer("stale_from", 0)
    stale_steps = node.integer("stale_steps", 0, 0)
    # A window starting after the last step is allowed: it never happens, so ``--set steps=N``
    # can shorten a scenario that has an outage later on.
    if stale_from is None and stale_steps > 0:
        raise node.fail("stale_steps", "has no effect without oracle.stale_from (the first stale step)")
    return OracleSpec(cadence=cadence, stale_from=stale_from, stale_steps=stale_steps)


def _keeper(node: Node) -> KeeperSpec:
    node.check_keys(_known(KeeperSpec))
    horizons = KeeperSpec.markout_horizons
    if node.has("markout_horizons"):
        horizons = node.integers("markout_horizons", lo=1)
        if len(horizons) < 3:
            raise node.fail("markout_horizons", f"needs at least 3 horizons, got {list(horizons)}")
        if any(b <= a for a, b in itertools.pairwise(horizons)):
            raise node.fail("markout_horizons", f"must be strictly increasing, got {list(horizons)}")
    spec = KeeperSpec(
        half_spread_bps=node.number("half_spread_bps", 5.0, 0, 1_000),
        risk_aversion=node.number("risk_aversion", 1.0, 0),
        volatility=node.optional_number("volatility", 0, 10),
        horizon_seconds=node.number("horizon_seconds", 3_600.0, 0, lo_open=True),
        fee_bps=node.integer("fee_bps", 2, 0, 1_000),
        min_edge_bps=node.number("min_edge_bps", 0.0, -1_000, 1_000),
        risk_limit=node.optional_fixed("risk_limit", 0),
        soft_limit=node.optional_fixed("soft_limit", 0),
        hedge_to=node.fixed("hedge_to", 0, 0),
        hedge_slippage_bps=node.integer("hedge_slippage_bps", 100, 0, 10_000),
        max_batch=node.integer("max_batch", 500, 1),
        toxicity_routing=node.flag("toxicity_routing", False),
        toxicity_horizon=node.integer("toxicity_horizon", 5, 1),
        toxicity_threshold_bps=node.number("toxicity_threshold_bps", 5.0),
        toxicity_min_fills=node.integer("toxicity_min_fills", 5, 1),
        markout_horizons=horizons,
    )
    if spec.soft_limit is not None and spec.hedge_to >= spec.soft_limit:
        raise node.fail(
            "hedge_to",
            f"must be < soft_limit ({fixed_to_str(spec.soft_limit)}), got {fixed_to_str(spec.hedge_to)}",
            [node.key("soft_limit")],
        )
    return spec


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
    node.check_keys(_known(TraderSpec))
    kind = node.choice("type", TRADER_TYPES)
    name = node.text("name", kind)
    if not name.strip():
        raise node.fail("name", "must not be empty")
    markets: tuple[int, ...] | None = None
    if node.has("markets"):
        markets = node.integers("markets", 0, MAX_MARKET_ID)
        listed = ", ".join(str(i) for i in sorted(market_ids))
        if not markets:
            raise node.fail("markets", f"must list at least one market id (listed: {listed}), or be left out for all")
        for market_id in markets:
            if market_id not in market_ids:
                raise node.fail("markets", f"market {market_id} is not a listed market (listed: {listed})")
        if len(set(markets)) != len(markets):
            raise node.fail("markets", f"lists a market twice: {list(markets)}")
    if kind == "noise":
        for key in INFORMED_ONLY:
            if node.has(key):
                raise node.fail(key, "only for informed traders", [node.key("type")])
    return TraderSpec(
        type=kind,
        name=name,
        count=node.integer("count", 1, 1, 10_000),
        rate=node.number("rate", 0.1, 0, 10, lo_open=True),
        markets=markets,
        size_mean=node.fixed("size_mean", ONE, 0, lo_open=True),
        size_sigma=node.number("size_sigma", 0.5, 0),
        limit_offset_bps=node.pair("limit_offset_bps", float, -1_000, 10_000)
        if node.has("limit_offset_bps")
        else (5.0, 50.0),
        expiry_steps=node.pair("expiry_steps", int, 1, 100_000) if node.has("expiry_steps") else (1, 5),
        allow_amm=node.number("allow_amm", 0.8, 0, 1),
        max_fee_bps=node.integer("max_fee_bps", 30, 0, 10_000),
        margin=node.integer("margin", 100_000, 1),
        horizon=node.integer("horizon", 5, 1),
        min_edge_bps=node.number("min_edge_bps", 20.0, 0),
    )


def _arbitrage(node: Node) -> ArbSpec:
    node.check_keys(_known(ArbSpec))
    return ArbSpec(
        count=node.integer("count", 1, 0, 100),
        threshold_bps=node.number("threshold_bps", 10.0, 0),
        max_size=node.fixed("max_size", 50 * ONE, 0, lo_open=True),
        margin=node.integer("margin", 1_000_000, 1),
    )
