"""The priced decision: internalize when the expected markout pays for the inventory risk, widen the
quote by the shortfall while the AMM still costs the trader more, otherwise route or rest; the score
caps how much of a likely-toxic order the desk takes."""

from __future__ import annotations

import pytest

from defi_int.keeper.book import BookEntry
from defi_int.keeper.matching import MarketBook, plan_market
from defi_int.keeper.policy import PolicyParams, decide
from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.toxicity.models import Prediction
from defi_int.keeper.trace import Action
from defi_int.market.amm import Pool
from defi_int.orders.model import Order
from defi_int.orders.rules import amm_reference, average_price
from defi_int.reasons import Reason
from defi_int.types import ONE

SCALE = 10**30
MARK = 2_000 * ONE
PARAMS = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, SCALE)
POOL = Pool(1_000 * ONE, 1_000 * ONE * MARK // SCALE, 30)  # the AMM charges ~30 bps and some impact
QUOTE = MARK * 10_005 // 10_000  # the desk's quote for a buy: 5 bps over the mark


def strict(**thresholds: float) -> PolicyParams:
    """A policy stricter than the tuned defaults (no loss accepted, 25 bps of widening, a cap from
    0.5), so that every branch of the decision is reached; ``thresholds`` replace its values."""
    return PolicyParams(**{"edge_bps": 0.0, "max_widen_bps": 25.0, "cap_from": 0.5, **thresholds})


def verdict(
    p: float,
    markout: float,
    *,
    size: int = ONE,
    policy: PolicyParams | None = None,
    inventory: int = 0,
    limit: int | None = None,
    move: float | None = None,
):
    return decide(
        "logistic", Prediction(p, markout, expected_move_bps=move), is_buy=True, remaining=size, mark=MARK,
        inventory=inventory, quote=QUOTE, amm_reference=amm_reference(POOL, True, size), params=PARAMS,
        policy=policy or strict(), limit=limit,
    )  # fmt: skip


def test_flow_expected_to_pay_is_internalized_whole_at_the_quote():
    v = verdict(0.2, 6.0)
    assert (v.cap, v.widen_bps, v.reason) == (ONE, 0.0, None)
    assert v.decision.ev_internal_bps > 0 and v.decision.spread_bps == pytest.approx(5.0)


def test_a_shortfall_the_amm_leaves_room_for_is_priced_into_the_quote():
    v = verdict(0.4, -8.0)
    assert v.cap == ONE and v.reason is None
    assert v.widen_bps == pytest.approx(8.0 + v.decision.risk_bps)
    amm_price = average_price(amm_reference(POOL, True, ONE), ONE, SCALE, is_buy=True)
    assert v.decision.route_cost_bps == pytest.approx((amm_price - MARK) * 10_000 / MARK)


def test_a_shortfall_beyond_the_amms_price_or_the_desks_widest_is_not_taken_inside():
    beyond = verdict(0.4, -60.0)  # more than the AMM charges for one unit
    assert (beyond.cap, beyond.widen_bps, beyond.reason) == (0, 0.0, Reason.TOXIC)
    narrow = verdict(0.4, -8.0, policy=strict(max_widen_bps=5.0))
    assert (narrow.cap, narrow.reason) == (0, Reason.TOXIC)


def test_the_widening_stops_at_the_orders_limit_and_the_edge_judges_what_is_left():
    limit = QUOTE + MARK * 6 // 10_000  # the trader accepts 6 bps more than the desk's quote
    tolerant = verdict(0.3, -12.0, limit=limit, policy=strict(edge_bps=-15.0))
    assert tolerant.cap == ONE and tolerant.widen_bps == pytest.approx(6.0, abs=1e-6)
    exacting = verdict(0.3, -12.0, limit=limit, policy=strict(edge_bps=-5.0))  # −12 − risk + 6 < −5
    assert (exacting.cap, exacting.widen_bps, exacting.reason) == (0, 0.0, Reason.TOXIC)


def test_the_move_is_priced_at_the_quote_the_desk_decides_at():
    v = verdict(0.3, 99.0, move=-3.0)  # the expected markout at receipt is replaced by spread + move
    assert v.decision.expected_markout_bps == pytest.approx(5.0 - 3.0)


def test_without_a_widening_allowed_the_edge_alone_decides():
    keep = verdict(0.3, -8.0, policy=strict(edge_bps=-10.0, max_widen_bps=0.0))
    drop = verdict(0.3, -8.0, policy=strict(edge_bps=-5.0, max_widen_bps=0.0))
    assert (keep.cap, keep.widen_bps) == (ONE, 0.0) and drop.cap == 0


def test_the_inventory_charge_makes_growing_a_position_cost_and_shedding_it_pay():
    growing = verdict(0.1, 0.0, inventory=-10 * ONE)  # the desk is short; a buy makes it shorter
    shedding = verdict(0.1, 0.0, inventory=10 * ONE)
    assert growing.decision.risk_bps > 0 > shedding.decision.risk_bps
    assert growing.widen_bps > 0 and shedding.widen_bps == 0


@pytest.mark.parametrize("inventory", [-20, -5, 0, 5, 20])
def test_the_inventory_charge_gives_back_the_skew_of_the_desks_own_quote(inventory: int):
    # at the skewed quote, the markout of a trade with no information is the half-spread less the
    # skew on the side that sheds inventory; the charge returns it, so the edge does not depend on q
    k = PARAMS.risk_aversion * PARAMS.variance_per_second * PARAMS.horizon_seconds * 10_000
    skewed_markout = PARAMS.half_spread_bps - inventory * k  # a buy makes the desk sell
    v = verdict(0.1, skewed_markout, inventory=inventory * ONE)
    assert v.decision.ev_internal_bps == pytest.approx(PARAMS.half_spread_bps - k / 2)


def test_the_score_caps_the_share_taken_inside_above_its_threshold():
    assert verdict(0.5, 10.0).cap == ONE
    capped = verdict(0.8, 10.0)  # (1 − 0.8) / (1 − 0.5) = 40 %
    assert capped.cap == pytest.approx(ONE * 0.4, rel=1e-9) and capped.reason is Reason.TOXIC


def entry(seq: int, prediction: Prediction, limit: int = MARK * 101 // 100) -> BookEntry:
    order = Order("0x" + "11" * 20, 0, True, ONE, limit, 2**40, seq, 30, True)
    e = BookEntry(order, b"\x01" * 65, seq.to_bytes(32, "big"), seq)
    e.prediction = prediction
    return e


def test_the_planner_widens_no_further_than_the_limit_and_still_fills():
    book = MarketBook(MARK, 0, 10 * ONE, POOL)
    limit = MARK * 10_009 // 10_000  # 4 bps above the desk's unwidened quote
    tolerant = strict(edge_bps=-10.0)  # the 6 bps left after widening to the limit are accepted
    plan = plan_market(
        [entry(1, Prediction(0.4, -10.0), limit=limit)], book, PARAMS, fee_bps=2, model="logistic", policy=tolerant
    )
    ((fill,), (trace,)) = plan.fills, plan.traces
    assert fill.fill.internal_size == ONE and fill.fill.internal_price == limit
    assert trace.action is Action.WIDEN


def test_the_planner_widens_fills_and_traces_the_decision_never_worse_than_the_amm():
    book = MarketBook(MARK, 0, 10 * ONE, POOL)
    plain = plan_market([entry(1, Prediction(0.1, 8.0))], book, PARAMS, fee_bps=2, model="logistic", policy=strict())
    wide = plan_market([entry(1, Prediction(0.4, -10.0))], book, PARAMS, fee_bps=2, model="logistic", policy=strict())
    (base,), (widened,) = plain.fills, wide.fills
    assert widened.fill.internal_price > base.fill.internal_price
    assert widened.fill.internal_price <= average_price(amm_reference(POOL, True, ONE), ONE, SCALE, is_buy=True)
    (trace,) = wide.traces
    assert trace.action is Action.WIDEN and trace.decision is not None and trace.decision.widen_bps > 10


def test_the_planner_routes_what_it_will_not_take_and_says_toxic():
    book = MarketBook(MARK, 0, 10 * ONE, POOL)
    plan = plan_market(
        [entry(1, Prediction(0.9, -80.0), limit=MARK * 11 // 10)],
        book,
        PARAMS,
        fee_bps=2,
        model="gbdt",
        policy=strict(),
    )
    ((fill,), (trace,)) = plan.fills, plan.traces
    assert (fill.fill.internal_size, fill.fill.amm_size) == (0, ONE)
    assert (trace.action, trace.reason) == (Action.ROUTE, Reason.TOXIC)


def test_without_a_learned_model_predictions_change_nothing():
    book = MarketBook(MARK, 0, 10 * ONE, POOL)
    plan = plan_market([entry(1, Prediction(0.9, -80.0))], book, PARAMS, fee_bps=2, model="none", policy=strict())
    assert plan.fills[0].fill.internal_size == ONE and plan.traces[0].decision is None


def test_the_scores_cap_is_on_the_whole_order_so_a_capped_order_is_not_split_batch_after_batch():
    # p 0.8: at most 40 % of the order from inventory. Its rest cannot go to the AMM, so it rests;
    # at the next batch, what it filled already counts against the cap: no second, smaller leg.
    book = MarketBook(MARK, 0, 10 * ONE, POOL)
    order = Order("0x" + "11" * 20, 0, True, ONE, MARK * 101 // 100, 2**40, 1, 30, False)
    e = BookEntry(order, b"\x01" * 65, (1).to_bytes(32, "big"), 1)
    e.prediction = Prediction(0.8, 10.0)
    first = plan_market([e], book, PARAMS, fee_bps=2, model="gbdt", policy=strict())
    ((fill,), (trace,)) = first.fills, first.traces
    assert fill.fill.internal_size == pytest.approx(ONE * 0.4, rel=1e-9) and fill.fill.amm_size == 0
    assert (trace.action, trace.reason) == (Action.PARTIAL, Reason.TOXIC)
    e.filled = fill.fill.internal_size
    again = plan_market([e], book, PARAMS, fee_bps=2, model="gbdt", policy=strict())
    assert again.fills == [] and again.traces[0].action is Action.REST and again.traces[0].reason is Reason.TOXIC
    assert "filled already" in again.traces[0].detail


def test_below_the_scores_threshold_the_whole_remaining_size_is_offered_exactly():
    remaining = 123_456_789_012_345_679  # not a float: int(remaining * 1.0) would differ
    v = verdict(0.3, 10.0, size=remaining)
    assert (v.cap, v.reason) == (remaining, None)
