"""Every protocol and keeper parameter, declared once: its default, range, unit and on-chain type.

A parameter is one line: a dataclass field made by a declaring helper (``integer``, ``number``,
``amount``, ``flag``, ``text``, ``choice``, ``pair``, ``integers``, ``file``). The field's default is
the parameter's default; its :class:`Param` (kind, range, unit, Solidity type, TOML key) rides in
the field's metadata. Everything else is derived from that line:

- the scenario loader (``sim/schema.py``) reads each TOML key through its declaration: the type,
  the range and the error message (``must be within 0..36, got 40``) all come from the ``Param``;
- building any declared class checks every field against its declaration, then the rules that
  span its fields (``Declared.problems``), and raises ``ParamError`` naming the field: a value out
  of range cannot exist, however it was built, and the loader reports the same error against the
  scenario's key;
- :class:`SystemParams` (the protocol and its markets) is what ``chain.deploy.deploy_system``
  deploys;
- :class:`KeeperParams` is the ``[keeper]`` table; ``keeper.KeeperConfig.from_params`` derives
  the keeper's per-market configuration from it.

Adding a parameter is adding its line to the right class. The bounds come from the contracts:
prices are ``uint192`` in the oracle but order limits are ``uint128`` and reach twice the oracle
price, so prices stop at ``uint128 / 2``; AMM reserves are ``uint112`` (the quote reserve too,
``amm_base·price/priceScale``); a ledger book (an account in one market) holds its position and
its cash as ``int88`` in one storage word (with its funding mark and its nonce window), so every
deposit (whole tokens · 10^decimals) and the token's whole supply must fit ``int88``, and an
inventory cap ``uint96``; ``priceScale`` is
``10^(36 − decimals)``; the oracle takes a ``maxAge`` of at most a year; the Vault refuses to list
market id ``2^32 − 1`` (reserved as "no market"); funding periods are off (0) or one hour to thirty
days, every bps parameter of funding at most 10,000, and the liquidation parameters within the
Vault's bounds (``MAX_PENALTY_BPS`` ...). This module imports
nothing above ``types`` and ``exceptions``: the chain layer, the keeper and the simulator all
build on it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from decimal import Context as DecimalContext
from pathlib import Path
from typing import Any, Final

from defi_int.exceptions import ParamError
from defi_int.types import BPS, ONE

# --------------------------------------------------------------------------- the contracts' types

UINT32_MAX: Final = 2**32 - 1
UINT64_MAX: Final = 2**64 - 1
UINT112_MAX: Final = 2**112 - 1
UINT128_MAX: Final = 2**128 - 1
UINT256_MAX: Final = 2**256 - 1
UINT96_MAX: Final = 2**96 - 1
INT96_MAX: Final = 2**95 - 1
#: A Vault book (an account in one market) holds its position and its cash as int88 (``BookLib``).
BOOK_MAX: Final = 2**87 - 1

#: The Vault refuses to list ``type(uint32).max``, reserved as "no market" (``InvalidMarket``).
MAX_MARKET_ID: Final = UINT32_MAX - 1
#: The Vault's ``priceScale = 10 ** (36 - decimals)``.
MAX_DECIMALS: Final = 36
#: ``PriceOracle.MAX_AGE_LIMIT``: a longer ``maxAge`` is refused (``InvalidMaxAge``).
MAX_ORACLE_AGE: Final = 365 * 24 * 3_600
#: ``Vault.MAX_PENALTY_BPS``, ``MAX_SLIPPAGE_BPS``, ``MAX_LIQUIDATION_BUFFER_BPS``, ``MAX_FULL_LIQUIDATION_BPS``.
MAX_PENALTY_BPS: Final = 1_000
MAX_SLIPPAGE_BPS: Final = 1_000
MAX_LIQUIDATION_BUFFER_BPS: Final = 1_000
MAX_FULL_LIQUIDATION_BPS: Final = 9_500
#: ``DeskShares.MAX_LOCKUP`` and ``MAX_FEE_BPS``: a withdrawal matures within 30 days, a share fee is at most 1 %.
MAX_SHARE_LOCKUP: Final = 30 * 24 * 3_600
MAX_SHARE_FEE_BPS: Final = 100
#: Funding periods the Vault accepts besides 0 (off): one hour to thirty days (``InvalidFundingParams``).
FUNDING_PERIOD_MIN: Final = 3_600
FUNDING_PERIOD_MAX: Final = 30 * 24 * 3_600
#: Limits reach twice the oracle price (``limit_offset_bps`` <= 10000) and are uint128.
PRICE_MAX: Final = UINT128_MAX // 2
#: Price paths move on a grid of one millionth of a dollar.
PRICE_MIN: Final = 10**12
#: The last block time every backend takes: eth-tester (the reference) stops here, far below uint64.
MAX_TIMESTAMP: Final = 33_040_162_799
MAX_STEPS: Final = 1_000_000
#: The toxicity models ``keeper.toxicity_model`` chooses among (``defi_int.keeper.toxicity.models``).
TOXICITY_MODELS: Final = ("none", "trader_rule", "logistic", "gbdt")
#: Matured labels the gbdt's window must hold before it fits (so its window is at least this long).
TOXICITY_MIN_LABELS: Final = 100
YEAR_SECONDS: Final = 365 * 24 * 3_600

_PARAM: Final = "defi_int.param"

# --------------------------------------------------------------------------- showing values


def fixed_to_str(value: int) -> str:
    """A 1e18 fixed-point int as the shortest exact decimal string (``1.5``, ``2000``)."""
    exact = Decimal(value).scaleb(-18, context=DecimalContext(prec=200))
    return format(exact.normalize(context=DecimalContext(prec=200)), "f")


def _compact(number: Decimal, rounding: str = ROUND_HALF_EVEN, digits: int = 6) -> str:
    """``number`` exactly when short, else in scientific notation (``1.70141e20``)."""
    plain = format(number.normalize(context=DecimalContext(prec=400)), "f")
    if len(plain) <= 22:
        return plain
    rounded = DecimalContext(prec=digits, rounding=rounding).plus(number).normalize()
    return format(rounded, "e").replace("e+", "e")


def show(value: float | int, *, amount: bool = False, rounding: str = ROUND_HALF_EVEN) -> str:
    """A value as an error message shows it: amounts as decimals, huge numbers compact."""
    if amount:
        return _compact(Decimal(int(value)).scaleb(-18, context=DecimalContext(prec=400)), rounding)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return _compact(Decimal(value), rounding, 4)


# --------------------------------------------------------------------------- the declaration


@dataclass(frozen=True)
class Param:
    """How one parameter is written, checked and shown.

    ``kind``: ``int``, ``float``, ``amount`` (a decimal read exactly into a 1e18 int), ``bool``,
    ``text``, ``choice``, ``pair`` (``[low, high]`` of ``item``), ``ints`` (an array of ints) or
    ``file`` (a path relative to the scenario file). ``lo``/``hi`` bound the value (each item of a
    pair or array); ``or_zero``: 0 is accepted too, below ``lo`` (a feature that 0 turns off);
    ``key`` is the TOML key when it differs from the field's name.
    """

    kind: str
    lo: float | int | None = None
    hi: float | int | None = None
    lo_open: bool = False
    unit: str = ""
    onchain: str = ""
    key: str = ""
    options: tuple[str, ...] = ()
    item: str = ""
    or_zero: bool = False

    def _show(self, value: float | int, rounding: str = ROUND_HALF_EVEN) -> str:
        return show(value, amount=self.kind == "amount", rounding=rounding)

    def bounds_text(self) -> str:
        """The range alone (``0..36``, ``> 0 and <= 5.19229e15``), bounds rounded inward when shortened."""
        if self.kind == "choice":
            return " | ".join(self.options)
        lo = None if self.lo is None else self._show(self.lo, ROUND_CEILING)
        hi = None if self.hi is None else self._show(self.hi, ROUND_FLOOR)
        if self.or_zero and lo is not None and hi is not None:
            return f"0 (off) or {lo}..{hi}"
        if lo is not None and hi is not None:
            return f"> {lo} and <= {hi}" if self.lo_open else f"{lo}..{hi}"
        if lo is not None:
            return f"{'>' if self.lo_open else '>='} {lo}"
        return "" if hi is None else f"<= {hi}"

    def range_text(self) -> str:
        """``must be within 0..36 bps``: the range in words."""
        unit = f" {self.unit}" if self.unit else ""
        bounds = self.bounds_text()
        if not bounds:
            return "must be a finite number"
        within = "within " if ".." in bounds and not self.or_zero else ""
        return f"must be {within}{bounds}{unit}"

    def range_problem(self, value: float | int) -> str | None:
        """The problem with a number against this parameter's range, or None."""
        lo, hi = self.lo, self.hi
        if self.or_zero and value == 0:
            return None
        below = lo is not None and (value <= lo if self.lo_open else value < lo)
        if below or (hi is not None and value > hi):
            return f"{self.range_text()}, got {self._show(value)}"
        return None

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this parameter (type or range), or None."""
        if value is None:
            return None if self.kind in ("int", "float", "amount", "text", "ints", "file") else "is required"
        kind = self.kind
        if kind == "pair":
            if not isinstance(value, tuple) or len(value) != 2:
                return f"expected a pair (low, high), got {value!r}"
            problems = [Param(self.item, self.lo, self.hi, unit=self.unit).problem(v) for v in value]
            if any(problems):
                return next(p for p in problems if p)
            return None if value[0] <= value[1] else f"low must be <= high, got {list(value)}"
        if kind == "ints":
            if not isinstance(value, tuple):
                return f"expected a tuple of integers, got {value!r}"
            return next((p for v in value if (p := Param("int", self.lo, self.hi, unit=self.unit).problem(v))), None)
        if kind in ("int", "amount"):
            if isinstance(value, bool) or not isinstance(value, int):
                return f"expected an integer, got {value!r}"
            return self.range_problem(value)
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                return f"expected a finite number, got {value!r}"
            return self.range_problem(value)
        if kind == "bool":
            return None if isinstance(value, bool) else f"expected a boolean, got {value!r}"
        if kind == "file":
            return None if isinstance(value, Path) else f"expected a path, got {value!r}"
        if not isinstance(value, str):
            return f"expected a string, got {value!r}"
        if kind == "choice" and value not in self.options:
            return f"must be one of {', '.join(repr(o) for o in self.options)}, got {value!r}"
        return None


REQUIRED: Final[Any] = dataclasses.MISSING
"""The default of a parameter that must be given."""


def _declare(default: Any, param: Param) -> Any:
    if default is REQUIRED:
        return field(metadata={_PARAM: param})
    return field(default=default, metadata={_PARAM: param})


def integer(
    default: int | None,
    lo: int | None = None,
    hi: int | None = None,
    *,
    unit: str = "",
    onchain: str = "",
    key: str = "",
    or_zero: bool = False,
) -> Any:
    """An integer parameter within ``lo..hi`` (or 0, with ``or_zero``)."""
    return _declare(default, Param("int", lo, hi, unit=unit, onchain=onchain, key=key, or_zero=or_zero))


def number(
    default: float | None, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False, unit: str = ""
) -> Any:
    """A finite float parameter within ``lo..hi`` (``(lo, hi]`` if ``lo_open``); ints are accepted."""
    return _declare(default, Param("float", lo, hi, lo_open, unit=unit))


def amount(
    default: int | None,
    lo: int | None = None,
    hi: int | None = None,
    *,
    lo_open: bool = False,
    unit: str = "",
    onchain: str = "",
) -> Any:
    """A decimal amount read exactly into a 1e18 fixed-point int; ``default``, ``lo``, ``hi`` are 1e18 too."""
    return _declare(default, Param("amount", lo, hi, lo_open, unit=unit, onchain=onchain))


def flag(default: bool) -> Any:
    """A boolean parameter."""
    return _declare(default, Param("bool"))


def text(default: str | None) -> Any:
    """A string parameter."""
    return _declare(default, Param("text"))


def choice(default: str, options: Sequence[str]) -> Any:
    """One of ``options``."""
    return _declare(default, Param("choice", options=tuple(options)))


def pair(default: tuple[Any, Any], item: str, lo: float, hi: float, *, unit: str = "") -> Any:
    """``[low, high]``, two ``item`` values (``int`` or ``float``) within ``lo..hi``, ``low <= high``."""
    return _declare(default, Param("pair", lo, hi, unit=unit, item=item))


def integers(default: tuple[int, ...] | None, lo: int, hi: int, *, unit: str = "") -> Any:
    """An array of integers, each within ``lo..hi``."""
    return _declare(default, Param("ints", lo, hi, unit=unit))


def file(default: Path | None) -> Any:
    """A file, written relative to the scenario file and resolved when read."""
    return _declare(default, Param("file"))


def declared(cls: type) -> list[tuple[dataclasses.Field[Any], Param]]:
    """The declared fields of ``cls`` with their ``Param``, in field order."""
    return [(f, f.metadata[_PARAM]) for f in dataclasses.fields(cls) if _PARAM in f.metadata]


def param_of(cls: type, name: str) -> Param:
    """The declaration of field ``name`` of ``cls``."""
    return next(p for f, p in declared(cls) if f.name == name)


def key_of(cls: type, name: str) -> str:
    """The TOML key of field ``name`` of ``cls``."""
    return param_of(cls, name).key or name


def values_of(obj: Any, cls: type) -> dict[str, Any]:
    """The fields of ``cls`` read from ``obj`` (an instance of ``cls`` or of a subclass), shallow."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)}


