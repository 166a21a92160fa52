"""The desk's price: inventory skew, half-spread, oracle band, best execution, edge."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from defi_int.keeper.pricing import PricingParams, desk_price, quoted_price, reservation_price
from defi_int.market.amm import Pool
from defi_int.market.ledger import notional
from defi_int.orders.rules import amm_reference, band
from defi_int.types import ONE

SCALE = 10**30  # 6-decimal collateral
MARK = 2_000 * ONE


def params(**overrides: float) -> PricingParams:
    values = {
        "half_spread_bps": 5.0,
        "risk_aversion": 1.0,
        "variance_per_second": 0.8**2 / (365 * 24 * 3600),
        "horizon_seconds": 3600.0,
        "max_deviation_bps": 100,
        "min_edge_bps": 0.0,
        "price_scale": SCALE,
    }
    values.update(overrides)
    return PricingParams(**values)  # type: ignore[arg-type]


def pool_at(mark: int, base_units: int = 1_000, fee_bps: int = 30) -> Pool:
    base = base_units * ONE
    return Pool(base, base * mark // SCALE, fee_bps)


def desk_price_at(trader_buys: bool, size: int, mark: int, inventory: int, pool: Pool, p: PricingParams) -> int | None:
    """The desk's price against ``pool``'s quote for the same size (what the planner hands over)."""
    return desk_price(trader_buys, size, mark, inventory, amm_reference(pool, trader_buys, size), p)


def test_a_flat_desk_reserves_at_the_oracle_price() -> None:
    assert reservation_price(MARK, 0, params()) == MARK


def test_a_long_desk_lowers_its_reservation_price_and_a_short_desk_raises_it() -> None:
    p = params()
    assert reservation_price(MARK, 10 * ONE, p) < MARK < reservation_price(MARK, -10 * ONE, p)


def test_the_skew_follows_avellaneda_stoikov() -> None:
    p = params(risk_aversion=2.0)
    q = 20
    expected = MARK * (1 - q * 2.0 * p.variance_per_second * p.horizon_seconds)
    assert abs(reservation_price(MARK, q * ONE, p) - expected) <= MARK // 10**9


def test_the_half_spread_is_added_on_the_traders_side() -> None:
    p = params(half_spread_bps=10.0)
    assert quoted_price(True, MARK, 0, p) == MARK + MARK // 1_000
    assert quoted_price(False, MARK, 0, p) == MARK - MARK // 1_000


def test_a_wide_spread_is_clamped_to_the_oracle_band() -> None:
    p = params(half_spread_bps=500.0, max_deviation_bps=100)
    pool = pool_at(MARK, fee_bps=9_000)  # an AMM so expensive it never binds
    low, high = band(MARK, 100)
    assert desk_price_at(True, ONE, MARK, 0, pool, p) == high
    assert desk_price_at(False, ONE, MARK, 0, pool, p) == low


def test_best_execution_caps_the_price_at_the_amms_quote_for_the_same_size() -> None:
    p = params(half_spread_bps=80.0)  # wider than the AMM's 30 bps fee
    pool = pool_at(MARK)
    size = 3 * ONE
    price = desk_price_at(True, size, MARK, 0, pool, p)
    assert price is not None
    assert notional(size, price, SCALE, is_buy=True) <= pool.quote_buy(size)
    assert notional(size, price + 1, SCALE, is_buy=True) > pool.quote_buy(size) or price + 1 > band(MARK, 100)[1]
    sell = desk_price_at(False, size, MARK, 0, pool, p)
    assert sell is not None
    assert notional(size, sell, SCALE, is_buy=False) >= pool.quote_sell(size)


def test_the_desk_declines_when_the_amm_is_cheaper_than_its_minimum_edge() -> None:
    cheap_amm = pool_at(MARK * 99 // 100, fee_bps=0)  # the AMM sells 1% under the oracle
    assert desk_price_at(True, ONE, MARK, 0, cheap_amm, params(min_edge_bps=0.0)) is None
    assert desk_price_at(True, ONE, MARK, 0, cheap_amm, params(min_edge_bps=-200.0)) is not None


def test_a_long_desk_sells_below_the_oracle_to_shed_inventory_but_not_below_its_reservation() -> None:
    p = params(risk_aversion=20.0)
    long = 10 * ONE
    price = desk_price_at(True, ONE, MARK, long, pool_at(MARK), p)
    assert price is not None and reservation_price(MARK, long, p) <= price < MARK
    assert desk_price_at(True, ONE, MARK, long, pool_at(MARK), params(risk_aversion=20.0, min_edge_bps=50.0)) is None


def test_the_desk_declines_a_size_the_amm_cannot_quote() -> None:
    assert desk_price_at(True, 2_000 * ONE, MARK, 0, pool_at(MARK), params()) is None
    assert amm_reference(pool_at(MARK), True, 2_000 * ONE) is None


@given(
    trader_buys=st.booleans(),
    size=st.integers(10**12, 200 * ONE),
    mark=st.integers(ONE, 100_000 * ONE),
    amm_offset_bps=st.integers(-300, 300),
    inventory=st.integers(-100 * ONE, 100 * ONE),
    half_spread=st.floats(0, 200),
    deviation=st.integers(0, 500),
)
def test_every_desk_price_is_in_the_band_and_beats_the_amm(
    trader_buys: bool, size: int, mark: int, amm_offset_bps: int, inventory: int, half_spread: float, deviation: int
) -> None:
    pool = pool_at(mark * (10_000 + amm_offset_bps) // 10_000)
    p = params(half_spread_bps=half_spread, max_deviation_bps=deviation)
    price = desk_price_at(trader_buys, size, mark, inventory, pool, p)
    if price is None:
        return
    low, high = band(mark, deviation)
    assert low <= price <= high
    paid = notional(size, price, SCALE, is_buy=trader_buys)
    if trader_buys:
        assert paid <= pool.quote_buy(size)
        assert price >= reservation_price(mark, inventory, p)  # min_edge 0: never below its own value
    else:
        assert paid >= pool.quote_sell(size)
        assert price <= reservation_price(mark, inventory, p)
