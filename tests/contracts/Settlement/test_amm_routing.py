"""Routing to the AMM: only orders that allow it, and an AMM leg is a trade like any other."""

from defi_int.chain.views import batch_view
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE


def test_settle_rejects_an_amm_leg_on_an_order_that_forbids_routing(defi_traders, defi_orders, expect_rejection):
    fill = defi_orders.fill(defi_traders[0], allow_amm=False, size=2 * ONE, internal_size=ONE, amm_size=ONE)

    expect_rejection(fill, "AmmNotAllowed", digest=defi_orders.digest(fill.order))


def test_an_order_that_forbids_routing_still_fills_internally(defi_system, defi_traders, defi_orders, read_book):
    trader = defi_traders[0]
    before = read_book(trader=trader.address)
    defi_orders.settle([defi_orders.fill(trader, allow_amm=False)])
    delta = read_book(trader=trader.address) - before
    assert delta.position == {"trader": ONE, "desk": -ONE, "amm": 0, "fees": 0}
    assert delta.reserves == (0, 0)


def test_a_dust_amm_sell_worth_no_collateral_unit_settles_with_no_fee(defi_system, defi_traders, defi_orders):
    seller = defi_traders[1]
    fill = defi_orders.fill(seller, is_buy=False, size=1, limit_price=0, internal_size=0, amm_size=1, fee_bps=10)
    assert defi_system.chain.call(defi_system.amm.functions.quoteSell(0, 1)) == 0
    assert validate_batch([fill], batch_view(defi_system, [fill.order])).accepted == [fill]

    defi_orders.settle([fill])

    assert defi_system.chain.call(defi_system.vault.functions.position(seller.address, 0)) == -1