@dataclass(frozen=True)
class Problem:
    """A rule that spans fields was broken: ``path`` names the field at fault (``maintenance_margin_bps``,
    ``markets[1].amm_base``), ``related`` the other fields of the rule."""

    path: str
    message: str
    related: tuple[str, ...] = ()


class Declared:
    """Base of the declared dataclasses: building one checks every field against its declaration,
    then the rules that span its fields (``problems``); the first problem raises ``ParamError``."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for f, param in declared(type(self)):
            problem = param.problem(getattr(self, f.name))
            if problem:
                raise ParamError(owner, f.name, problem)
        for rule in self.problems():
            raise ParamError(owner, rule.path, rule.message, rule.related)

    def problems(self) -> Iterator[Problem]:
        """The rules that span this object's fields; none unless a class declares some."""
        return iter(())


# --------------------------------------------------------------------------- the protocol


@dataclass(frozen=True, kw_only=True)
class MarketParams(Declared):
    """One market on chain: index price, AMM virtual reserves and fee, the desk's inventory cap, and
    funding: the AMM–oracle premium, measured at the AMM's impact prices for
    ``funding_impact_notional`` whole tokens on each side (0: at the mid) and clamped to
    ``funding_cap_bps`` of the oracle price, is paid in full over ``funding_period`` seconds (0:
    funding off)."""

    market_id: int = integer(0, 0, MAX_MARKET_ID, onchain="uint32", key="id")
    price: int = amount(2_000 * ONE, PRICE_MIN, PRICE_MAX, unit="USD per base unit", onchain="uint192, uint128")
    amm_base: int = amount(1_000 * ONE, 0, UINT112_MAX, lo_open=True, unit="base units", onchain="uint112")
    amm_fee_bps: int = integer(30, 0, BPS - 1, unit="bps", onchain="uint16")
    inventory_cap: int = amount(100 * ONE, 0, UINT96_MAX, unit="base units", onchain="uint96")
    funding_period: int = integer(
        0, FUNDING_PERIOD_MIN, FUNDING_PERIOD_MAX, unit="seconds", onchain="uint32", or_zero=True
    )
    funding_cap_bps: int = integer(0, 0, BPS, unit="bps", onchain="uint16")
    funding_impact_notional: int = integer(20_000, 0, BOOK_MAX, unit="whole tokens", onchain="uint256")


