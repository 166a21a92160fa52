"""Statistics over runs: mean, sd and a 95 % confidence interval of the mean, for cells and pairs.

``summary(values)`` -> ``Estimate``: ``n``, ``mean``, ``sd`` (ddof 1), and the 95 % interval
``mean ± t(0.975, n−1)·sd/√n`` (Student's t: the seeds of a cell are independent draws). The t
quantile is found by bisection on the exact distribution function (integer degrees of freedom).
Values that are not finite numbers (a figure that is ``None`` in a run, a failed run) are left out
and counted in ``missing``.

``paired(a, b)``: the per-seed differences ``b − a`` of two policies run on the same flow, and
their ``Estimate``: pairing removes the variance the two runs share (the same path, the same
orders), so the interval is on the difference itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_Z975 = 1.959963984540054


def _t_two_sided(t: float, df: int) -> float:
    """``P(|T| <= t)`` for Student's t with ``df`` degrees of freedom (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for j in range(2, df, 2):  # (1·3···(j−1))/(2·4···j) cos^j
            term *= (j - 1) / j * c2
            total += term
        return s * total
    if df == 1:
        return 2 * theta / math.pi
    term, total = math.cos(theta), math.cos(theta)
    for j in range(3, df - 1, 2):  # (2·4···(j−1))/(1·3···j) cos^j
        term *= (j - 1) / j * c2
        total += term
    return 2 / math.pi * (theta + s * total)


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (exact to 1e-9 by bisection)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df > 100_000:
        return _Z975 + (_Z975**3 + _Z975) / (4 * df)
    low, high = 0.0, 20.0
    while high - low > 1e-10:
        middle = (low + high) / 2
        if _t_two_sided(middle, df) < 0.95:
            low = middle
        else:
            high = middle
    return (low + high) / 2


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
