"""setPrice refuses zero and anything above 2^128 - 1 (no order's uint128 limit could carry it),
leaving the old price in place."""

import pytest

from defi_int.types import ONE


@pytest.mark.parametrize("bad_price", [0, 2**128, 2**192, 2**256 - 1])
def test_set_price_out_of_range_reverts_with_price_out_of_range(defi_system, oracle, reverts, bad_price):
    chain = defi_system.chain
    before = chain.call(oracle.functions.latest(0))

    with reverts("PriceOutOfRange", market=0, price=bad_price):
        chain.transact(defi_system.owner, oracle.functions.setPrice(0, bad_price), gas=80_000)

    assert chain.call(oracle.functions.latest(0)) == before
    assert chain.call(oracle.functions.price(0)) == 2_000 * ONE


def test_a_price_of_one_wei_is_accepted(defi_system, oracle):
    defi_system.set_price(4, 1)
    assert defi_system.chain.call(oracle.functions.price(4)) == 1
