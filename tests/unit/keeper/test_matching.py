"""Matching and routing: netting first, inventory within the risk room, the rest to the AMM or resting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from defi_int.keeper.book import BookEntry
from defi_int.keeper.matching import MarketBook, allocate, plan_market
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.pricing import PricingParams
from defi_int.market.amm import Pool
from defi_int.orders.model import Order
from defi_int.orders.rules import amm_quotes, expected_legs
from defi_int.types import ONE

SCALE = 10**30
MARK = 2_000 * ONE
PARAMS = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, SCALE)
TRADER = "0x" + "11" * 20
TOXIC = "0x" + "22" * 20


def pool() -> Pool:
    base = 1_000 * ONE
    return Pool(base, base * MARK // SCALE, 30)


def book(inventory: int = 0, risk_limit: int = 10 * ONE, mark: int | None = MARK) -> MarketBook:
    return MarketBook(mark, inventory, risk_limit, pool())


def entry(seq: int, is_buy: bool, size: int, limit: int, allow_amm: bool = True, toxic: bool = False) -> BookEntry:
    order = Order(TOXIC if toxic else TRADER, 0, is_buy, size, limit, 2**40, seq, 30, allow_amm)
    return BookEntry(order, b"\x01" * 65, seq.to_bytes(32, "big"), seq)


def buy(seq: int, units: float, limit: int = MARK * 101 // 100, **kw: bool) -> BookEntry:
    return entry(seq, True, int(units * ONE), limit, **kw)


def sell(seq: int, units: float, limit: int = MARK * 99 // 100, **kw: bool) -> BookEntry:
    return entry(seq, False, int(units * ONE), limit, **kw)


def plan(entries: list[BookEntry], market: MarketBook) -> list[PlannedFill]:
    return plan_market(entries, market, PARAMS, fee_bps=2, toxic=lambda trader: trader == TOXIC).fills


def test_opposing_orders_net_without_moving_the_desk_even_past_its_room() -> None:
    assert allocate([(True, 30 * ONE), (False, 30 * ONE)], inventory=0, risk_limit=ONE) == [30 * ONE, 30 * ONE]


def test_the_excess_side_is_filled_from_inventory_up_to_the_room() -> None:
    sizes = allocate([(True, 4 * ONE), (True, 4 * ONE), (False, 2 * ONE)], inventory=0, risk_limit=5 * ONE)
    # The desk sells 8 and buys 2: a net short of 6 exceeds the room of 5, so one unit is left.
    assert sizes == [4 * ONE, 3 * ONE, 2 * ONE]


def test_a_long_desk_can_sell_more_than_its_limit_to_buyers() -> None:
    assert allocate([(True, 12 * ONE)], inventory=5 * ONE, risk_limit=5 * ONE) == [10 * ONE]


def test_earlier_orders_are_served_first() -> None:
    assert allocate([(True, 3 * ONE), (True, 3 * ONE)], inventory=0, risk_limit=4 * ONE) == [3 * ONE, ONE]


def test_the_remainder_goes_to_the_amm_when_allowed() -> None:
    (planned,) = plan([buy(0, 15)], book(risk_limit=10 * ONE))
    assert (planned.fill.internal_size, planned.fill.amm_size) == (10 * ONE, 5 * ONE)
    assert planned.expected.amm_quote == pool().quote_buy(5 * ONE)


def test_the_remainder_rests_when_the_order_does_not_allow_the_amm() -> None:
    (planned,) = plan([buy(0, 15, allow_amm=False)], book(risk_limit=10 * ONE))
    assert (planned.fill.internal_size, planned.fill.amm_size) == (10 * ONE, 0)


def test_the_remainder_rests_when_the_amm_would_break_the_limit() -> None:
    (planned,) = plan([buy(0, 15, limit=MARK * 1_0006 // 10_000)], book(risk_limit=10 * ONE))
    assert (planned.fill.internal_size, planned.fill.amm_size) == (10 * ONE, 0)


def test_toxic_flow_is_routed_out() -> None:
    (planned,) = plan([buy(0, 2, toxic=True)], book())
    assert (planned.fill.internal_size, planned.fill.amm_size) == (0, 2 * ONE)


def test_nothing_is_internalized_without_a_fresh_oracle() -> None:
    assert all(p.fill.internal_size == 0 for p in plan([buy(0, 2), sell(1, 2)], book(mark=None)))


def test_an_order_whose_limit_the_desk_cannot_meet_is_not_internalized() -> None:
    fills = plan([buy(0, 1, limit=MARK)], book())  # the desk asks above the oracle
    assert all(p.fill.internal_size == 0 for p in fills)


def test_the_fee_is_the_desks_capped_by_the_orders_maximum() -> None:
    cheap = Order(TRADER, 0, True, ONE, MARK * 101 // 100, 2**40, 9, 1, True)
    fills = plan_market([BookEntry(cheap, b"\x01" * 65, b"\x09" * 32, 9)], book(), PARAMS, fee_bps=5).fills
    assert fills[0].fill.fee_bps == 1


def test_each_fill_carries_its_digest_from_the_book() -> None:
    entries = [buy(3, 1), sell(4, 1)]
    assert [p.digest for p in plan(entries, book())] == [e.digest for e in entries]


candidates = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(10**15, 40 * ONE),
        st.integers(-150, 150),
        st.booleans(),
        st.booleans(),
    ),
    max_size=12,
)


@given(
    orders=candidates,
    inventory=st.integers(-20 * ONE, 20 * ONE),
    risk_limit=st.integers(0, 30 * ONE),
    amm_offset=st.integers(-80, 80),
)
def test_matching_never_overfills_never_breaks_a_limit_and_netting_conserves_size(
    orders: list[tuple[bool, int, int, bool, bool]], inventory: int, risk_limit: int, amm_offset: int
) -> None:
    entries = [
        entry(i, is_buy, size, MARK * (10_000 + off) // 10_000, allow, toxic)
        for i, (is_buy, size, off, allow, toxic) in enumerate(orders)
    ]
    start = Pool(1_000 * ONE, 1_000 * ONE * MARK * (10_000 + amm_offset) // 10_000 // SCALE, 30)
    mirror = Pool(start.base, start.quote, start.fee_bps)
    planned = plan_market(
        entries, MarketBook(MARK, inventory, risk_limit, start), PARAMS, fee_bps=2, toxic=lambda t: t == TOXIC
    )
    fills, after = planned.fills, planned.pool
    assert [t.digest for t in planned.traces] == [e.digest for e in entries]  # a trace for every order
    assert all(t.reason is None for t in planned.traces if t.internal_size == t.remaining)
    by_digest = {e.digest: e for e in entries}
    assert [p.order.nonce for p in fills] == sorted(p.order.nonce for p in fills)  # batch (arrival) order
    desk_change = 0
    for planned in fills:
        fill, e = planned.fill, by_digest[planned.digest]
        order = e.order
        assert 0 < fill.amount <= e.remaining
        # The legs the plan expects are those the rules derive on the AMM as it stands at this fill.
        assert planned.expected == expected_legs(fill, MARK, amm_quotes(mirror, fill), SCALE)
        if fill.internal_size:
            assert order.trader != TOXIC
            assert (
                fill.internal_price <= order.limit_price if order.is_buy else fill.internal_price >= order.limit_price
            )
            desk_change += -fill.internal_size if order.is_buy else fill.internal_size
        if fill.amm_size:
            assert order.allow_amm
            quote = mirror.swap(order.is_buy, fill.amm_size)  # the AMM legs replay in batch order
            assert quote == planned.expected.amm_quote
            limit = fill.amm_size * order.limit_price
            assert quote * SCALE <= limit if order.is_buy else quote * SCALE >= limit
    assert after is not None and (after.base, after.quote) == (mirror.base, mirror.quote)
    # Netting conserves size: the desk's inventory moves by internal sells minus internal buys, and
    # only within its room (or back toward zero).
    end = inventory + desk_change
    assert abs(end) <= max(risk_limit, abs(inventory))
    if abs(inventory) > risk_limit:
        assert abs(end) <= abs(inventory)


@given(
    sides=st.lists(st.tuples(st.booleans(), st.integers(1, 50 * ONE)), max_size=15),
    inventory=st.integers(-20 * ONE, 20 * ONE),
    risk_limit=st.integers(0, 30 * ONE),
)
def test_netting_fills_the_smaller_side_whole_and_as_much_of_the_larger(
    sides: list[tuple[bool, int]], inventory: int, risk_limit: int
) -> None:
    sizes = allocate(sides, inventory, risk_limit)
    bought = sum(s for s, (is_buy, _) in zip(sizes, sides, strict=True) if is_buy)
    sold = sum(s for s, (is_buy, _) in zip(sizes, sides, strict=True) if not is_buy)
    buys = sum(size for is_buy, size in sides if is_buy)
    sells = sum(size for is_buy, size in sides if not is_buy)
    netted = min(buys, sells)
    assert min(bought, sold) >= netted  # opposing flow is netted in full
    assert all(0 <= s <= size for s, (_, size) in zip(sizes, sides, strict=True))
    # Beyond the netted part, the desk's move stays within its room on each side.
    assert bought - sold <= max(0, risk_limit + inventory)
    assert sold - bought <= max(0, risk_limit - inventory)
