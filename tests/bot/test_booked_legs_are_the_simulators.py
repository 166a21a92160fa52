"""The legs the bot books from a settle's events are the ones ``defi-int run``'s recorder writes for
the same fills: the same ``fills.csv`` columns, to the unit (the keeper's report and the
simulator's are comparable)."""

from __future__ import annotations

import dataclasses

from botkit import KEEPER, account, tx

from defi_int.bot.booking import booked_legs
from defi_int.bot.journal import Journal
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.mirror import MirrorVenue
from defi_int.metrics.records import RunResult
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.sim.recorder import Recorder
from defi_int.types import ONE

COLUMNS = ("order_digest", "trader", "market", "is_buy", "venue", "size", "quote", "price", "limit_price",
           "oracle_price", "amm_mid", "amm_quote", "amm_quote_price", "fee", "gas")  # fmt: skip


def test_booked_legs_equal_the_recorders_for_internal_amm_and_mixed_fills(tmp_path):
    venue = MirrorVenue.new()
    keeper = Keeper(venue, KEEPER)  # risk limit 50: a buy of 60 fills 50 internally, 10 on the AMM
    for i, (is_buy, size, fee) in enumerate(((True, 60 * ONE, 30), (False, 3 * ONE, 30), (True, ONE, 1))):
        trader = account(10 + i)
        venue.deposit(trader.address, 10_000_000 * 10**6)
        limit = 2_100 * ONE if is_buy else 1_900 * ONE
        order = Order(trader.address, 0, is_buy, size, limit, venue.now + 600, i + 1, fee, True)
        keeper.intake(order, sign_order(trader, order, venue.domain), now=venue.now + 1)
    outcome = keeper.step(0)
    result = RunResult("mirror", 0, "mirror", {}, 10**30, 6, 12, (1, 5, 20))
    Recorder(result, {}).batch(outcome)
    receipt = outcome.receipt
    assert receipt is not None

    with Journal(tmp_path / "keeper.sqlite") as journal:
        for planned in outcome.fills:
            journal.add_order(planned.order, planned.fill.signature, planned.digest)
        settle = journal.plan_settle("b1", outcome.fills)
        sides = {p.digest: p.order.is_buy for p in outcome.fills}
        legs = booked_legs(settle, receipt, 10**30, sides)
        journal.sign_settle(settle.id, tx(1))
        journal.mark_mined(settle.id, tx(1).tx_hash, block_number=receipt.block, block_hash=b"\x01" * 32,
                           block_time=receipt.time, status=1, gas_used=receipt.gas_used, legs=legs)  # fmt: skip
        booked = journal.fill_records()

    assert {f.venue for f in result.fills} == {"internal", "amm"} and len(result.fills) == 4
    assert _rows(booked) == _rows(result.fills)


def _rows(fills):
    return sorted(tuple(dataclasses.asdict(f)[c] for c in COLUMNS) for f in fills)
