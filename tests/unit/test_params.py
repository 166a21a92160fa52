"""The declared parameters: building one from code checks it as the scenario loader does, the
bounds are the contracts' types, and a message never shows a bound the value could not reach."""

import dataclasses
import re
from decimal import Decimal

import pytest

from defi_int.exceptions import ConfigError, ParamError
from defi_int.params import (
    FUNDING_PERIOD_MAX,
    FUNDING_PERIOD_MIN,
    MAX_MARKET_ID,
    MAX_ORACLE_AGE,
    PRICE_MAX,
    UINT96_MAX,
    UINT112_MAX,
    UINT128_MAX,
    KeeperParams,
    MarketParams,
    ProtocolParams,
    SystemParams,
    declared,
    param_of,
)
from defi_int.types import ONE


@pytest.mark.parametrize("cls", [MarketParams, ProtocolParams, SystemParams, KeeperParams])
def test_every_declared_default_is_within_its_own_range(cls):
    instance = cls()
    for f, param in declared(cls):
        assert param.problem(getattr(instance, f.name)) is None, f.name


@pytest.mark.parametrize(
    ("build", "path", "fragment"),
    [
        (lambda: SystemParams(decimals=37), "decimals", "must be within 0..36, got 37"),
        (lambda: SystemParams(oracle_max_age=366 * 86_400), "oracle_max_age", "must be within 1..31536000 seconds"),
        (lambda: MarketParams(market_id=2**32 - 1), "market_id", "must be within 0..4294967294"),
        (lambda: MarketParams(price=10**60 * ONE), "price", "USD per base unit, got 1e60"),
        (lambda: MarketParams(amm_base=0), "amm_base", "must be > 0 and <= 5.19229e15 base units, got 0"),
        (lambda: SystemParams(maintenance_margin_bps=2_000), "maintenance_margin_bps", "must be <= initial_margin_bps"),
        (lambda: SystemParams(decimals=36), "desk_capital", "2e42 units at 36 decimals"),
        (lambda: SystemParams(decimals=18, insurance_capital=10**11), "insurance_capital", "int88 cash"),
        (lambda: MarketParams(funding_period=3_599), "funding_period", "must be 0 (off) or 3600..2592000 seconds"),
        (lambda: MarketParams(funding_period=31 * 86_400), "funding_period", "must be 0 (off) or 3600..2592000"),
        (lambda: MarketParams(funding_cap_bps=10_001), "funding_cap_bps", "must be within 0..10000 bps"),
        (lambda: MarketParams(inventory_cap=2**96 * ONE), "inventory_cap", "must be within 0..7.92281e10 base units"),
        (lambda: SystemParams(liquidation_penalty_bps=1_001), "liquidation_penalty_bps", "within 0..1000 bps"),
        (lambda: SystemParams(liquidator_share_bps=-1), "liquidator_share_bps", "within 0..10000 bps"),
        (lambda: SystemParams(liquidation_slippage_bps=1_001), "liquidation_slippage_bps", "within 0..1000 bps"),
        (
            lambda: SystemParams(markets=(MarketParams(), MarketParams())),
            "markets[1].market_id",
            "duplicate market id 0 (also markets[0])",
        ),
        (
            lambda: SystemParams(markets=(MarketParams(price=10**20 * ONE, amm_base=10**15 * ONE),)),
            "markets[0].amm_base",
            "above uint112",
        ),
        (lambda: KeeperParams(soft_limit=ONE, hedge_to=2 * ONE), "hedge_to", "must be < soft_limit (1), got 2"),
        (lambda: KeeperParams(markout_horizons=(5, 1, 20)), "markout_horizons", "must be strictly increasing"),
        (lambda: KeeperParams(half_spread_bps=float("nan")), "half_spread_bps", "expected a finite number"),
    ],
)
def test_building_from_code_refuses_what_the_contracts_would_naming_the_field(build, path, fragment):
    with pytest.raises(ParamError) as caught:
        build()
    assert caught.value.path == path and fragment in caught.value.problem
    assert isinstance(caught.value, ConfigError) and "\n" not in str(caught.value)


def test_system_params_as_the_fixtures_build_them_still_work():
    params = SystemParams(markets=(MarketParams(market_id=3, price=1_500 * ONE),))
    assert (params.unit, params.price_scale) == (10**6, 10**30)
    assert params.amm_quote(params.markets[0]) == 1_000 * 1_500 * 10**6
    assert dataclasses.replace(params, oracle_max_age=60).oracle_max_age == 60


def test_the_bounds_are_the_contracts_types():
    assert param_of(MarketParams, "price").hi == PRICE_MAX == UINT128_MAX // 2
    assert param_of(MarketParams, "amm_base").hi == UINT112_MAX
    assert param_of(MarketParams, "inventory_cap").hi == UINT96_MAX
    assert param_of(MarketParams, "market_id").hi == MAX_MARKET_ID == 2**32 - 2
    funding = param_of(MarketParams, "funding_period")
    assert (funding.lo, funding.hi, funding.or_zero) == (FUNDING_PERIOD_MIN, FUNDING_PERIOD_MAX, True)
    assert (FUNDING_PERIOD_MIN, FUNDING_PERIOD_MAX) == (3_600, 30 * 86_400)
    assert param_of(ProtocolParams, "oracle_max_age").hi == MAX_ORACLE_AGE == 365 * 86_400


@pytest.mark.parametrize(
    ("cls", "name"), [(MarketParams, "price"), (MarketParams, "amm_base"), (ProtocolParams, "oracle_max_age")]
)
def test_a_shortened_bound_in_a_message_is_rounded_inward(cls, name):
    param = param_of(cls, name)
    lo, hi = (Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?(?:e\d+)?", param.range_text()))
    scale = ONE if param.kind == "amount" else 1
    assert param.lo <= lo * scale and hi * scale <= param.hi
    assert hi * scale > param.hi * Decimal("0.999")  # and still says the bound
