"""The oracle band: an internal price may sit at most maxDeviationBps from the oracle (inclusive),
and the oracle must be fresh. Sizes of 10 base keep the AMM's quote (about 2026 / 1974 USD on
average) outside the 1980..2020 band, so only the band decides."""

from defi_int.types import ONE

MARK = 2_000 * ONE
BAND = MARK * 100 // 10_000  # the deployed 100 bps: 20 USD
SIZE = 10 * ONE


def _position(defi_system, trader):
    return defi_system.chain.call(defi_system.vault.functions.position(trader.address, 0))


def test_settle_accepts_a_buy_at_the_top_of_the_band(defi_system, defi_traders, defi_orders):
    buyer = defi_traders[0]
    defi_orders.settle([defi_orders.fill(buyer, size=SIZE, internal_price=MARK + BAND)])
    assert _position(defi_system, buyer) == SIZE


def test_settle_rejects_a_price_one_unit_above_the_band(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0], size=SIZE, internal_price=MARK + BAND + 1)

    expect_rejection(
        fill,
        "PriceOutsideBand",
        digest=defi_orders.digest(fill.order),
        price=MARK + BAND + 1,
        mark=MARK,
        maxDeviationBps=100,
    )


def test_settle_accepts_a_sell_at_the_bottom_of_the_band(defi_system, defi_traders, defi_orders):
    seller = defi_traders[1]
    defi_orders.settle([defi_orders.fill(seller, is_buy=False, size=SIZE, internal_price=MARK - BAND)])
    assert _position(defi_system, seller) == -SIZE


def test_settle_rejects_a_price_one_unit_below_the_band(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[1], is_buy=False, size=SIZE, internal_price=MARK - BAND - 1)

    expect_rejection(fill, "PriceOutsideBand", price=MARK - BAND - 1, mark=MARK, maxDeviationBps=100)


def test_a_zero_band_admits_only_the_oracle_price(defi_system, defi_traders, defi_orders, expect_rejection):
    settlement = defi_system.settlement
    defi_system.chain.transact(defi_system.owner, settlement.functions.setMaxDeviationBps(0), gas=100_000)
    buyer = defi_traders[0]

    expect_rejection(defi_orders.fill(buyer, internal_price=MARK + 1), "PriceOutsideBand", maxDeviationBps=0)
    defi_orders.settle([defi_orders.fill(buyer, internal_price=MARK)])
    assert _position(defi_system, buyer) == ONE


def test_settle_rejects_an_internal_leg_when_the_oracle_is_stale(
    defi_system, defi_traders, defi_orders, expect_rejection
):
    chain, oracle = defi_system.chain, defi_system.oracle
    _, updated_at = chain.call(oracle.functions.latest(0))
    max_age = chain.call(oracle.functions.maxAge())
    fill = defi_orders.fill(defi_traders[0], expiry=updated_at + 2 * max_age)
    chain.set_next_block_timestamp(updated_at + max_age + 1)

    expect_rejection(
        fill,
        "StalePrice",
        now=updated_at + max_age + 1,
        replay_in_mined_block=True,
        market=0,
        updatedAt=updated_at,
        now_=updated_at + max_age + 1,
        maxAge=max_age,
    )
