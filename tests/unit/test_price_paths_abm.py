"""Arithmetic Brownian paths: moves in USD scaled by the initial price, the same normals as GBM."""

from __future__ import annotations

import itertools
import math

import numpy as np

from defi_int.market.paths import PathParams, path_problem, price_path
from defi_int.params import YEAR_SECONDS
from defi_int.types import ONE


def test_an_abm_path_moves_by_the_initial_price_times_sigma_root_dt() -> None:
    params = PathParams(path="abm", volatility=0.24, drift=0.0)
    block_time, steps = 1_095, 200
    path = price_path(params, 100 * ONE, steps, block_time, np.random.default_rng(3))
    normals = np.random.default_rng(3).standard_normal(steps)
    step_sd = 100 * 0.24 * math.sqrt(block_time / YEAR_SECONDS)
    assert abs(step_sd - 2 * math.sqrt(0.005)) < 1e-12  # the paper's σ√dt
    expected = 100 + np.cumsum(step_sd * normals)
    got = np.array(path[1:]) / ONE
    assert path[0] == 100 * ONE and np.max(np.abs(got - expected)) <= 0.5e-6 + 1e-9


def test_an_abm_path_draws_the_same_normals_as_a_gbm_path() -> None:
    gbm = price_path(PathParams(path="gbm"), 2_000 * ONE, 50, 12, np.random.default_rng(9))
    abm = price_path(PathParams(path="abm"), 2_000 * ONE, 50, 12, np.random.default_rng(9))
    rises = [b > a for a, b in itertools.pairwise(gbm)]
    assert rises == [b > a for a, b in itertools.pairwise(abm)]


def test_an_abm_path_whose_range_leaves_the_prices_the_contracts_take_is_refused() -> None:
    ok = PathParams(path="abm", volatility=0.24)
    assert path_problem(ok, 100 * ONE, 200, 1_095) is None
    wild = PathParams(path="abm", volatility=10.0)
    found = path_problem(wild, 100 * ONE, 10_000, 3_600)
    assert found is not None and found[0] == "volatility" and "below" in found[1]
