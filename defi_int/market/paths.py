"""Price paths for the simulation: geometric or arithmetic Brownian motion, Merton jumps, or a replayed CSV.

``price_path(params, price, steps, block_time, rng)`` returns ``steps + 1`` prices (1e18 ints, USD
per base unit); index 0 is ``price`` and index t the path's price at scenario step t. The oracle
posts these prices and informed traders peek ahead in the same list, so the whole path is drawn
up front from the simulation's one ``numpy.random.Generator``:

- ``gbm``: ``S[t+1] = S[t]·exp((μ − σ²/2)·dt + σ·√dt·Z)`` with ``dt = block_time / year``.
- ``abm`` (arithmetic, Avellaneda–Stoikov's ``dS = σ dW``): ``S[t+1] = S[t] + S₀·(μ·dt + σ·√dt·Z)``:
  the same annualized ``volatility`` and ``drift``, taken as fractions of the initial price ``S₀``,
  so the moves are ``S₀·σ`` USD per √year whatever the price does (it may fall to the clip).
- ``jump`` (Merton): the same diffusion plus ``Σ_{k≤N} Y_k``, ``N ~ Poisson(λ·dt)``,
  ``Y ~ Normal(jump_mean, jump_std)``, and the compensator ``−λ·(exp(jump_mean + jump_std²/2) − 1)·dt``
  in the drift so the expected price still grows at μ.
- ``replay``: the CSV price in force at each step's time ``t0 + t·block_time`` (the last row at
  or before it: no look-ahead); no randomness is consumed.

:class:`PathParams` declares the path's parameters (``defi_int.params``); a scenario's market is
its ``MarketParams`` plus these. Randoms are drawn as whole arrays in a fixed order (diffusion
normals, then jump counts), so a seed always consumes the stream the same way, and a jump path
shares its diffusion with the gbm path of the same seed (an abm path draws the same normals too). Floats become ints as
``int(round(S·1e6))·10**12`` (6 decimals), clipped to the prices the contracts take
(``params.PRICE_MIN``..``PRICE_MAX``); ``path_problem`` refuses the parameters whose path would
reach that clip, so the clip only guards against a freak draw. CSV prices are exact and must lie
in the same range.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from defi_int.exceptions import ScenarioError
from defi_int.params import (
    PRICE_MAX,
    PRICE_MIN,
    UINT64_MAX,
    YEAR_SECONDS,
    Declared,
    MarketParams,
    choice,
    file,
    number,
    param_of,
    show,
)
from defi_int.types import ONE, to_fixed

PATHS: Final = ("gbm", "abm", "jump", "replay")
CSV_HEADER: Final = ("timestamp", "price")
#: How far (in standard deviations of the log price over the run) a path must stay inside the range.
SIGMAS: Final = 6
_GRID: Final = 10**12  # 1e-6 USD
_CEILING: Final = PRICE_MAX - PRICE_MAX % _GRID
_PRICE: Final = param_of(MarketParams, "price")
_TIMESTAMP = re.compile(r"^\d+$")

__all__ = ["YEAR_SECONDS", "PathParams", "load_price_csv", "path_problem", "price_path", "replay_path"]


@dataclass(frozen=True, kw_only=True)
class PathParams(Declared):
    """How one market's index price moves: ``volatility`` and ``drift`` are annualized,
    ``jump_intensity`` is jumps per year and ``jump_mean``/``jump_std`` the normal law of each jump's
    log size; ``replay_csv`` (a ``timestamp,price`` CSV) is the path of a ``replay`` market."""

    path: str = choice("gbm", PATHS)
    volatility: float = number(0.8, 0, 10)
    drift: float = number(0.0, -10, 10)
    jump_intensity: float = number(0.0, 0, 1e9, unit="jumps per year")
    jump_mean: float = number(0.0, -5, 5)
    jump_std: float = number(0.05, 0, 5)
    replay_csv: Path | None = file(None)


def price_path(params: PathParams, price: int, steps: int, block_time: int, rng: np.random.Generator) -> list[int]:
    """``steps + 1`` prices (1e18 ints) of the path ``params`` starting at ``price``, one per scenario step."""
    if steps < 0 or block_time <= 0:
        raise ValueError(f"steps must be >= 0 and block_time > 0, got {steps} and {block_time}")
    if params.path == "replay":
        if params.replay_csv is None:
            raise ValueError("a replay path needs replay_csv")
        return replay_path(load_price_csv(params.replay_csv), steps, block_time, source=str(params.replay_csv))

    dt = block_time / YEAR_SECONDS
    sigma, mu = params.volatility, params.drift
    if params.path == "abm":
        start = price / ONE
        moves = start * (mu * dt + sigma * math.sqrt(dt) * rng.standard_normal(steps))
        levels = np.clip(start + np.cumsum(moves), PRICE_MIN / ONE, _CEILING / ONE)
        return [price] + [min(_CEILING, max(1, round(x)) * _GRID) for x in (levels * 1e6).tolist()]
    if params.path == "gbm":
        normals = rng.standard_normal(steps)
        log_returns = (mu - 0.5 * sigma**2) * dt + sigma * math.sqrt(dt) * normals
    else:
        lam, m, s = params.jump_intensity, params.jump_mean, params.jump_std
        normals2 = rng.standard_normal((2, steps))
        counts = rng.poisson(lam * dt, steps)
        log_returns = (
            (mu - 0.5 * sigma**2 - _compensator(params)) * dt
            + sigma * math.sqrt(dt) * normals2[0]
            + counts * m
            + np.sqrt(counts) * s * normals2[1]
        )
    log_prices = math.log(price / ONE) + np.cumsum(log_returns)
    log_prices = np.clip(log_prices, math.log(PRICE_MIN / ONE), math.log(_CEILING / ONE))
    micro = (np.exp(log_prices) * 1e6).tolist()
    return [price] + [min(_CEILING, max(1, round(x)) * _GRID) for x in micro]


def _compensator(params: PathParams) -> float:
    return params.jump_intensity * (math.exp(params.jump_mean + 0.5 * params.jump_std**2) - 1.0)


def path_problem(params: PathParams, price: int, steps: int, block_time: int) -> tuple[str, str] | None:
    """(field at fault, why) when the path would leave the prices the contracts take, else None.

    The log price after ``steps`` has mean ``log(price) + m·T`` and standard deviation ``v·√T``
    (diffusion plus compound-Poisson jumps, T in years); the path must stay ``SIGMAS`` standard
    deviations inside ``[PRICE_MIN, PRICE_MAX]``. The field blamed is the largest term.
    Replay paths are checked row by row by ``load_price_csv``.
    """
    if params.path == "replay":
        return None
    years = steps * block_time / YEAR_SECONDS
    if params.path == "abm":
        return _abm_problem(params, price, steps, block_time, years)
    terms = {
        "drift": abs(params.drift - 0.5 * params.volatility**2) * years,
        "volatility": SIGMAS * params.volatility * math.sqrt(years),
    }
    if params.path == "jump":
        lam, m, s = params.jump_intensity, params.jump_mean, params.jump_std
        terms["jump_mean"] = abs(lam * m - _compensator(params)) * years
        terms["jump_std"] = SIGMAS * math.sqrt(lam * (m * m + s * s) * years)
    mean = (params.drift - 0.5 * params.volatility**2) * years
    if params.path == "jump":
        mean += (params.jump_intensity * params.jump_mean - _compensator(params)) * years
    spread = math.hypot(terms["volatility"], terms.get("jump_std", 0.0))
    start = math.log(price / ONE)
    low, high = start + mean - spread, start + mean + spread
    if math.log(PRICE_MIN / ONE) <= low and high <= math.log(PRICE_MAX / ONE):
        return None
    side, bound = ("above", PRICE_MAX) if high > math.log(PRICE_MAX / ONE) else ("below", PRICE_MIN)
    reach = high if side == "above" else low
    blame = max(terms, key=lambda name: terms[name])
    return blame, (
        f"over the run ({steps} steps of {block_time} s) the price path's {SIGMAS}-sigma range reaches "
        f"{_exp_text(reach)} USD per base unit, {side} the prices the contracts take "
        f"({show(bound, amount=True)}); the path would be clipped"
    )


def _abm_problem(params: PathParams, price: int, steps: int, block_time: int, years: float) -> tuple[str, str] | None:
    """``path_problem`` for an arithmetic path: ``S₀·(1 + μ·T ± SIGMAS·σ·√T)`` within the price range."""
    start = price / ONE
    terms = {"drift": abs(params.drift) * years, "volatility": SIGMAS * params.volatility * math.sqrt(years)}
    centre = start * (1 + params.drift * years)
    low, high = centre - start * terms["volatility"], centre + start * terms["volatility"]
    if low >= PRICE_MIN / ONE and high <= PRICE_MAX / ONE:
        return None
    side, bound = ("above", PRICE_MAX) if high > PRICE_MAX / ONE else ("below", PRICE_MIN)
    reach = high if side == "above" else low
    blame = max(terms, key=lambda name: terms[name])
    return blame, (
        f"over the run ({steps} steps of {block_time} s) the arithmetic path's {SIGMAS}-sigma range reaches "
        f"{reach:.6g} USD per base unit, {side} the prices the contracts take ({show(bound, amount=True)}); "
        "the path would be clipped"
    )


def _exp_text(log_value: float) -> str:
    """``exp(log_value)`` as text, also where the float would overflow."""
    exponent = log_value / math.log(10)
    whole = math.floor(exponent)
    return f"{10 ** (exponent - whole):.3g}e{whole}"


def replay_path(rows: list[tuple[int, int]], steps: int, block_time: int, *, source: str = "replay") -> list[int]:
    """The price in force (last row at or before) at ``t0 + t·block_time`` for t in 0..steps."""
    covered = replay_coverage(rows, block_time)
    if covered < steps:
        raise ScenarioError(source, None, f"covers {covered} steps of {block_time} s, {steps} needed")
    times = [t for t, _ in rows]
    t0 = times[0]
    return [rows[bisect.bisect_right(times, t0 + t * block_time) - 1][1] for t in range(steps + 1)]


def replay_coverage(rows: list[tuple[int, int]], block_time: int) -> int:
    """How many whole steps of ``block_time`` seconds the rows cover after their first timestamp."""
    return (rows[-1][0] - rows[0][0]) // block_time


def load_price_csv(path: str | Path) -> list[tuple[int, int]]:
    """Reads a ``timestamp,price`` CSV: unix seconds strictly increasing, decimal prices the contracts take.

    Returns ``(timestamp, price 1e18)`` rows. Raises :class:`ScenarioError` with the file as
    source and the problem starting with its line number.
    """
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ScenarioError(source, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(source, None, f"cannot read: {err}") from None

    def fail(line: int, problem: str) -> ScenarioError:
        return ScenarioError(source, None, f"line {line}: {problem}")

    rows: list[tuple[int, int]] = []
    header_seen = False
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = tuple(cell.strip() for cell in line.split(","))
        if not header_seen:
            if cells != CSV_HEADER:
                raise fail(line_number, f"expected the header 'timestamp,price', got {line.strip()!r}")
            header_seen = True
            continue
        if len(cells) != 2:
            raise fail(line_number, f"expected 2 columns (timestamp,price), got {len(cells)}")
        stamp_text, price_text = cells
        if not _TIMESTAMP.match(stamp_text):
            raise fail(line_number, f"timestamp {stamp_text!r} is not a whole number of unix seconds")
        if len(stamp_text) > 20 or int(stamp_text) > UINT64_MAX:
            raise fail(line_number, f"timestamp {stamp_text[:24]!r} is beyond uint64 unix seconds")
        stamp = int(stamp_text)
        if rows and stamp <= rows[-1][0]:
            raise fail(line_number, f"timestamp {stamp} is not after the previous row's ({rows[-1][0]})")
        price = _positive_fixed(price_text)
        if price is None:
            raise fail(line_number, f"price {price_text!r} is not a positive decimal")
        if _PRICE.range_problem(price):
            raise fail(line_number, f"price {price_text!r} {_PRICE.range_text()}")
        rows.append((stamp, price))
    if not header_seen:
        raise ScenarioError(source, None, "empty file (expected the header 'timestamp,price' and rows)")
    if not rows:
        raise ScenarioError(source, None, "no data rows after the header")
    return rows


def _positive_fixed(text: str) -> int | None:
    try:
        value = to_fixed(text)
    except ValueError:
        return None
    return value if value > 0 else None
