"""Matching and routing: netting first, inventory within the risk room, the rest to the AMM or resting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from defi_int.keeper.matching import Candidate, MarketBook, allocate, plan_market
from defi_int.keeper.pricing import PricingParams
from defi_int.market.amm import Pool
from defi_int.types import ONE

SCALE = 10**30
MARK = 2_000 * ONE
PARAMS = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, SCALE)


def pool() -> Pool:
    base = 1_000 * ONE
    return Pool(base, base * MARK // SCALE, 30)


def book(inventory: int = 0, risk_limit: int = 10 * ONE, mark: int | None = MARK) -> MarketBook:
    return MarketBook(mark, inventory, risk_limit, pool())


def buy(
    key: int, units: float, limit: int = MARK * 101 // 100, allow_amm: bool = True, toxic: bool = False
) -> Candidate:
    return Candidate(key, True, int(units * ONE), limit, allow_amm, toxic)


def sell(
    key: int, units: float, limit: int = MARK * 99 // 100, allow_amm: bool = True, toxic: bool = False
) -> Candidate:
    return Candidate(key, False, int(units * ONE), limit, allow_amm, toxic)


def test_opposing_orders_net_without_moving_the_desk_even_past_its_room() -> None:
    sizes = allocate([buy(0, 30), sell(1, 30)], inventory=0, risk_limit=ONE)
    assert sizes == {0: 30 * ONE, 1: 30 * ONE}


def test_the_excess_side_is_filled_from_inventory_up_to_the_room() -> None:
    sizes = allocate([buy(0, 4), buy(1, 4), sell(2, 2)], inventory=0, risk_limit=5 * ONE)
    # The desk sells 8 and buys 2: a net short of 6 exceeds the room of 5, so one unit is left.
    assert sizes == {0: 4 * ONE, 1: 3 * ONE, 2: 2 * ONE}


def test_a_long_desk_can_sell_more_than_its_limit_to_buyers() -> None:
    sizes = allocate([buy(0, 12)], inventory=5 * ONE, risk_limit=5 * ONE)
    assert sizes == {0: 10 * ONE}


def test_earlier_orders_are_served_first() -> None:
    sizes = allocate([buy(7, 3), buy(2, 3)], inventory=0, risk_limit=4 * ONE)
    assert sizes == {2: 3 * ONE, 7: ONE}


def test_the_remainder_goes_to_the_amm_when_allowed() -> None:
    legs, _ = plan_market([buy(0, 15)], book(risk_limit=10 * ONE), PARAMS)
    (leg,) = legs
    assert (leg.internal, leg.amm) == (10 * ONE, 5 * ONE)
    assert leg.amm_quote > 0


def test_the_remainder_rests_when_the_order_does_not_allow_the_amm() -> None:
    legs, _ = plan_market([buy(0, 15, allow_amm=False)], book(risk_limit=10 * ONE), PARAMS)
    (leg,) = legs
    assert (leg.internal, leg.amm) == (10 * ONE, 0)


def test_the_remainder_rests_when_the_amm_would_break_the_limit() -> None:
    legs, _ = plan_market([buy(0, 15, limit=MARK * 1_0006 // 10_000)], book(risk_limit=10 * ONE), PARAMS)
    (leg,) = legs
    assert (leg.internal, leg.amm) == (10 * ONE, 0)


def test_toxic_flow_is_routed_out() -> None:
    legs, _ = plan_market([buy(0, 2, toxic=True)], book(), PARAMS)
    (leg,) = legs
    assert (leg.internal, leg.amm) == (0, 2 * ONE)


def test_nothing_is_internalized_without_a_fresh_oracle() -> None:
    legs, _ = plan_market([buy(0, 2), sell(1, 2)], book(mark=None), PARAMS)
    assert all(leg.internal == 0 for leg in legs)


def test_an_order_whose_limit_the_desk_cannot_meet_is_not_internalized() -> None:
    legs, _ = plan_market([buy(0, 1, limit=MARK)], book(), PARAMS)  # the desk asks above the oracle
    assert legs == [] or all(leg.internal == 0 for leg in legs)


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
    cands = [
        Candidate(i, is_buy, size, MARK * (10_000 + off) // 10_000, allow, toxic)
        for i, (is_buy, size, off, allow, toxic) in enumerate(orders)
    ]
    start = Pool(1_000 * ONE, 1_000 * ONE * MARK * (10_000 + amm_offset) // 10_000 // SCALE, 30)
    mirror = Pool(start.base, start.quote, start.fee_bps)
    legs, after = plan_market(cands, MarketBook(MARK, inventory, risk_limit, start), PARAMS)
    by_key = {c.key: c for c in cands}
    assert [leg.key for leg in legs] == sorted(leg.key for leg in legs)
    desk_change = 0
    for leg in legs:
        c = by_key[leg.key]
        assert 0 < leg.amount <= c.size
        if leg.internal:
            assert not c.toxic
            assert leg.price <= c.limit_price if c.is_buy else leg.price >= c.limit_price
            desk_change += -leg.internal if c.is_buy else leg.internal
        if leg.amm:
            assert c.allow_amm
            quote = mirror.swap(c.is_buy, leg.amm)  # the AMM legs replay in batch order
            assert quote == leg.amm_quote
            assert quote * SCALE <= leg.amm * c.limit_price if c.is_buy else quote * SCALE >= leg.amm * c.limit_price
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
    cands = [Candidate(i, is_buy, size, 0, False) for i, (is_buy, size) in enumerate(sides)]
    sizes = allocate(cands, inventory, risk_limit)
    bought = sum(sizes.get(c.key, 0) for c in cands if c.is_buy)
    sold = sum(sizes.get(c.key, 0) for c in cands if not c.is_buy)
    buys = sum(c.size for c in cands if c.is_buy)
    sells = sum(c.size for c in cands if not c.is_buy)
    netted = min(buys, sells)
    assert min(bought, sold) >= netted  # opposing flow is netted in full
    assert all(0 <= sizes.get(c.key, 0) <= c.size for c in cands)
    # Beyond the netted part, the desk's move stays within its room on each side.
    assert bought - sold <= max(0, risk_limit + inventory)
    assert sold - bought <= max(0, risk_limit - inventory)
