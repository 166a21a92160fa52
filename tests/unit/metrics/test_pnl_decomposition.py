"""The desk's PnL splits into spread, inventory, fees, hedging, funding and liquidations that add up to the
total to the unit."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from defi_int.metrics.pnl import PnlPoint, breakdown, cumulative_pnl, value
from defi_int.metrics.records import BookState, DeskEvent, RunResult

ONE = 10**18
USD = 10**6
PRICE_SCALE = 10**30


def _run(start, events, end, price_scale=PRICE_SCALE):
    return RunResult("t", 0, "embedded", {}, price_scale, 6, 12, (1,), desk_events=events, start=start, end=end)


def apply_events(start: BookState, events) -> BookState:
    """The end state the events imply: a ledger independent of the walk under test."""
    cash, fee_cash = start.cash, start.fee_cash
    positions, marks = dict(start.positions), dict(start.marks)
    for event in events:
        if event.kind == "fee":
            fee_cash += event.cash_delta
            continue
        if event.kind == "funding":
            cash += event.cash_delta
            continue
        marks[event.market] = event.price
        if event.kind in ("internal", "hedge", "liquidation"):
            cash += event.cash_delta
            positions[event.market] = positions.get(event.market, 0) + event.base_delta
    return BookState(cash, fee_cash, positions, marks)


def test_a_long_position_is_valued_rounded_down_and_a_short_one_rounded_away_from_zero():
    assert value(1, 10**29 + 1, 10**30) == 0
    assert value(-1, 10**29 + 1, 10**30) == -1
    assert value(-3 * ONE, 2000 * ONE, PRICE_SCALE) == -6000 * USD


def test_the_sample_run_splits_into_the_hand_computed_parts(sample_result):
    pnl = breakdown(sample_result)
    assert (pnl.spread, pnl.inventory, pnl.fees, pnl.hedging) == (1_500_000, -15 * USD, 1_202_625, -500_000)
    assert pnl.total == -12_797_375
    assert pnl.residual == 0


def test_pnl_parts_sum_to_the_total_to_the_unit_on_a_hand_stream():
    start = BookState(0, 0, {0: 0}, {0: 2000 * ONE})
    events = [
        DeskEvent(1, "internal", 0, -ONE, 2001 * USD, 2000 * ONE),  # sold 1 at 2001, mark 2000: +1 spread
        DeskEvent(1, "fee", 0, 0, 600_000, 0),
        DeskEvent(2, "mark", 0, 0, 0, 2010 * ONE),  # short 1 while the mark rises 10: -10 inventory
        DeskEvent(2, "hedge", 0, ONE, -2012 * USD, 2010 * ONE),  # bought back at 2012, mark 2010: -2 hedging
    ]
    end = BookState(-11 * USD, 600_000, {0: 0}, {0: 2010 * ONE})
    pnl = breakdown(_run(start, events, end))
    assert (pnl.spread, pnl.inventory, pnl.fees, pnl.hedging) == (USD, -10 * USD, 600_000, -2 * USD)
    assert pnl.total == -10_400_000
    assert pnl.residual == 0


def test_funding_and_a_liquidation_taken_by_the_desk_are_parts_of_their_own():
    start = BookState(0, 0, {0: -ONE}, {0: 2000 * ONE})
    events = [
        DeskEvent(1, "funding", 0, 0, 3 * USD, 0),  # the short desk received funding
        DeskEvent(1, "liquidation", 0, ONE, -1990 * USD, 1990 * ONE),  # took a closed long at the oracle
        DeskEvent(2, "funding", 0, 0, -1, 0),
    ]
    end = BookState(-1987 * USD - 1, 0, {0: 0}, {0: 1990 * ONE})
    pnl = breakdown(_run(start, events, end))
    assert (pnl.funding, pnl.liquidations, pnl.inventory) == (3 * USD - 1, 0, 10 * USD)
    assert pnl.total == 13 * USD - 1
    assert pnl.residual == 0
    assert cumulative_pnl(_run(start, events, end))[-1] == PnlPoint(2, 0, 10 * USD, 0, 0, 3 * USD - 1, 0)


def test_a_trade_priced_off_the_current_mark_books_the_mark_move_into_inventory_first():
    start = BookState(0, 0, {0: -ONE}, {0: 2000 * ONE})
    events = [DeskEvent(1, "internal", 0, ONE, -2004 * USD, 2005 * ONE)]  # the oracle moved to 2005 unannounced
    end = BookState(-2004 * USD, 0, {0: 0}, {0: 2005 * ONE})
    pnl = breakdown(_run(start, events, end))
    assert pnl.inventory == -5 * USD
    assert pnl.spread == USD
    assert pnl.total == -4 * USD
    assert pnl.residual == 0


def test_a_missing_event_shows_up_as_a_residual(sample_result):
    sample_result.desk_events = [e for e in sample_result.desk_events if not (e.kind == "fee" and e.step == 2)]
    assert breakdown(sample_result).residual == 301_350 + 300_975


def test_cumulative_pnl_holds_the_running_parts_at_the_end_of_every_step(sample_result):
    points = cumulative_pnl(sample_result)
    assert [p.step for p in points] == [0, 1, 2, 3, 4, 5]
    assert points[0] == PnlPoint(0, 0, 0, 0, 0)
    assert points[1] == PnlPoint(1, USD, 0, 600_300, 0)
    assert points[2] == PnlPoint(2, 1_500_000, -10 * USD, 1_202_625, 0)
    assert points[4] == points[3]._replace(step=4)
    final = breakdown(sample_result)
    assert points[-1][1:] == tuple(final.parts().values())


MARKETS = st.sampled_from([0, 1, 2])
PRICES = st.integers(min_value=0, max_value=10**24)
SIZES = st.integers(min_value=-(10**22), max_value=10**22)
CASH = st.integers(min_value=-(10**12), max_value=10**12)
EVENTS = st.one_of(
    st.builds(DeskEvent, st.just(0), st.just("mark"), MARKETS, st.just(0), st.just(0), PRICES),
    st.builds(
        DeskEvent, st.just(0), st.sampled_from(["internal", "hedge", "liquidation"]), MARKETS, SIZES, CASH, PRICES
    ),
    st.builds(DeskEvent, st.just(0), st.just("fee"), MARKETS, st.just(0), st.integers(0, 10**9), st.just(0)),
    st.builds(DeskEvent, st.just(0), st.just("funding"), MARKETS, st.just(0), CASH, st.just(0)),
)


@given(
    positions=st.dictionaries(MARKETS, SIZES),
    marks=st.dictionaries(MARKETS, PRICES),
    cash=CASH,
    fee_cash=st.integers(0, 10**9),
    events=st.lists(EVENTS, max_size=30),
    price_scale=st.sampled_from([10**30, 10**24, 10**18, 7 * 10**29]),
)
def test_pnl_parts_sum_to_the_total_to_the_unit_for_any_complete_event_stream(
    positions, marks, cash, fee_cash, events, price_scale
):
    events = [replace(event, step=i) for i, event in enumerate(events)]
    start = BookState(cash, fee_cash, positions, marks)
    end = apply_events(start, events)
    result = _run(start, events, end, price_scale)
    pnl = breakdown(result)
    assert pnl.residual == 0
    assert sum(pnl.parts().values()) == pnl.total
    last = cumulative_pnl(result)[-1:] or [PnlPoint(0, 0, 0, 0, 0)]
    assert last[0][1:] == tuple(pnl.parts().values())
