"""A price stays readable through price() up to exactly maxAge seconds, and reverts one second later."""

from defi_int.types import ONE


def test_price_is_readable_exactly_max_age_seconds_after_its_update(defi_system, oracle):
    chain = defi_system.chain
    _, updated_at = chain.call(oracle.functions.latest(0))
    max_age = chain.call(oracle.functions.maxAge())
    assert max_age == 3_600

    chain.set_next_block_timestamp(updated_at + max_age)
    chain.mine()

    assert chain.timestamp() == updated_at + max_age
    assert chain.call(oracle.functions.price(0)) == 2_000 * ONE


def test_price_reverts_with_stale_price_one_second_past_max_age(defi_system, oracle, reverts):
    chain = defi_system.chain
    _, updated_at = chain.call(oracle.functions.latest(0))

    chain.set_next_block_timestamp(updated_at + 3_601)
    chain.mine()

    assert chain.timestamp() == updated_at + 3_601
    with reverts("StalePrice", market=0, updatedAt=updated_at, now_=updated_at + 3_601, maxAge=3_600):
        chain.call(oracle.functions.price(0))


def test_latest_still_returns_a_stale_price_and_its_time(defi_system, oracle):
    chain = defi_system.chain
    _, updated_at = chain.call(oracle.functions.latest(0))
    chain.set_next_block_timestamp(updated_at + 10_000)
    chain.mine()
    assert chain.call(oracle.functions.latest(0)) == [2_000 * ONE, updated_at]


def test_a_stale_price_also_stops_a_margin_check_that_needs_it(defi_system, oracle, defi_traders, reverts):
    chain, amm = defi_system.chain, defi_system.amm
    trader = defi_traders[0]
    chain.transact(trader, amm.functions.swap(0, True, ONE, 10**30), gas=300_000)
    _, updated_at = chain.call(oracle.functions.latest(0))
    chain.set_next_block_timestamp(updated_at + 3_601)
    chain.mine()

    with reverts("StalePrice", market=0, updatedAt=updated_at, now_=updated_at + 3_601, maxAge=3_600):
        chain.call(defi_system.vault.functions.withdraw(1), sender=trader.address)


def test_a_transaction_that_reverts_on_a_stale_price_is_reported_as_stale_price(
    defi_system, oracle, defi_traders, reverts
):
    chain, amm = defi_system.chain, defi_system.amm
    trader = defi_traders[0]
    chain.transact(trader, amm.functions.swap(0, True, ONE, 10**30), gas=300_000)
    _, updated_at = chain.call(oracle.functions.latest(0))
    chain.set_next_block_timestamp(updated_at + 3_601)

    with reverts("StalePrice", market=0, updatedAt=updated_at, now_=updated_at + 3_601, maxAge=3_600):
        chain.transact(trader, defi_system.vault.functions.withdraw(1), gas=200_000)


def test_posting_a_new_price_makes_a_stale_market_readable_again(defi_system, oracle):
    chain = defi_system.chain
    _, updated_at = chain.call(oracle.functions.latest(0))
    chain.set_next_block_timestamp(updated_at + 3_601)
    chain.mine()

    defi_system.set_price(0, 2_100 * ONE)

    assert chain.call(oracle.functions.price(0)) == 2_100 * ONE
    assert chain.call(oracle.functions.latest(0))[1] == chain.timestamp()


def test_a_max_age_of_zero_allows_reading_only_in_the_block_of_the_update(defi_system, oracle, reverts):
    chain = defi_system.chain
    chain.transact(defi_system.owner, oracle.functions.setMaxAge(0), gas=60_000)
    receipt = chain.transact(defi_system.owner, oracle.functions.setPrice(0, 2_000 * ONE), gas=80_000)
    posted_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]

    assert chain.call(oracle.functions.price(0), block=receipt["blockNumber"]) == 2_000 * ONE
    chain.mine()
    with reverts("StalePrice", market=0, updatedAt=posted_at, now_=chain.timestamp(), maxAge=0):
        chain.call(oracle.functions.price(0))
