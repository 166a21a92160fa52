"""The liquidator's watch judges as the ledger mirror does, and a clear account's band keeps it clear.

``MarginWatch.candidates`` must choose every account ``Ledger.is_liquidatable`` calls liquidatable
(and more: those within its margin of maintenance), skip accounts of a stale market (which cannot
be liquidated), and never skip an account that came near maintenance because a market moved inside
the band an earlier judgement gave it. The scenario-wide check against a full scan of the chain is
tests/integration/test_liquidator_watch_agrees_with_a_full_scan.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from defi_int.keeper.watch import MarginWatch
from defi_int.market.funding import Funding, mark_of
from defi_int.market.ledger import Env, Ledger
from defi_int.orders.eip712 import Domain
from defi_int.orders.validation import BatchView
from defi_int.types import BPS, ONE

SCALE = 10**30  # 1e18 size x 1e18 price / 1e30 = collateral units (6 decimals)
DESK, FEES, AMM = "0x" + "d" * 40, "0x" + "f" * 40, "0x" + "a" * 40
TRADER = "0x" + "1" * 40
MARKETS = (0, 1)
UNIT = 2 * 10**12


def ledger_with(cash: int, positions: dict[int, int], marks: dict[int, int], funding: dict[int, Funding]) -> Ledger:
    ledger = Ledger(SCALE, 1_000, 500, DESK, FEES, AMM, list(MARKETS))
    ledger.cash[TRADER] = cash
    for market, position in positions.items():
        ledger.positions[(TRADER, market)] = position
    for market, mark in marks.items():
        ledger.marks[(TRADER, market)] = mark
    ledger.funding.update(funding)
    return ledger


def view_of(ledger: Ledger, prices: dict[int, int], now: int) -> BatchView:
    return BatchView(Domain(1, "0x" + "5" * 40), now, SCALE, 500, ledger, prices, {}, DESK, AMM)


positions = st.dictionaries(
    st.sampled_from(MARKETS), st.integers(-50 * ONE, 50 * ONE).filter(bool), min_size=1, max_size=2
)
prices = st.integers(1_000 * ONE, 3_000 * ONE)
premiums = st.integers(-20 * ONE, 20 * ONE)


@settings(max_examples=400, deadline=None)
@given(
    held=positions,
    first=st.tuples(prices, prices),
    health=st.integers(50, 400),  # the account's equity at the start, in % of its maintenance margin
    moves=st.lists(
        st.tuples(st.integers(-600, 600), st.integers(-600, 600), st.sampled_from((0, 0, 12, 600, 7_200))), max_size=12
    ),
    premium=premiums,
)
def test_the_watch_chooses_every_account_the_ledger_would_liquidate(held, first, health, moves, premium):
    funding = {m: Funding(28_800, 100, UNIT, 10**21, premium, 0) for m in MARKETS}
    marks = {m: mark_of(funding[m].index, UNIT) for m in held}
    quotes = dict(zip(MARKETS, first, strict=True))
    ledger = ledger_with(0, held, marks, funding)
    value, required = ledger.margin_state(TRADER, Env(0, quotes), ledger.maintenance_margin_bps)
    ledger.cash[TRADER] = required * health // 100 - value
    watch = MarginWatch()
    watch.learn(ledger, [TRADER])
    now = 0
    for up, down, later in [(0, 0, 0), *moves]:
        now += later
        quotes = {0: quotes[0] * (BPS + up) // BPS, 1: quotes[1] * (BPS + down) // BPS}
        chosen = watch.candidates([TRADER], view_of(ledger, quotes, now))
        value, required = ledger.margin_state(TRADER, Env(now, quotes), ledger.maintenance_margin_bps)
        near = value * BPS < required * (BPS + watch.margin_bps)
        assert chosen == ([TRADER] if near else [])
        assert chosen or not ledger.is_liquidatable(TRADER, Env(now, quotes))


def test_an_account_in_a_stale_market_is_not_read_and_one_never_read_is():
    ledger = ledger_with(-1_950 * 10**6, {0: ONE}, {}, {})  # 50 tokens against 100 of maintenance at 2,000
    watch = MarginWatch()
    watch.learn(ledger, [TRADER])

    assert watch.candidates([TRADER], view_of(ledger, {}, 1)) == []  # market 0 is stale: it cannot be valued
    assert watch.candidates([TRADER], view_of(ledger, {0: 2_000 * ONE}, 1)) == [TRADER]
    assert watch.candidates(["0x" + "2" * 40, TRADER, TRADER], view_of(ledger, {}, 1)) == ["0x" + "2" * 40]
    watch.touched(TRADER)
    assert watch.book(TRADER) is None
    assert watch.unknown([TRADER, TRADER]) == [TRADER]
