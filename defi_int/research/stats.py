"""Statistics over runs: mean, sd and a 95 % confidence interval of the mean, for cells and pairs.

``summary(values)`` -> ``Estimate``: ``n``, ``mean``, ``sd`` (ddof 1), and the 95 % interval
``mean ± t(0.975, n−1)·sd/√n`` (Student's t: the seeds of a cell are independent draws). The t
quantile is exact for 1 and 2 degrees of freedom and a Cornish–Fisher expansion beyond (within
1e-4 of the exact quantile from 3 degrees of freedom on). Values that are not finite numbers
(a figure that is ``None`` in a run, a failed run) are left out and counted in ``missing``.

``paired(a, b)``: the per-seed differences ``b − a`` of two policies run on the same flow, and
their ``Estimate``: pairing removes the variance the two runs share (the same path, the same
orders), so the interval is on the difference itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_Z975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df == 1:
        return math.tan(math.pi * 0.475)
    if df == 2:
        p = 0.975
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z, v = _Z975, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


@dataclass(frozen=True)
class Estimate:
    """A figure over ``n`` runs: mean, sd and the 95 % CI of the mean (None where undefined)."""

    n: int
    missing: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None

    @property
    def half_width(self) -> float | None:
        return None if self.low is None or self.mean is None else self.mean - self.low

    def as_dict(self, prefix: str) -> dict[str, float | int | None]:
        return {
            f"{prefix}_n": self.n,
            f"{prefix}_mean": self.mean,
            f"{prefix}_sd": self.sd,
            f"{prefix}_ci_low": self.low,
            f"{prefix}_ci_high": self.high,
        }


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def summary(values: Iterable[object]) -> Estimate:
    """The ``Estimate`` of the finite numbers among ``values``."""
    items = list(values)
    data = [float(v) for v in items if _finite(v)]  # type: ignore[arg-type]
    n, missing = len(data), len(items) - len(data)
    if n == 0:
        return Estimate(0, missing, None, None, None, None)
    mean = math.fsum(data) / n
    if n == 1:
        return Estimate(1, missing, mean, None, None, None)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in data) / (n - 1))
    half = t_quantile_975(n - 1) * sd / math.sqrt(n)
    return Estimate(n, missing, mean, sd, mean - half, mean + half)


def paired(a: Sequence[object], b: Sequence[object]) -> tuple[list[float | None], Estimate]:
    """Per-pair differences ``b − a`` (None where either is missing) and their ``Estimate``."""
    if len(a) != len(b):
        raise ValueError(f"paired figures need as many runs on each side, got {len(a)} and {len(b)}")
    diffs: list[float | None] = [
        float(y) - float(x) if _finite(x) and _finite(y) else None  # type: ignore[arg-type]
        for x, y in zip(a, b, strict=True)
    ]
    return diffs, summary(diffs)


def within(value: float, estimate: float, error: float, sigmas: float = 3.0) -> bool:
    """Whether ``value`` lies within ``sigmas`` standard errors ``error`` of ``estimate``."""
    return abs(value - estimate) <= sigmas * error
