"""The limit price: an internal price exactly at the limit settles, one unit (1e-18 USD) worse
reverts with LimitPriceExceeded. The AMM leg is held to the limit on its average price: its quote
may not pass size x limit (rounded down for a buyer, up for a seller), else AmmLimitExceeded."""

from defi_int.types import ONE

BUY_LIMIT = 2_001 * ONE
SELL_LIMIT = 1_999 * ONE
DESK_CASH = 2_000_000 * 10**6  # the deployed desk capital, in collateral units
# AMM leg of 2 base on the deployed pool: what it costs to buy, what selling pays.
AMM_SIZE = 2 * ONE
AMM_COST, AMM_PROCEEDS = 4_020_076_261, 3_980_063_752
# The limit whose average price is exactly that quote: size * limit / 1e30 == quote.
AMM_BUY_LIMIT = AMM_COST * 10**30 // AMM_SIZE
AMM_SELL_LIMIT = AMM_PROCEEDS * 10**30 // AMM_SIZE


def _position(defi_system, trader):
    return defi_system.chain.call(defi_system.vault.functions.position(trader.address, 0))


def test_settle_accepts_an_internal_price_exactly_at_a_buyers_limit(defi_system, defi_traders, defi_orders):
    buyer = defi_traders[0]
    defi_orders.settle([defi_orders.fill(buyer, limit_price=BUY_LIMIT, internal_price=BUY_LIMIT)])
    assert _position(defi_system, buyer) == ONE
    assert defi_system.chain.call(defi_system.vault.functions.cash(defi_system.desk)) == DESK_CASH + 2_001_000_000


def test_settle_rejects_an_internal_price_one_unit_above_a_buyers_limit(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0], limit_price=BUY_LIMIT, internal_price=BUY_LIMIT + 1)
    expect_rejection(
        fill, "LimitPriceExceeded", digest=defi_orders.digest(fill.order), price=BUY_LIMIT + 1, limitPrice=BUY_LIMIT
    )


def test_settle_accepts_an_internal_price_exactly_at_a_sellers_limit(defi_system, defi_traders, defi_orders):
    seller = defi_traders[1]
    defi_orders.settle([defi_orders.fill(seller, is_buy=False, limit_price=SELL_LIMIT, internal_price=SELL_LIMIT)])
    assert _position(defi_system, seller) == -ONE
    assert defi_system.chain.call(defi_system.vault.functions.cash(defi_system.desk)) == DESK_CASH - 1_999_000_000


def test_settle_rejects_an_internal_price_one_unit_below_a_sellers_limit(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[1], is_buy=False, limit_price=SELL_LIMIT, internal_price=SELL_LIMIT - 1)
    expect_rejection(
        fill, "LimitPriceExceeded", digest=defi_orders.digest(fill.order), price=SELL_LIMIT - 1, limitPrice=SELL_LIMIT
    )


def test_the_amm_limits_below_sit_exactly_on_the_amm_quote():
    assert AMM_SIZE * AMM_BUY_LIMIT == AMM_COST * 10**30
    assert AMM_SIZE * AMM_SELL_LIMIT == AMM_PROCEEDS * 10**30


def test_settle_accepts_an_amm_leg_whose_average_price_is_exactly_a_buyers_limit(
    defi_system, defi_traders, defi_orders, read_book
):
    buyer = defi_traders[0]
    fill = defi_orders.fill(buyer, size=AMM_SIZE, limit_price=AMM_BUY_LIMIT, internal_size=0, amm_size=AMM_SIZE)
    before = read_book(trader=buyer.address)
    defi_orders.settle([fill])
    delta = read_book(trader=buyer.address) - before
    assert delta.cash["trader"] == -AMM_COST
    assert delta.position["trader"] == AMM_SIZE


def test_settle_rejects_an_amm_leg_one_unit_above_a_buyers_average_price_limit(
    defi_traders, defi_orders, expect_rejection
):
    limit = AMM_BUY_LIMIT - 1
    fill = defi_orders.fill(defi_traders[0], size=AMM_SIZE, limit_price=limit, internal_size=0, amm_size=AMM_SIZE)
    expect_rejection(
        fill,
        "AmmLimitExceeded",
        digest=defi_orders.digest(fill.order),
        size=AMM_SIZE,
        quote=AMM_COST,
        limitPrice=limit,
    )


def test_settle_accepts_an_amm_leg_whose_average_price_is_exactly_a_sellers_limit(
    defi_system, defi_traders, defi_orders, read_book
):
    seller = defi_traders[1]
    fill = defi_orders.fill(
        seller, is_buy=False, size=AMM_SIZE, limit_price=AMM_SELL_LIMIT, internal_size=0, amm_size=AMM_SIZE
    )
    before = read_book(trader=seller.address)
    defi_orders.settle([fill])
    delta = read_book(trader=seller.address) - before
    assert delta.cash["trader"] == AMM_PROCEEDS
    assert delta.position["trader"] == -AMM_SIZE


def test_settle_rejects_an_amm_leg_one_unit_below_a_sellers_average_price_limit(
    defi_traders, defi_orders, expect_rejection
):
    limit = AMM_SELL_LIMIT + 1
    fill = defi_orders.fill(
        defi_traders[1], is_buy=False, size=AMM_SIZE, limit_price=limit, internal_size=0, amm_size=AMM_SIZE
    )
    expect_rejection(
        fill,
        "AmmLimitExceeded",
        digest=defi_orders.digest(fill.order),
        size=AMM_SIZE,
        quote=AMM_PROCEEDS,
        limitPrice=limit,
    )


def test_the_internal_leg_at_the_limit_does_not_excuse_an_amm_leg_beyond_it(
    defi_traders, defi_orders, expect_rejection
):
    # 2001 USD is a fine internal price but buying 2 more on the AMM averages 2010.04 USD.
    fill = defi_orders.fill(
        defi_traders[0],
        size=3 * ONE,
        limit_price=BUY_LIMIT,
        internal_size=ONE,
        internal_price=BUY_LIMIT,
        amm_size=AMM_SIZE,
    )
    expect_rejection(fill, "AmmLimitExceeded", size=AMM_SIZE, quote=AMM_COST, limitPrice=BUY_LIMIT)
