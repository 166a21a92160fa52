"""A market that was never priced reverts with UnknownMarket, and latest reports zeros for it."""


def test_price_of_a_market_never_priced_reverts_with_unknown_market(defi_system, oracle, reverts):
    with reverts("UnknownMarket", market=7):
        defi_system.chain.call(oracle.functions.price(7))


def test_unknown_market_is_reported_for_the_largest_market_id(defi_system, oracle, reverts):
    with reverts("UnknownMarket", market=2**32 - 1):
        defi_system.chain.call(oracle.functions.price(2**32 - 1))


def test_latest_of_a_market_never_priced_is_zero_price_at_time_zero(defi_system, oracle):
    assert defi_system.chain.call(oracle.functions.latest(7)) == [0, 0]
