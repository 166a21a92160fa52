"""The counterfactual re-match: a batch planned again in reverse arrival order, and without the skew."""

from __future__ import annotations

import dataclasses

from test_matching import MARK, PARAMS, book, buy, sell

from defi_int.keeper import matching
from defi_int.keeper.audit import rematch
from defi_int.keeper.matching import MarketBook, plan_market
from defi_int.types import ONE


def _actual(entries, market: MarketBook):
    planned = plan_market(entries, market, PARAMS, fee_bps=2)
    return {t.digest: t for t in planned.traces}


def test_reversing_the_arrival_order_moves_the_inventory_room_from_the_first_buyer_to_the_last() -> None:
    entries = [buy(0, 3, allow_amm=False), buy(1, 3, allow_amm=False)]
    market = book(risk_limit=4 * ONE)
    changed = rematch(entries, market, PARAMS, fee_bps=2, actual=_actual(entries, market), step=7, block=70)
    assert [(c.variant, c.digest[-1], c.internal, c.cf_internal) for c in changed] == [
        ("permuted", 0, 3 * ONE, ONE),
        ("permuted", 1, ONE, 3 * ONE),
    ]
    assert {(c.step, c.block, c.mark, c.is_buy) for c in changed} == {(7, 70, MARK, True)}


def test_a_long_desk_without_its_skew_quotes_buyers_higher() -> None:
    entries = [buy(0, 1)]
    market = book(inventory=5 * ONE)
    (changed,) = rematch(entries, market, PARAMS, fee_bps=2, actual=_actual(entries, market))
    assert changed.variant == "no_skew"
    assert changed.internal == changed.cf_internal == ONE
    assert changed.internal_price < changed.cf_internal_price  # the skew lowered the long desk's offer


def test_nothing_is_recorded_when_no_variant_changes_a_leg() -> None:
    entries = [buy(0, 1), sell(1, 1)]
    market = book()
    assert rematch(entries, market, PARAMS, fee_bps=2, actual=_actual(entries, market)) == []


def test_a_market_the_gate_closed_is_not_rematched() -> None:
    from defi_int.keeper.matching import Closure, Gate
    from defi_int.reasons import Reason

    entries = [buy(0, 3), buy(1, 3)]
    closed = dataclasses.replace(book(inventory=ONE), gate=Gate(market=Closure(Reason.STALE_ORACLE, "stale")))
    assert rematch(entries, closed, PARAMS, fee_bps=2, actual=_actual(entries, closed)) == []


def test_the_skew_flag_changes_the_price_and_never_the_room() -> None:
    flat = dataclasses.replace(book(inventory=9 * ONE), skew=False)
    assert flat.priced_inventory == 0 and flat.inventory == 9 * ONE
    # A long desk of 9 with a room of 10 may sell 19 to buyers whatever the pricing.
    (fill,) = plan_market([buy(0, 25, allow_amm=False)], flat, PARAMS, fee_bps=2).fills
    assert fill.fill.internal_size == 19 * ONE


def test_every_batch_of_the_keeper_records_its_rematch_unless_switched_off(make_world) -> None:
    from mirror_world import TRADERS

    for audit, expected in ((True, 2), (False, 0)):
        world = make_world(risk_limits={0: 4 * ONE}, counterfactual_audit=audit)
        world.submit(TRADERS[0], is_buy=True, size=3 * ONE, allow_amm=False)
        world.submit(TRADERS[1], is_buy=True, size=3 * ONE, allow_amm=False)
        outcome = world.keeper.step(3)
        assert len(outcome.counterfactuals) == expected
        assert all(c.step == 3 and c.variant == "permuted" for c in outcome.counterfactuals)


def test_the_permuted_rematch_on_the_plans_own_looks_finds_what_looking_again_finds(monkeypatch) -> None:
    entries = [buy(0, 3, allow_amm=False), sell(1, 1), buy(2, 3, allow_amm=False)]
    market = book(inventory=-ONE, risk_limit=4 * ONE)  # the two buyers contend for the room, and a skew
    looks: dict = {}
    planned = plan_market(entries, market, PARAMS, fee_bps=2, looks=looks)
    actual = {t.digest: t for t in planned.traces}
    assert set(looks) == {e.digest for e in entries}
    looked = []
    real_look = matching._look
    monkeypatch.setattr(matching, "_look", lambda entry, *rest: looked.append(entry) or real_look(entry, *rest))
    again = rematch(entries, market, PARAMS, fee_bps=2, actual=actual)
    assert len(looked) == 2 * len(entries)  # permuted and no_skew each look at every order
    looked.clear()
    reused = rematch(entries, market, PARAMS, fee_bps=2, actual=actual, looks=looks)
    assert len(looked) == len(entries)  # no_skew only: permuted took the plan's looks
    assert reused == again and {c.variant for c in again} == {"permuted", "no_skew"}
