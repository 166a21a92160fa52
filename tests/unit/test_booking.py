"""One booking: the legs of a settled fill from the chain's event and what the plan knew, with the
Vault's rounding against the trader, the fee split between the legs, and the settle's gas shared."""

from __future__ import annotations

from defi_int.market.ledger import fee_for, notional
from defi_int.orders.booking import FillEvent, LegContext, book, legs_of
from defi_int.orders.model import Order
from defi_int.orders.rules import average_price
from defi_int.types import ONE

SCALE = 10**30
TRADER = "0x" + "ab" * 20
CONTEXT = LegContext(fee_bps=30, mark=2_000 * ONE, amm_mid=2_001 * ONE, amm_reference=6_020_000_001)


def order(is_buy: bool) -> Order:
    return Order(TRADER, 0, is_buy, 5 * ONE, 2_100 * ONE if is_buy else 1_900 * ONE, 2**40, 1, 30, True)


def event(is_buy: bool, *, index: int = 0) -> FillEvent:
    internal_price = 2_000_333_333_333_333_333_333  # 2000.33…: the notional has a remainder
    internal_quote = notional(3 * ONE, internal_price, SCALE, is_buy=is_buy)
    amm_quote = 4_013_000_001
    fee = fee_for(internal_quote, 30) + fee_for(amm_quote, 30)
    return FillEvent(bytes([index + 1]) * 32, TRADER, 3 * ONE, internal_price, 2 * ONE, amm_quote, fee, 7,
                     is_buy=is_buy, fee_bps=30, index=index)  # fmt: skip


def test_a_buy_books_its_internal_leg_then_its_amm_leg_rounded_against_the_trader():
    internal, amm = legs_of(event(True), order(True), CONTEXT, SCALE)

    assert (internal.venue, amm.venue) == ("internal", "amm")
    assert internal.quote == -(-3 * ONE * internal.price // SCALE)  # rounded up: the buyer pays the unit
    assert internal.fee == fee_for(internal.quote, 30) and internal.fee + amm.fee == event(True).fee
    assert amm.price == average_price(4_013_000_001, 2 * ONE, SCALE, is_buy=True) and amm.amm_quote == amm.quote
    assert internal.amm_quote == CONTEXT.amm_reference and internal.oracle_price == CONTEXT.mark
    assert {internal.limit_price, internal.trader, internal.amm_mid} == {2_100 * ONE, TRADER, 2_001 * ONE}


def test_a_sell_is_rounded_down_and_an_unmarked_leg_has_oracle_zero():
    (internal, amm) = legs_of(event(False), order(False), LegContext(30, None, 0, None), SCALE)

    assert internal.quote == 3 * ONE * internal.price // SCALE  # rounded down: the seller receives less
    assert internal.oracle_price == 0 and internal.amm_quote == 0 and internal.amm_quote_price == 0
    assert amm.price == 4_013_000_001 * SCALE // (2 * ONE)


def test_a_settles_gas_is_shared_among_its_legs_to_the_unit_with_its_block_time_and_step():
    fills = [(event(True, index=0), order(True), CONTEXT), (event(False, index=1), order(False), CONTEXT)]

    legs = book(fills, price_scale=SCALE, gas_used=100_003, block=9, time=1_234, step=4)

    assert [leg.gas for leg in legs] == [25_001, 25_001, 25_001, 25_000] and sum(leg.gas for leg in legs) == 100_003
    assert {(leg.block, leg.time, leg.step) for leg in legs} == {(9, 1_234, 4)}
    assert [leg.fill_index for leg in legs] == [0, 0, 1, 1]
