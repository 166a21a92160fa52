"""Market 2^32 - 1 is reserved ("no market"): the Vault refuses to list it, the deployment refuses
it, and Settlement holds no sentinel a market id could reach (issue 8, first hole)."""

import pytest

from defi_int.chain import MarketParams, SystemParams
from defi_int.exceptions import ConfigError
from defi_int.types import ONE

RESERVED = 2**32 - 1


def test_listing_the_reserved_market_id_reverts_with_invalid_market(defi_system, reverts):
    with reverts("InvalidMarket", market=RESERVED):
        defi_system.chain.transact(
            defi_system.owner, defi_system.vault.functions.listMarket(RESERVED, ONE), gas=150_000
        )


def test_the_largest_other_market_id_can_be_listed(defi_system):
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.listMarket(RESERVED - 1, ONE), gas=150_000)
    assert s.chain.call(s.vault.functions.markets()) == [0, RESERVED - 1]


def test_the_deployment_refuses_the_reserved_market_id():
    with pytest.raises(ConfigError, match=r"market_id: must be within 0\.\.4294967294, got 4294967295"):
        SystemParams(markets=(MarketParams(market_id=RESERVED),))


def test_a_buy_at_price_zero_in_the_reserved_market_is_outside_the_band_not_free(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    # The oracle and the AMM take any id, so the market can have a mark and a pool; it used to be
    # Settlement's cache sentinel, read as mark 0 and an empty pool, so a buy at price 0 passed.
    s = defi_system
    s.set_price(RESERVED, 2_000 * ONE)
    s.chain.transact(s.owner, s.amm.functions.initializePool(RESERVED, 1_000 * ONE, 2_000_000 * 10**6, 30), gas=100_000)
    fill = defi_orders.fill(defi_traders[0], market=RESERVED, internal_price=0, limit_price=2_040 * ONE)

    expect_rejection(fill, "PriceOutsideBand", price=0, mark=2_000 * ONE)


def test_a_fill_in_the_reserved_market_at_the_mark_reaches_the_vault_which_does_not_list_it(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    s = defi_system
    s.set_price(RESERVED, 2_000 * ONE)
    s.chain.transact(s.owner, s.amm.functions.initializePool(RESERVED, 1_000 * ONE, 2_000_000 * 10**6, 30), gas=100_000)

    expect_rejection(defi_orders.fill(defi_traders[0], market=RESERVED), "MarketNotListed", market=RESERVED)


def test_a_fill_in_a_market_the_oracle_never_priced_names_the_unknown_market(
    defi_traders, defi_orders, expect_rejection
):
    fill = defi_orders.fill(defi_traders[0], market=RESERVED, internal_price=2_000 * ONE, limit_price=2_040 * ONE)
    expect_rejection(fill, "UnknownMarket", market=RESERVED)