@dataclass(frozen=True, kw_only=True)
class ProtocolParams(Declared):
    """The protocol besides its markets (the scenario's ``[protocol]``); capital in whole tokens.

    Liquidation: ``liquidation_penalty_bps`` of the closed notional (capped at the account's equity
    left) goes to the liquidator (``liquidator_share_bps`` of it) and the insurance fund; an AMM
    close may trade at most ``liquidation_slippage_bps`` from the oracle price. The close factor:
    a liquidation closes what brings the account back to maintenance plus
    ``liquidation_buffer_bps``, the whole position below ``full_liquidation_bps`` of maintenance
    or when less would leave less than ``min_liquidation_notional`` whole tokens, and never less
    than that unless it is the whole position. The insurance fund starts with
    ``insurance_capital`` and pays bad debt.

    The desk's capital is depositors' shares (``DeskShares``): the owner's ``desk_capital`` is its
    first deposit; a withdrawal request matures after ``share_lockup`` seconds, a day's claims take
    at most ``share_daily_outflow_bps`` of the NAV, and every deposit and claim pays
    ``share_fee_bps`` to the desk.
    """

    decimals: int = integer(6, 0, MAX_DECIMALS, onchain="uint8")
    oracle_max_age: int = integer(3_600, 1, MAX_ORACLE_AGE, unit="seconds", onchain="uint256")
    initial_margin_bps: int = integer(1_000, 1, BPS, unit="bps", onchain="uint16")
    maintenance_margin_bps: int = integer(500, 1, BPS, unit="bps", onchain="uint16")
    max_deviation_bps: int = integer(100, 0, BPS, unit="bps", onchain="uint256")
    desk_capital: int = integer(2_000_000, 1, INT96_MAX, unit="whole tokens")
    amm_capital: int = integer(5_000_000, 0, INT96_MAX, unit="whole tokens")
    insurance_capital: int = integer(0, 0, INT96_MAX, unit="whole tokens")
    liquidation_penalty_bps: int = integer(250, 0, MAX_PENALTY_BPS, unit="bps", onchain="uint16")
    liquidator_share_bps: int = integer(5_000, 0, BPS, unit="bps", onchain="uint16")
    liquidation_slippage_bps: int = integer(200, 0, MAX_SLIPPAGE_BPS, unit="bps", onchain="uint16")
    liquidation_buffer_bps: int = integer(100, 0, MAX_LIQUIDATION_BUFFER_BPS, unit="bps", onchain="uint16")
    full_liquidation_bps: int = integer(5_000, 0, MAX_FULL_LIQUIDATION_BPS, unit="bps", onchain="uint16")
    min_liquidation_notional: int = integer(10, 0, BOOK_MAX, unit="whole tokens", onchain="uint256")
    share_lockup: int = integer(4 * 24 * 3_600, 0, MAX_SHARE_LOCKUP, unit="seconds", onchain="uint64")
    share_fee_bps: int = integer(10, 0, MAX_SHARE_FEE_BPS, unit="bps", onchain="uint16")
    share_daily_outflow_bps: int = integer(1_000, 1, BPS, unit="bps", onchain="uint16")

    @property
    def unit(self) -> int:
        """One whole collateral token in its smallest units."""
        return int(10**self.decimals)

    @property
    def price_scale(self) -> int:
        """size (1e18) x price (1e18) / price_scale = collateral units."""
        return int(10 ** (MAX_DECIMALS - self.decimals))

    def amm_quote(self, market: MarketParams) -> int:
        """Virtual quote reserve (collateral units) that puts the AMM mid at the index price."""
        return market.amm_base * market.price // self.price_scale

    def problems(self) -> Iterator[Problem]:
        if self.maintenance_margin_bps > self.initial_margin_bps:
            yield Problem(
                "maintenance_margin_bps",
                f"must be <= initial_margin_bps ({self.initial_margin_bps}), got {self.maintenance_margin_bps}",
                ("initial_margin_bps",),
            )
        capital = (
            ("desk_capital", "the desk's capital"),
            ("amm_capital", "the AMM's capital"),
            ("insurance_capital", "the insurance fund's capital"),
            ("min_liquidation_notional", "the minimum liquidation notional"),
        )
        for name, what in capital:
            problem = self.deposit_problem(getattr(self, name), what)
            if problem:
                yield Problem(name, problem, ("decimals",))

    def deposit_problem(self, tokens: int, what: str) -> str | None:
        """Why ``tokens`` whole tokens cannot be deposited in the Vault (a book's cash is int88), or None."""
        units = tokens * self.unit
        if units <= BOOK_MAX:
            return None
        return (
            f"{what} of {show(tokens)} whole tokens is {show(units)} units at {self.decimals} decimals, "
            f"above what a Vault book's int88 cash holds ({show(BOOK_MAX, rounding=ROUND_FLOOR)})"
        )


