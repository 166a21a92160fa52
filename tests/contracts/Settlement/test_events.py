"""FillsSettled: the fills of each run of one market in one log, in batch order, each entry what the
calldata cannot tell (12 bytes: the funding a fill's internal leg settled; 14: its AMM leg's quote;
26 for a fill with both legs); with the settle
transaction's calldata the source of truth the keeper reconciles from, unpacked by
``fill_events``, whose fees equal what the fee recipient got."""

from web3.logs import DISCARD

from defi_int.chain.views import FUNDING_BYTES, QUOTE_BYTES, fill_events
from defi_int.types import ONE

MARKET_B = 7


def _logs(defi_system, receipt):
    return defi_system.settlement.events.FillsSettled().process_receipt(receipt, errors=DISCARD)


def test_a_fill_with_both_legs_is_logged_in_26_bytes_its_funding_and_its_amm_quote(
    defi_system, defi_traders, defi_orders
):
    buyer = defi_traders[0]
    fill = defi_orders.fill(
        buyer, size=3 * ONE, internal_size=ONE, internal_price=2_000 * ONE, amm_size=2 * ONE, fee_bps=10
    )

    receipt = defi_orders.settle([fill])

    (log,) = _logs(defi_system, receipt)
    assert log.address == defi_system.settlement.address
    # no funding (the market has none), then the AMM leg's quote
    assert log.args.fills == (0).to_bytes(12, "big") + (4_020_076_261).to_bytes(14, "big")


def test_fill_events_unpack_the_log_with_the_fee_the_fee_recipient_received(
    defi_system, defi_traders, defi_orders, read_book
):
    buyer = defi_traders[0]
    fill = defi_orders.fill(
        buyer, size=3 * ONE, internal_size=ONE, internal_price=2_000 * ONE, amm_size=2 * ONE, fee_bps=10
    )
    before = read_book(buyer=buyer.address)

    receipt = defi_orders.settle([fill])

    (event,) = fill_events(defi_system, receipt)
    assert (event.digest, event.trader, event.is_buy, event.fee_bps) == (
        defi_orders.digest(fill.order),
        buyer.address,
        True,
        10,
    )
    assert (event.internal_size, event.internal_price, event.amm_size, event.amm_quote) == (
        ONE,
        2_000 * ONE,
        2 * ONE,
        4_020_076_261,
    )
    assert event.fee == 2_000_000 + 4_020_077 == (read_book(buyer=buyer.address) - before).cash["fees"]
    assert event.funding == 0


def test_a_batch_in_one_market_is_logged_once_in_batch_order(defi_system, defi_traders, defi_orders):
    buyer, seller = defi_traders[0], defi_traders[1]
    fills = [
        defi_orders.fill(buyer, internal_price=2_000 * ONE),
        defi_orders.fill(seller, is_buy=False, size=2 * ONE, internal_size=0, internal_price=0, amm_size=2 * ONE),
    ]

    receipt = defi_orders.settle(fills)

    (log,) = _logs(defi_system, receipt)
    # the internal fill's funding (none: the market has none), then the AMM fill's quote
    assert log.args.fills == (0).to_bytes(FUNDING_BYTES, "big") + (3_980_063_752).to_bytes(QUOTE_BYTES, "big")
    events = fill_events(defi_system, receipt)
    assert [(e.digest, e.trader, e.is_buy) for e in events] == [
        (defi_orders.digest(fills[0].order), buyer.address, True),
        (defi_orders.digest(fills[1].order), seller.address, False),
    ]
    assert [(e.internal_size, e.internal_price, e.amm_size, e.amm_quote, e.fee) for e in events] == [
        (ONE, 2_000 * ONE, 0, 0, 0),
        (0, 0, 2 * ONE, 3_980_063_752, 0),
    ]


def test_a_fill_routed_wholly_to_the_amm_logs_no_internal_leg(defi_orders, defi_traders, defi_system):
    seller = defi_traders[1]
    fill = defi_orders.fill(seller, is_buy=False, size=ONE, internal_size=0, internal_price=1_999 * ONE, amm_size=ONE)

    receipt = defi_orders.settle([fill])

    (event,) = fill_events(defi_system, receipt)
    assert (event.internal_size, event.internal_price, event.amm_size) == (0, 0, ONE)


def test_each_run_of_one_market_is_logged_when_it_is_booked(defi_system, defi_traders, defi_orders):
    s = defi_system
    s.set_price(MARKET_B, 50 * ONE)
    s.chain.transact(s.owner, s.vault.functions.listMarket(MARKET_B, 10 * ONE), gas=150_000)
    s.chain.transact(s.owner, s.amm.functions.initializePool(MARKET_B, 100 * ONE, 5_000 * 10**6, 30), gas=100_000)
    a, b, c = defi_traders[:3]
    fills = [
        defi_orders.fill(a),
        defi_orders.fill(b, market=MARKET_B, internal_price=50 * ONE),
        defi_orders.fill(c),
    ]

    receipt = defi_orders.settle(fills)

    logs = _logs(s, receipt)
    assert [len(log.args.fills) for log in logs] == [FUNDING_BYTES] * 3  # one internal fill each
    assert [e.digest for e in fill_events(s, receipt)] == [defi_orders.digest(f.order) for f in fills]
