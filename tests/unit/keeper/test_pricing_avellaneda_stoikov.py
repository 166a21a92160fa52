"""The paper's pricing modes: the optimal spread, the reservation price, the horizon to the session's end."""

from __future__ import annotations

import math

import pytest

from defi_int.keeper.pricing import PricingParams, desk_price, optimal_spread, quoted_price, reservation_price
from defi_int.market.amm import Pool
from defi_int.orders.rules import amm_reference
from defi_int.types import BPS, ONE

T = 219_000  # seconds: the paper's T = 1
S = 100 * ONE
SIGMA2 = 4 / T  # σ = 2 USD per √T
GAMMA, K = 0.1, 1.5


def params(mode: str = "as", gamma: float = GAMMA, **overrides: object) -> PricingParams:
    values: dict[str, object] = {
        "half_spread_bps": 5.0,
        "risk_aversion": gamma,
        "variance_per_second": 0.0,
        "horizon_seconds": 3600.0,
        "max_deviation_bps": BPS,
        "min_edge_bps": 0.0,
        "price_scale": 10**18,
        "mode": mode,
        "price_variance_per_second": SIGMA2,
        "fill_decay": K,
        "session_start": 0,
        "session_end": T,
    }
    values.update(overrides)
    return PricingParams(**values)  # type: ignore[arg-type]


def spread_at(p: PricingParams, inventory: int, now: int) -> int:
    return quoted_price(True, S, inventory, p, now) - quoted_price(False, S, inventory, p, now)


def test_the_as_spread_is_the_papers_optimal_spread() -> None:
    expected = GAMMA * 4 * 1.0 + (2 / GAMMA) * math.log(1 + GAMMA / K)  # at t = 0, T - t = T
    assert abs(spread_at(params(), 0, 0) - expected * ONE) <= 2
    assert abs(optimal_spread(params(), T // 2) - (GAMMA * 4 * 0.5 + (2 / GAMMA) * math.log(1 + GAMMA / K))) < 1e-12


def test_the_as_spread_does_not_depend_on_the_inventory() -> None:
    p = params()
    spreads = {spread_at(p, q * ONE, 1_000) for q in (-7, -1, 0, 3, 12)}
    assert len(spreads) == 1


def test_the_bps_spread_does_depend_on_the_inventory() -> None:
    p = params("bps", gamma=1.0, variance_per_second=0.8**2 / 31_536_000)
    assert spread_at(p, 10 * ONE, 0) < spread_at(p, 0, 0) < spread_at(p, -10 * ONE, 0)


@pytest.mark.parametrize("q", [-5, 0, 4])
def test_the_as_reservation_price_is_s_minus_q_gamma_sigma2_time_left(q: int) -> None:
    now = 54_750  # a quarter of the session gone
    expected = 100 - q * GAMMA * SIGMA2 * (T - now)
    assert abs(reservation_price(S, q * ONE, params(), now) - expected * ONE) <= 1
    bid, ask = quoted_price(False, S, q * ONE, params(), now), quoted_price(True, S, q * ONE, params(), now)
    assert abs((bid + ask) / 2 - expected * ONE) <= 1


def test_the_horizon_runs_to_the_end_of_the_session_and_stops_there() -> None:
    at_end = (2 / GAMMA) * math.log(1 + GAMMA / K)
    for now in (T, T + 5_000):  # no skew, the arrival term only, never a negative horizon
        assert reservation_price(S, 9 * ONE, params(), now) == S
        assert abs(spread_at(params(), 9 * ONE, now) - at_end * ONE) <= 2


def test_the_symmetric_mode_centres_the_average_spread_on_the_oracle() -> None:
    p = params("as_symmetric")
    average = GAMMA * 4 / 2 + (2 / GAMMA) * math.log(1 + GAMMA / K)
    for q, now in ((0, 0), (8 * ONE, 100_000), (-3 * ONE, T)):
        assert reservation_price(S, q, p, now) == S
        assert abs(spread_at(p, q, now) - average * ONE) <= 2


def test_zero_risk_aversion_is_the_limit_two_over_k() -> None:
    assert optimal_spread(params(gamma=0.0), 0) == 2 / K


def test_a_quote_through_the_oracle_is_still_the_desks_price() -> None:
    pool = Pool(1_000 * ONE, 100_000 * ONE, 9_999)  # the experiment's AMM: it never binds
    long = 10 * ONE  # r = 100 - 10*0.1*(4/T)*T = 96: the ask sits below the oracle
    ask = desk_price(True, ONE, S, long, amm_reference(pool, True, ONE), params(), 0)
    assert ask == quoted_price(True, S, long, params(), 0) and ask < S


def test_the_paper_modes_need_the_batch_time_and_a_session() -> None:
    with pytest.raises(ValueError, match="needs the batch's time"):
        quoted_price(True, S, 0, params(), None)
    with pytest.raises(ValueError, match="needs fill_decay > 0 and a session"):
        params(session_end=0)
