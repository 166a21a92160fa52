"""One fill with an internal leg against the desk and an AMM leg routed to the pool: each leg is
booked against its own counterparty, each pays its own fee (rounded up), and only the AMM leg
moves the pool's reserves."""

from defi_int.market.amm import get_amount_in, get_amount_out
from defi_int.types import ONE

PRICE = 2_000 * ONE
BASE, QUOTE, POOL_FEE = 1_000 * ONE, 2_000_000_000_000, 30  # the deployed pool


def test_the_amm_quotes_used_below_are_uniswap_v2s_for_the_deployed_pool(defi_system):
    call, amm = defi_system.chain.call, defi_system.amm
    assert call(amm.functions.pool(0)) == [BASE, QUOTE, POOL_FEE]
    assert call(amm.functions.quoteBuy(0, 2 * ONE)) == get_amount_in(2 * ONE, QUOTE, BASE, POOL_FEE) == 4_020_076_261
    assert call(amm.functions.quoteSell(0, 2 * ONE)) == get_amount_out(2 * ONE, BASE, QUOTE, POOL_FEE) == 3_980_063_752


def test_settle_books_a_buy_split_between_the_desk_and_the_amm(defi_system, defi_traders, defi_orders, read_book):
    buyer = defi_traders[0]
    fill = defi_orders.fill(buyer, size=3 * ONE, internal_size=ONE, internal_price=PRICE, amm_size=2 * ONE, fee_bps=10)
    before = read_book(trader=buyer.address)

    defi_orders.settle([fill])

    delta = read_book(trader=buyer.address) - before
    internal, internal_fee = 2_000_000_000, 2_000_000  # 10 bps of 2000 USD
    amm_cost, amm_fee = 4_020_076_261, 4_020_077  # 10 bps of 4020.076261 USD, rounded up
    assert delta.cash == {
        "trader": -(internal + internal_fee + amm_cost + amm_fee),
        "desk": internal,
        "amm": amm_cost,
        "fees": internal_fee + amm_fee,
    }
    assert delta.position == {"trader": 3 * ONE, "desk": -ONE, "amm": -2 * ONE, "fees": 0}
    assert delta.reserves == (-2 * ONE, amm_cost)
    assert delta.vault_tokens == 0
    assert sum(delta.cash.values()) == 0


def test_settle_books_a_sell_split_between_the_desk_and_the_amm(defi_system, defi_traders, defi_orders, read_book):
    seller = defi_traders[1]
    fill = defi_orders.fill(
        seller, is_buy=False, size=3 * ONE, internal_size=ONE, internal_price=PRICE, amm_size=2 * ONE, fee_bps=10
    )
    before = read_book(trader=seller.address)

    defi_orders.settle([fill])

    delta = read_book(trader=seller.address) - before
    internal, internal_fee = 2_000_000_000, 2_000_000
    amm_proceeds, amm_fee = 3_980_063_752, 3_980_064  # 10 bps of 3980.063752 USD, rounded up
    assert delta.cash == {
        "trader": internal - internal_fee + amm_proceeds - amm_fee,
        "desk": -internal,
        "amm": -amm_proceeds,
        "fees": internal_fee + amm_fee,
    }
    assert delta.position == {"trader": -3 * ONE, "desk": ONE, "amm": 2 * ONE, "fees": 0}
    assert delta.reserves == (2 * ONE, -amm_proceeds)
    assert delta.vault_tokens == 0
    assert sum(delta.cash.values()) == 0


def test_an_amm_only_fill_leaves_the_desk_untouched(defi_system, defi_traders, defi_orders, read_book):
    buyer = defi_traders[0]
    fill = defi_orders.fill(buyer, size=2 * ONE, internal_size=0, amm_size=2 * ONE)
    before = read_book(trader=buyer.address)

    defi_orders.settle([fill])

    delta = read_book(trader=buyer.address) - before
    assert delta.cash == {"trader": -4_020_076_261, "desk": 0, "amm": 4_020_076_261, "fees": 0}
    assert delta.position == {"trader": 2 * ONE, "desk": 0, "amm": -2 * ONE, "fees": 0}
    assert delta.vault_tokens == 0


def test_amm_legs_in_one_batch_trade_one_after_another_on_the_moving_pool(
    defi_system, defi_traders, defi_orders, read_book
):
    first, second = defi_traders[0], defi_traders[1]
    fills = [
        defi_orders.fill(first, size=ONE, internal_size=0, amm_size=ONE),
        defi_orders.fill(second, size=ONE, internal_size=0, amm_size=ONE),
    ]
    before = read_book(first=first.address, second=second.address)

    defi_orders.settle(fills)

    delta = read_book(first=first.address, second=second.address) - before
    first_cost = get_amount_in(ONE, QUOTE, BASE, POOL_FEE)
    second_cost = get_amount_in(ONE, QUOTE + first_cost, BASE - ONE, POOL_FEE)
    assert (first_cost, second_cost) == (2_008_026_081, 2_012_056_235)
    assert delta.cash["first"] == -first_cost
    assert delta.cash["second"] == -second_cost
    assert delta.reserves == (-2 * ONE, first_cost + second_cost)
