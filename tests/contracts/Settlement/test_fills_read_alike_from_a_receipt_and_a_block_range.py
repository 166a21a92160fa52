"""One decoder of settled fills (``views.settle_fills``): a settle over several market runs logs one
``FillsSettled`` per run, and its fills read the same from the receipt (``fill_events``, the
keeper's reconcile, the bot's booking) as from a scan of the block range (``fill_events_between``,
the bot's scan and audit): one ``FillEvent`` per fill, in batch order, ``index`` its place in the
batch across the logs."""

from defi_int.chain.views import fill_events, fill_events_between
from defi_int.types import ONE

PRICE_B = 50 * ONE


def test_a_batch_over_three_runs_reads_the_same_from_its_receipt_and_from_a_scan(
    defi_system, defi_traders, defi_orders, market_b
):
    s = defi_system
    a, b, c = defi_traders[:3]
    before = s.chain.block_number()
    fills = [
        defi_orders.fill(a),
        defi_orders.fill(b, market=market_b, internal_price=PRICE_B, is_buy=False, limit_price=PRICE_B * 98 // 100),
        defi_orders.fill(c, amm_size=ONE // 2, size=ONE),
    ]
    receipt = defi_orders.settle(fills)

    from_receipt = fill_events(s, receipt)
    scanned = fill_events_between(s, from_block=before + 1)

    assert from_receipt == scanned
    assert [e.index for e in from_receipt] == [0, 1, 2]
    assert len({e.log_index for e in from_receipt}) == 3  # three runs, three logs
    assert [e.digest for e in from_receipt] == [defi_orders.digest(f.order) for f in fills]
    assert [e.trader for e in from_receipt] == [a.address, b.address, c.address]
    assert [(e.internal_size, e.amm_size) for e in from_receipt] == [(ONE, 0), (ONE, 0), (ONE // 2, ONE // 2)]
    assert all(e.tx_hash == receipt.transaction_hash for e in from_receipt)