@dataclass(frozen=True, kw_only=True)
class SystemParams(ProtocolParams):
    """Everything ``deploy_system`` needs; the defaults give a small live market 0.

    Building one checks every field, the protocol's rules and :func:`market_problems`.
    """

    markets: tuple[MarketParams, ...] = field(default_factory=lambda: (MarketParams(),))

    def problems(self) -> Iterator[Problem]:
        yield from super().problems()
        yield from market_problems(self, self.markets)


def market_problems(protocol: ProtocolParams, markets: Sequence[MarketParams]) -> Iterator[Problem]:
    """The rules that span the markets and the protocol: distinct ids, the AMM's quote reserve."""
    seen: dict[int, str] = {}
    for index, market in enumerate(markets):
        here = f"markets[{index}]"
        if market.market_id in seen:
            other = seen[market.market_id]
            yield Problem(f"{here}.market_id", f"duplicate market id {market.market_id} (also {other})", (other,))
        seen.setdefault(market.market_id, here)
        problem = protocol.deposit_problem(market.funding_impact_notional, "the funding impact notional")
        if problem:
            yield Problem(f"{here}.funding_impact_notional", problem, ("decimals",))
        quote = protocol.amm_quote(market)
        if not 1 <= quote <= UINT112_MAX:
            bound = "below 1" if quote < 1 else f"above uint112 ({show(UINT112_MAX, rounding=ROUND_FLOOR)})"
            yield Problem(
                f"{here}.amm_base",
                f"the AMM's quote reserve amm_base x price / 10^(36 - decimals) is {show(quote)} units, {bound}",
                (f"{here}.price", "decimals"),
            )


