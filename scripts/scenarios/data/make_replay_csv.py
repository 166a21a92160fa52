"""Writes ``eth_usd_replay.csv``: a SYNTHETIC ETH/USD-like path for ``replay.toml``, not market data.

No real market data can be downloaded where this project is built, so the replay scenario ships
a deterministic stand-in: 400 rows, 12 seconds apart, from a regime-switching random walk (a calm
regime at 40 % annualized volatility and a turbulent one at 150 %, switching with probability 2 %
per row) with one sharp move: a 6 % drop over three rows at row 260, half recovered over the
next twenty. Prices have two decimals. Run it again and the file is identical::

    python scripts/scenarios/data/make_replay_csv.py [OUTPUT.csv]
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

ROWS = 400
SPACING = 12  # seconds
START = 1_700_000_000  # unix seconds of the first row
START_PRICE = 2_000.0
SEED = 20_240_601
VOLATILITIES = (0.40, 1.50)  # annualized, calm then turbulent
SWITCH_PROBABILITY = 0.02
CRASH_ROW, CRASH_ROWS, CRASH = 260, 3, -0.06
RECOVERY_ROWS, RECOVERY = 20, 0.5  # share of the drop won back
YEAR = 365 * 24 * 3_600


def log_returns(rng: np.random.Generator) -> list[float]:
    """One log return per row after the first: the regime walk plus the scripted move."""
    normals = rng.standard_normal(ROWS - 1)
    switches = rng.random(ROWS - 1) < SWITCH_PROBABILITY
    dt = SPACING / YEAR
    regime = 0
    out = []
    for i in range(ROWS - 1):
        regime ^= int(switches[i])
        sigma = VOLATILITIES[regime]
        step = -0.5 * sigma**2 * dt + sigma * math.sqrt(dt) * float(normals[i])
        row = i + 1
        if CRASH_ROW <= row < CRASH_ROW + CRASH_ROWS:
            step += math.log1p(CRASH) / CRASH_ROWS
        elif CRASH_ROW + CRASH_ROWS <= row < CRASH_ROW + CRASH_ROWS + RECOVERY_ROWS:
            step += -math.log1p(CRASH) * RECOVERY / RECOVERY_ROWS
        out.append(step)
    return out


def rows() -> list[tuple[int, str]]:
    """(timestamp, price with two decimals) for every row."""
    rng = np.random.default_rng(SEED)
    prices = [START_PRICE]
    for step in log_returns(rng):
        prices.append(prices[-1] * math.exp(step))
    return [(START + i * SPACING, f"{price:.2f}") for i, price in enumerate(prices)]


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("eth_usd_replay.csv")
    lines = ["timestamp,price"] + [f"{stamp},{price}" for stamp, price in rows()]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
