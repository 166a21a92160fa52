"""Best execution: the internal leg may not be worse for the trader than what the AMM would give
for the same size at that moment, even inside the oracle band (WorseThanAmm)."""

from defi_int.market.amm import Pool
from defi_int.types import ONE

SCALE = 10**30  # price scale for 6-decimal collateral
AMM_COST_1, AMM_PROCEEDS_1 = 2_008_026_081, 1_992_013_962  # the deployed pool, 1 base


def test_settle_accepts_an_internal_buy_costing_exactly_what_the_amm_would(defi_system, defi_traders, defi_orders):
    buyer = defi_traders[0]
    assert defi_system.chain.call(defi_system.amm.functions.quoteBuy(0, ONE)) == AMM_COST_1
    defi_orders.settle([defi_orders.fill(buyer, internal_price=AMM_COST_1 * SCALE // ONE)])
    assert defi_system.chain.call(defi_system.vault.functions.cash(defi_system.desk)) == 2 * 10**12 + AMM_COST_1


def test_settle_rejects_an_internal_buy_one_unit_dearer_than_the_amm(defi_traders, defi_orders, expect_rejection):
    # Price one 1e-18 step above: the notional rounds up to one collateral unit more than the AMM.
    fill = defi_orders.fill(defi_traders[0], internal_price=AMM_COST_1 * SCALE // ONE + 1)

    expect_rejection(
        fill, "WorseThanAmm", digest=defi_orders.digest(fill.order), notional=AMM_COST_1 + 1, ammQuote=AMM_COST_1
    )


def test_settle_accepts_an_internal_sell_paying_exactly_what_the_amm_would(defi_system, defi_traders, defi_orders):
    seller = defi_traders[1]
    assert defi_system.chain.call(defi_system.amm.functions.quoteSell(0, ONE)) == AMM_PROCEEDS_1
    defi_orders.settle([defi_orders.fill(seller, is_buy=False, internal_price=AMM_PROCEEDS_1 * SCALE // ONE)])
    assert defi_system.chain.call(defi_system.vault.functions.cash(defi_system.desk)) == 2 * 10**12 - AMM_PROCEEDS_1


def test_settle_rejects_an_internal_sell_one_unit_cheaper_than_the_amm(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[1], is_buy=False, internal_price=AMM_PROCEEDS_1 * SCALE // ONE - 1)

    expect_rejection(fill, "WorseThanAmm", notional=AMM_PROCEEDS_1 - 1, ammQuote=AMM_PROCEEDS_1)


def test_a_wide_band_does_not_excuse_a_price_worse_than_the_amm(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    settlement = defi_system.settlement
    defi_system.chain.transact(defi_system.owner, settlement.functions.setMaxDeviationBps(5_000), gas=100_000)
    fill = defi_orders.fill(defi_traders[0], limit_price=3_000 * ONE, internal_price=2_500 * ONE)

    expect_rejection(fill, "WorseThanAmm", notional=2_500_000_000, ammQuote=AMM_COST_1)


def test_settle_rejects_an_oracle_price_once_a_trader_has_pushed_the_amm_below_it(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    chain, amm = defi_system.chain, defi_system.amm
    dumper, buyer = defi_traders[3], defi_traders[0]
    chain.transact(dumper, amm.functions.swap(0, False, 30 * ONE, 0), gas=300_000)
    base, quote = chain.call(amm.functions.reserves(0))
    cost = Pool(base, quote, 30).quote_buy(ONE)
    assert cost == chain.call(amm.functions.quoteBuy(0, ONE)) == 1_892_867_383
    # 2000 USD is inside the band and the limit, but the AMM now sells 1 base for about 1893 USD.
    fill = defi_orders.fill(buyer, internal_price=2_000 * ONE)

    expect_rejection(fill, "WorseThanAmm", notional=2_000_000_000, ammQuote=cost)


def test_best_execution_is_judged_on_the_pool_as_earlier_fills_in_the_batch_leave_it(
    defi_system, defi_traders, defi_orders, read_book
):
    # 2015 USD is dearer than the fresh pool (2008.03) but cheaper than the pool after another
    # order of the batch bought 5 base on it, so it settles when it comes second.
    first, second = defi_traders[0], defi_traders[1]
    fills = [
        defi_orders.fill(first, size=6 * ONE, internal_size=ONE, internal_price=2_000 * ONE, amm_size=5 * ONE),
        defi_orders.fill(second, internal_price=2_015 * ONE),
    ]
    before = read_book(second=second.address)

    defi_orders.settle(fills)

    delta = read_book(second=second.address) - before
    assert delta.cash["second"] == -2_015_000_000
    assert delta.position["second"] == ONE


def test_best_execution_is_not_excused_by_a_later_fill_of_the_batch(defi_traders, defi_orders, expect_rejection):
    first, second = defi_traders[0], defi_traders[1]
    dear = defi_orders.fill(second, internal_price=2_015 * ONE)
    mover = defi_orders.fill(first, size=6 * ONE, internal_size=ONE, internal_price=2_000 * ONE, amm_size=5 * ONE)

    expect_rejection([dear, mover], "WorseThanAmm", culprit=dear, notional=2_015_000_000, ammQuote=AMM_COST_1)
