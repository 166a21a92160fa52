"""Price paths: deterministic per seed, GBM and Merton moments match theory, replay follows its CSV
as a step function without look-ahead, and every price is a positive 1e18 int."""

import math

import numpy as np
import pytest

from defi_int.exceptions import ScenarioError
from defi_int.market.paths import YEAR_SECONDS, PathParams, load_price_csv, price_path, replay_path
from defi_int.types import ONE

GBM = PathParams(volatility=0.8)
START = 2_000 * ONE


def log_returns(path: list[int]) -> np.ndarray:
    return np.diff(np.log(np.array(path, dtype=float)))


def test_a_path_has_steps_plus_one_positive_int_prices_starting_at_the_market_price():
    path = price_path(GBM, START, 100, 12, np.random.default_rng(1))
    assert len(path) == 101
    assert path[0] == START
    assert all(type(p) is int and p > 0 and p % 10**12 == 0 for p in path)


def test_the_same_seed_gives_the_same_path_and_another_seed_another():
    first = price_path(GBM, START, 500, 12, np.random.default_rng(7))
    assert price_path(GBM, START, 500, 12, np.random.default_rng(7)) == first
    assert price_path(GBM, START, 500, 12, np.random.default_rng(8)) != first


def test_a_path_draws_all_its_randoms_up_front():
    rng = np.random.default_rng(3)
    price_path(GBM, START, 50, 12, rng)
    after_one = rng.standard_normal()
    assert after_one == np.random.default_rng(3).standard_normal(51)[-1]


def test_gbm_log_returns_have_the_theoretical_mean_and_std():
    steps, block_time, mu, sigma = 50_000, 3_600, 2.5, 0.5
    market = PathParams(volatility=sigma, drift=mu)
    r = log_returns(price_path(market, START, steps, block_time, np.random.default_rng(2024)))
    dt = block_time / YEAR_SECONDS
    mean, std = (mu - sigma**2 / 2) * dt, sigma * math.sqrt(dt)
    standard_error = std / math.sqrt(steps)
    assert abs(r.mean() - mean) < 4 * standard_error
    assert abs(r.std() / std - 1) < 0.02
    assert r.mean() > 8 * standard_error  # the drift is visible, not zero


def test_a_jump_path_with_huge_intensity_jumps_where_gbm_does_not():
    jumpy = PathParams(volatility=0.8, path="jump", jump_intensity=1e6, jump_std=0.05)
    steps, block_time = 20_000, 12
    r_jump = log_returns(price_path(jumpy, START, steps, block_time, np.random.default_rng(5)))
    r_gbm = log_returns(price_path(GBM, START, steps, block_time, np.random.default_rng(5)))
    diffusion = 0.8 * math.sqrt(block_time / YEAR_SECONDS)
    assert np.abs(r_gbm).max() < 6 * diffusion
    assert (np.abs(r_jump) > 10 * diffusion).sum() > steps // 10
    dt = block_time / YEAR_SECONDS
    variance = 0.8**2 * dt + 1e6 * dt * 0.05**2
    assert abs(r_jump.var() / variance - 1) < 0.05


def test_the_merton_compensator_keeps_the_mean_log_return_at_theory():
    m, s, lam = -0.02, 0.01, 2e5
    market = PathParams(volatility=0.5, path="jump", jump_intensity=lam, jump_mean=m, jump_std=s)
    steps, block_time = 40_000, 12
    r = log_returns(price_path(market, START, steps, block_time, np.random.default_rng(9)))
    dt = block_time / YEAR_SECONDS
    mean = (0.0 - 0.5**2 / 2 - lam * (math.exp(m + s**2 / 2) - 1)) * dt + lam * dt * m
    assert abs(r.mean() - mean) < 4 * r.std() / math.sqrt(steps)


def test_a_crash_never_takes_a_price_to_zero():
    crash = PathParams(volatility=10, drift=-10, path="jump", jump_intensity=1e7, jump_mean=-1)
    path = price_path(crash, ONE // 1000, 2_000, 3_600, np.random.default_rng(1))
    assert min(path) == 10**12  # one millionth of a dollar, the floor


def write_csv(tmp_path, text):
    file = tmp_path / "prices.csv"
    file.write_text(text)
    return file


def test_replay_takes_the_last_row_at_or_before_each_step(tmp_path):
    file = write_csv(tmp_path, "timestamp,price\n1000,10\n1005,11.5\n1024,12\n1025,13\n1049,14\n")
    market = PathParams(path="replay", replay_csv=file)
    rng = np.random.default_rng(1)
    path = price_path(market, 10 * ONE, 4, 12, rng)
    # step times 1000, 1012, 1024, 1036, 1048
    assert path == [10 * ONE, 23 * ONE // 2, 12 * ONE, 13 * ONE, 13 * ONE]
    assert rng.standard_normal() == np.random.default_rng(1).standard_normal()  # no randomness consumed


def test_replay_refuses_a_csv_that_does_not_cover_the_steps():
    with pytest.raises(ScenarioError, match="covers 2 steps of 12 s, 3 needed"):
        replay_path([(0, ONE), (24, ONE)], 3, 12)


def test_load_price_csv_reads_exact_prices(tmp_path):
    file = write_csv(tmp_path, "timestamp,price\n\n1,2000.123456789\n 2 , 0.5 \n")
    assert load_price_csv(file) == [(1, 2_000_123_456_789_000_000_000), (2, ONE // 2)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty file"),
        ("time,price\n1,2\n", "line 1: expected the header 'timestamp,price'"),
        ("timestamp,price\n", "no data rows"),
        ("timestamp,price\n1,2,3\n", "line 2: expected 2 columns"),
        ("timestamp,price\n1.5,2\n", "line 2: timestamp '1.5' is not a whole number"),
        ("timestamp,price\n5,2\n5,3\n", "line 3: timestamp 5 is not after the previous row's (5)"),
        ("timestamp,price\n1,0\n", "line 2: price '0' is not a positive decimal"),
        ("timestamp,price\n1,abc\n", "line 2: price 'abc' is not a positive decimal"),
        ("timestamp,price\n1,nan\n", "line 2: price 'nan' is not a positive decimal"),
    ],
)
def test_load_price_csv_names_the_file_and_line_of_a_problem(tmp_path, text, problem):
    file = write_csv(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_price_csv(file)
    assert caught.value.source == str(file)
    assert caught.value.problem.startswith(problem)
