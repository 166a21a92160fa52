"""Price paths for the simulation: geometric Brownian motion, Merton jumps, or a replayed CSV.

``price_path(market, steps, block_time, rng)`` returns ``steps + 1`` prices (1e18 ints, USD per
base unit); index 0 is ``market.price`` and index t the path's price at scenario step t. The
oracle posts these prices and informed traders peek ahead in the same list, so the whole path is
drawn up front from the simulation's one ``numpy.random.Generator``:

- ``gbm``: ``S[t+1] = S[t]·exp((μ − σ²/2)·dt + σ·√dt·Z)`` with ``dt = block_time / year``.
- ``jump`` (Merton): the same diffusion plus ``Σ_{k≤N} Y_k``, ``N ~ Poisson(λ·dt)``,
  ``Y ~ Normal(jump_mean, jump_std)``, and the compensator ``−λ·(exp(jump_mean + jump_std²/2) − 1)·dt``
  in the drift so the expected price still grows at μ.
- ``replay``: the CSV price in force at each step's time ``t0 + t·block_time`` (the last row at
  or before it: no look-ahead); no randomness is consumed.

Randoms are drawn as whole arrays in a fixed order (diffusion normals, then jump counts), so a
seed always consumes the stream the same way, and a jump path shares its diffusion with the
gbm path of the same seed. Floats become ints as ``int(round(S·1e6))·10**12`` (6 decimals);
log prices are clipped to [1e-6, 1e20] USD so a price is never ≤ 0 and always fits a uint128.
"""

from __future__ import annotations

import bisect
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from defi_int.exceptions import ScenarioError
from defi_int.types import ONE, to_fixed

if TYPE_CHECKING:
    from defi_int.sim.scenario import MarketSpec

YEAR_SECONDS: Final = 365 * 24 * 3_600
MIN_PRICE_USD: Final = 1e-6
MAX_PRICE_USD: Final = 1e20
CSV_HEADER: Final = ("timestamp", "price")
_TIMESTAMP = re.compile(r"^\d+$")


def price_path(market: MarketSpec, steps: int, block_time: int, rng: np.random.Generator) -> list[int]:
    """``steps + 1`` prices (1e18 ints) of ``market``'s path, one per scenario step."""
    if steps < 0 or block_time <= 0:
        raise ValueError(f"steps must be >= 0 and block_time > 0, got {steps} and {block_time}")
    if market.path == "replay":
        if market.replay_csv is None:
            raise ValueError(f"market {market.id}: a replay path needs replay_csv")
        return replay_path(load_price_csv(market.replay_csv), steps, block_time, source=str(market.replay_csv))
    if market.path not in ("gbm", "jump"):
        raise ValueError(f"market {market.id}: unknown path {market.path!r}")

    dt = block_time / YEAR_SECONDS
    sigma, mu = market.volatility, market.drift
    if market.path == "gbm":
        normals = rng.standard_normal(steps)
        log_returns = (mu - 0.5 * sigma**2) * dt + sigma * math.sqrt(dt) * normals
    else:
        lam, m, s = market.jump_intensity, market.jump_mean, market.jump_std
        normals2 = rng.standard_normal((2, steps))
        counts = rng.poisson(lam * dt, steps)
        compensator = lam * (math.exp(m + 0.5 * s**2) - 1.0)
        log_returns = (
            (mu - 0.5 * sigma**2 - compensator) * dt
            + sigma * math.sqrt(dt) * normals2[0]
            + counts * m
            + np.sqrt(counts) * s * normals2[1]
        )
    log_prices = math.log(market.price / ONE) + np.cumsum(log_returns)
    log_prices = np.clip(log_prices, math.log(MIN_PRICE_USD), math.log(MAX_PRICE_USD))
    micro = (np.exp(log_prices) * 1e6).tolist()
    return [market.price] + [max(1, round(x)) * 10**12 for x in micro]


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
    """Reads a ``timestamp,price`` CSV: unix seconds strictly increasing, positive decimal prices.

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
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = tuple(cell.strip() for cell in line.split(","))
        if not header_seen:
            if cells != CSV_HEADER:
                raise fail(number, f"expected the header 'timestamp,price', got {line.strip()!r}")
            header_seen = True
            continue
        if len(cells) != 2:
            raise fail(number, f"expected 2 columns (timestamp,price), got {len(cells)}")
        stamp_text, price_text = cells
        if not _TIMESTAMP.match(stamp_text):
            raise fail(number, f"timestamp {stamp_text!r} is not a whole number of unix seconds")
        stamp = int(stamp_text)
        if rows and stamp <= rows[-1][0]:
            raise fail(number, f"timestamp {stamp} is not after the previous row's ({rows[-1][0]})")
        price = _positive_fixed(price_text)
        if price is None:
            raise fail(number, f"price {price_text!r} is not a positive decimal")
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
