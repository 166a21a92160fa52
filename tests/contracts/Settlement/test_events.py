"""OrderFilled: one event per fill, in batch order, carrying both legs and the total fee; the
source of truth the keeper reconciles from. Market and side are the signed order's, found by digest."""

from web3.logs import DISCARD

from defi_int.types import ONE


def test_order_filled_carries_both_legs_and_the_fee_of_both(defi_system, defi_traders, defi_orders):
    buyer = defi_traders[0]
    fill = defi_orders.fill(
        buyer, size=3 * ONE, internal_size=ONE, internal_price=2_000 * ONE, amm_size=2 * ONE, fee_bps=10
    )

    receipt = defi_orders.settle([fill])

    (event,) = defi_system.settlement.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert event.address == defi_system.settlement.address
    assert dict(event.args) == {
        "digest": defi_orders.digest(fill.order),
        "trader": buyer.address,
        "internalSize": ONE,
        "internalPrice": 2_000 * ONE,
        "ammSize": 2 * ONE,
        "ammQuote": 4_020_076_261,
        "fee": 2_000_000 + 4_020_077,
    }


def test_order_filled_is_emitted_per_fill_in_batch_order(defi_system, defi_traders, defi_orders):
    buyer, seller = defi_traders[0], defi_traders[1]
    fills = [
        defi_orders.fill(buyer, internal_price=2_000 * ONE),
        defi_orders.fill(seller, is_buy=False, size=2 * ONE, internal_size=0, internal_price=0, amm_size=2 * ONE),
    ]

    receipt = defi_orders.settle(fills)

    events = defi_system.settlement.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert [(e.args.digest, e.args.trader) for e in events] == [
        (defi_orders.digest(fills[0].order), buyer.address),
        (defi_orders.digest(fills[1].order), seller.address),
    ]
    assert [
        (e.args.internalSize, e.args.internalPrice, e.args.ammSize, e.args.ammQuote, e.args.fee) for e in events
    ] == [
        (ONE, 2_000 * ONE, 0, 0, 0),
        (0, 0, 2 * ONE, 3_980_063_752, 0),
    ]


def test_order_filled_reports_no_internal_price_for_a_fill_routed_wholly_to_the_amm(
    defi_orders, defi_traders, defi_system
):
    seller = defi_traders[1]
    fill = defi_orders.fill(seller, is_buy=False, size=ONE, internal_size=0, internal_price=1_999 * ONE, amm_size=ONE)

    receipt = defi_orders.settle([fill])

    (event,) = defi_system.settlement.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert (event.args.internalSize, event.args.internalPrice, event.args.ammSize) == (0, 0, ONE)
