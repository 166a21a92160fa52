"""Means, sds and 95 % intervals of a figure over seeds, and of paired differences."""

from __future__ import annotations

import math

import pytest

from defi_int.research.stats import paired, summary, t_quantile_975

# Student's t, 0.975 quantiles (standard tables).
TABLE = {1: 12.7062, 2: 4.3027, 3: 3.1824, 5: 2.5706, 10: 2.2281, 19: 2.0930, 30: 2.0423, 120: 1.9799}


@pytest.mark.parametrize(("df", "expected"), sorted(TABLE.items()))
def test_the_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert abs(t_quantile_975(df) - expected) < 2e-4


def test_a_summary_has_the_mean_the_sample_sd_and_the_t_interval() -> None:
    estimate = summary([1.0, 2.0, 3.0, 4.0, None, float("nan")])
    assert (estimate.n, estimate.missing, estimate.mean) == (4, 2, 2.5)
    assert estimate.sd is not None and abs(estimate.sd - math.sqrt(5 / 3)) < 1e-12
    half = TABLE[3] * estimate.sd / 2
    assert estimate.low is not None and abs(estimate.low - (2.5 - half)) < 1e-3


def test_one_value_has_no_sd_and_none_has_no_mean() -> None:
    assert summary([7]).sd is None and summary([7]).mean == 7
    assert summary([None]).mean is None


def test_paired_differences_remove_what_both_runs_share() -> None:
    shared = [100.0, -50.0, 20.0, 5.0]
    diffs, estimate = paired(shared, [x + 1.0 for x in shared])
    assert diffs == [1.0, 1.0, 1.0, 1.0] and estimate.mean == 1.0 and estimate.sd == 0.0
    with pytest.raises(ValueError, match="as many runs"):
        paired([1.0], [1.0, 2.0])
