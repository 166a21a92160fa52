"""price and latest return the posted index price; setPrice stamps it with the block time."""

from defi_int.chain import MarketParams
from defi_int.types import ONE


def test_market_zero_reads_the_deployed_index_price(defi_system, oracle):
    chain = defi_system.chain
    assert chain.call(oracle.functions.price(0)) == MarketParams().price == 2_000 * ONE
    price, updated_at = chain.call(oracle.functions.latest(0))
    assert price == 2_000 * ONE
    assert 0 < updated_at <= chain.timestamp()


def test_set_price_updates_price_and_latest_with_the_block_time(defi_system, oracle, events):
    chain = defi_system.chain
    new_price = 1_987_654_321_987_654_321_123

    receipt = chain.transact(defi_system.owner, oracle.functions.setPrice(0, new_price), gas=80_000)

    block_time = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert chain.call(oracle.functions.latest(0)) == [new_price, block_time]
    assert chain.call(oracle.functions.price(0)) == new_price
    assert events(oracle, receipt, "PriceUpdated") == [{"market": 0, "price": new_price, "updatedAt": block_time}]


def test_a_price_posted_for_a_new_market_is_readable_without_touching_others(defi_system, oracle):
    chain = defi_system.chain
    defi_system.set_price(9, 31 * ONE)
    assert chain.call(oracle.functions.price(9)) == 31 * ONE
    assert chain.call(oracle.functions.price(0)) == 2_000 * ONE


def test_the_largest_price_an_order_can_carry_is_stored_whole(defi_system, oracle):
    chain = defi_system.chain
    defi_system.set_price(3, 2**128 - 1)
    assert chain.call(oracle.functions.price(3)) == 2**128 - 1