# --------------------------------------------------------------------------- the keeper


@dataclass(frozen=True, kw_only=True)
class KeeperParams(Declared):
    """The keeper (the scenario's ``[keeper]``): pricing r = s·(1 − q·γ·σ²·τ) ± half-spread,
    limits, hedging, toxicity routing, markouts.

    ``risk_aversion`` is γ (q in base units, σ² per second), ``horizon_seconds`` is τ,
    ``volatility`` the annualized σ (None: each market's path volatility). ``pricing_mode`` picks the
    mode: ``bps`` as above; ``as`` Avellaneda–Stoikov's
    r = s − q·γ·σ²·(T − t) ± ½[γ·σ²·(T − t) + (2/γ)·ln(1 + γ/k)] with σ in USD, T the end of the
    run and k = ``fill_decay`` (γ per USD there; ``half_spread_bps`` and ``horizon_seconds`` unused);
    ``as_symmetric`` the paper's benchmark, that spread's session average around s. ``risk_limit``,
    ``soft_limit`` and ``hedge_to`` are 1e18 base units; None means the market's inventory cap
    (``risk_limit``) or never hedge (``soft_limit``).

    Toxicity (``defi_int.keeper.toxicity``): ``toxicity_model`` scores every order at receipt
    (``none``, ``trader_rule``: the per-trader rule, a size-weighted mean markout below
    ``−toxicity_threshold_bps`` over ``toxicity_min_fills`` fills; ``logistic``; ``gbdt``, refit every
    ``toxicity_refit_steps`` steps on the latest ``toxicity_window`` labels, each fit in a child
    process whose trees take over ``toxicity_fit_lag`` steps after it started, 0: at once, in this
    process), each label the desk's
    markout ``toxicity_horizon`` steps later; ``toxicity_counterfactual`` also labels the orders the
    desk priced but did not fill, at its quote. ``toxicity_routing = true`` is the older spelling of
    ``toxicity_model = "trader_rule"`` (``effective_toxicity_model``); with another model it is an error.
    The policy (``defi_int.keeper.policy``) prices a learned model's prediction: an order expected to
    cost the desk has the shortfall priced into its quote, by at most ``toxicity_max_widen_bps`` (and
    never past the AMM's price or the order's limit); the desk fills from inventory when the expected
    value at that quote is at least ``toxicity_edge_bps``, and caps the internal share of an order
    whose probability of being toxic is above ``toxicity_cap_from``. ``defi-int experiment
    toxicity`` tunes the three (and the per-trader rule's two) on seeds of its own; the three's
    defaults (an edge of −50 bps, 50 bps of widening, a cap from 1: none) are the values it tuned
    most often on the shipped cases.
    """

    pricing_mode: str = choice("bps", ("bps", "as", "as_symmetric"))
    half_spread_bps: float = number(5.0, 0, 1_000, unit="bps")
    risk_aversion: float = number(1.0, 0, 1e6)
    fill_decay: float = number(1.5, 0, 1e9, lo_open=True, unit="per USD")
    volatility: float | None = number(None, 0, 10)
    horizon_seconds: float = number(3_600.0, 0, YEAR_SECONDS, lo_open=True, unit="seconds")
    fee_bps: int = integer(2, 0, 1_000, unit="bps", onchain="uint16")
    min_edge_bps: float = number(0.0, -1_000, 1_000, unit="bps")
    risk_limit: int | None = amount(None, 0, BOOK_MAX, unit="base units")
    soft_limit: int | None = amount(None, 0, BOOK_MAX, unit="base units")
    hedge_to: int = amount(0, 0, BOOK_MAX, unit="base units")
    hedge_slippage_bps: int = integer(100, 0, BPS, unit="bps")
    max_batch: int = integer(500, 1, 10_000, unit="fills")  # also bounded by the block gas limit
    max_resting: int = integer(10_000, 1, 1_000_000, unit="orders")
    max_resting_per_trader: int = integer(1_000, 1, 1_000_000, unit="orders")
    toxicity_routing: bool = flag(False)  # the per-trader rule: shorthand for toxicity_model = "trader_rule"
    toxicity_model: str = choice("none", TOXICITY_MODELS)
    toxicity_horizon: int = integer(5, 1, MAX_STEPS, unit="steps")
    toxicity_threshold_bps: float = number(5.0, -BPS, BPS, unit="bps")
    toxicity_min_fills: int = integer(5, 1, MAX_STEPS, unit="fills")
    toxicity_refit_steps: int = integer(20, 1, MAX_STEPS, unit="steps")
    toxicity_fit_lag: int = integer(5, 0, MAX_STEPS, unit="steps")
    toxicity_window: int = integer(2_000, TOXICITY_MIN_LABELS, 1_000_000, unit="labels")
    toxicity_counterfactual: bool = flag(True)
    # The policy's defaults are the values ``defi-int experiment toxicity`` tuned most often on the
    # shipped cases (docs/quant/toxicity.md): no cap (from 1) for all ten (model, case) pairs, a
    # widening of 50 bps for six, an edge of -50 bps for five. An edge of 0 without widening kept
    # 28-62 % of the uninformed traders' internal volume there.
    toxicity_edge_bps: float = number(-50.0, -BPS, BPS, unit="bps")
    toxicity_max_widen_bps: float = number(50.0, 0, BPS, unit="bps")
    toxicity_cap_from: float = number(1.0, 0, 1)
    markout_horizons: tuple[int, ...] = integers((1, 5, 20), 1, MAX_STEPS, unit="steps")
    # The transparency audits (``defi_int.metrics.audits``): re-match every batch (off for speed
    # runs), how far back a hedge counts as trading ahead of a client, the price dispersion within
    # a batch that counts as unequal treatment, the routing report's period.
    counterfactual_audit: bool = flag(True)
    trading_ahead_blocks: int = integer(10, 1, 1_000_000, unit="blocks")
    equal_treatment_bps: float = number(1.0, 0, BPS, unit="bps")
    routing_period_seconds: int = integer(3_600, 1, YEAR_SECONDS, unit="seconds")

    @property
    def effective_toxicity_model(self) -> str:
        """The toxicity model in force: ``toxicity_routing = true`` is the per-trader rule, ``trader_rule``."""
        return "trader_rule" if self.toxicity_routing else self.toxicity_model

    def problems(self) -> Iterator[Problem]:
        if self.toxicity_routing and self.toxicity_model not in ("none", "trader_rule"):
            yield Problem(
                "toxicity_model",
                f"toxicity_routing = true means the trader_rule model, not {self.toxicity_model!r}: "
                "set toxicity_model alone",
                ("toxicity_routing",),
            )
        horizons = list(self.markout_horizons)
        if len(horizons) < 3:
            yield Problem("markout_horizons", f"needs at least 3 horizons, got {horizons}")
        elif any(b <= a for a, b in itertools.pairwise(horizons)):
            yield Problem("markout_horizons", f"must be strictly increasing, got {horizons}")
        if self.soft_limit is not None and self.hedge_to >= self.soft_limit:
            yield Problem(
                "hedge_to",
                f"must be < soft_limit ({fixed_to_str(self.soft_limit)}), got {fixed_to_str(self.hedge_to)}",
                ("soft_limit",),
            )

    def risk_limit_for(self, market: MarketParams) -> int:
        """The inventory (1e18 base units) the keeper will not exceed in ``market``."""
        return market.inventory_cap if self.risk_limit is None else min(self.risk_limit, market.inventory_cap)
