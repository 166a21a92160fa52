"""Labels: the desk's markout at the horizon, released only once it exists, and never seen early."""

from __future__ import annotations

import pickle
import random

import pytest
from toxicity_world import START, drive, lagging_oracle

from defi_int.keeper.toxicity.labels import LabelQueue, Pending, markout_bps
from defi_int.keeper.toxicity.models import ToxicityConfig
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.orders.model import Order
from defi_int.types import ONE

MARK = 2_000 * ONE
TRADER = "0x" + "ab" * 20


def test_a_desk_that_sold_before_a_rise_has_a_negative_markout() -> None:
    assert markout_bps(False, MARK, MARK * 101 // 100) == pytest.approx(-100.0)
    assert markout_bps(True, MARK, MARK * 101 // 100) == pytest.approx(100.0)


def test_a_label_is_released_exactly_at_its_horizon_with_that_steps_mark() -> None:
    queue = LabelQueue(horizon=2)
    queue.push(Pending(3, 0, False, MARK, ONE, TRADER))
    assert queue.mature(3, {0: MARK}) == []
    assert queue.mature(4, {0: 2 * MARK}) == []  # one step short: the mark of step 4 is not the label's
    (label,) = queue.mature(5, {0: MARK * 99 // 100})
    assert (label.marked_at, label.markout_bps, label.toxic) == (5, pytest.approx(100.0), False)
    assert len(queue) == 0


def test_a_stale_market_keeps_its_labels_waiting_for_a_fresh_mark() -> None:
    queue = LabelQueue(horizon=1)
    queue.push(Pending(0, 1, True, MARK, ONE, TRADER))
    assert queue.mature(1, {0: MARK}) == []  # market 1 has no fresh mark
    (label,) = queue.mature(2, {1: MARK * 102 // 100})
    assert label.marked_at == 2 and label.markout_bps == pytest.approx(200.0)


def test_labels_pushed_out_of_step_order_still_mature_on_time_in_the_order_pushed() -> None:
    queue = LabelQueue(horizon=1)
    late, early, later = (Pending(step, 0, True, MARK, ONE, TRADER, bytes([step])) for step in (3, 1, 4))
    for item in (late, early, later):
        queue.push(item)
    assert [label.pending for label in queue.mature(2, {0: MARK})] == [early]  # behind a later one
    assert [label.pending for label in queue.mature(5, {0: MARK})] == [late, later]


def test_a_saved_queue_is_the_queue_it_was_and_keeps_no_more() -> None:
    queue = LabelQueue(horizon=2)
    for step in (0, 2, 1):  # out of order: the restored queue must know it
        queue.push(Pending(step, 0, True, MARK, ONE, TRADER, bytes([step])))
    saved = pickle.dumps(queue)
    assert b"_sorted" not in saved  # what it knows of the order is worked out again, not saved
    restored = pickle.loads(saved)
    assert [x.pending for x in restored.mature(3, {0: MARK})] == [x.pending for x in queue.mature(3, {0: MARK})]
    assert [x.step for x in restored._pending] == [2]


def test_steps_never_go_back() -> None:
    queue = LabelQueue(horizon=1)
    queue.mature(5, {})
    with pytest.raises(ValueError, match="step 4 matured after step 5"):
        queue.mature(4, {})


def scorer(**overrides: object) -> Scorer:
    return Scorer(ToxicityConfig(model="trader_rule", horizon=2, **overrides))  # type: ignore[arg-type]


def buy(nonce: int) -> Order:
    return Order(TRADER, 0, True, ONE, MARK * 2, START + 600, nonce, 10, True)


def observe(s: Scorer, step: int) -> None:
    s.observe_market(step, START + 12 * step, 0, MARK, START, MARK, 1_000 * ONE)


def test_an_order_the_desk_priced_but_did_not_fill_is_labelled_at_its_quote() -> None:
    s = scorer()
    observe(s, 0)
    features, prediction = s.score(buy(1), b"\x01", step=0, now=START, inventory=0, cap=ONE, desk_quote=MARK)
    assert s.on_step(0, {0: MARK}) == [] and s.on_step(1, {0: MARK}) == []
    (label,) = s.on_step(2, {0: MARK * 1_001 // 1_000})
    assert label.pending.counterfactual and label.pending.digest == b"\x01"
    assert (label.features, label.pending.prediction) == (features, prediction)
    assert label.markout_bps == pytest.approx(-10.0)
    assert s.marked.markout(TRADER) == (pytest.approx(-10.0), 1)  # the features' trader history learns it
    assert s.fills.markout(TRADER) == (0.0, 0)  # the per-trader rule's does not: it counts fills only


def test_an_order_filled_before_its_horizon_is_labelled_by_its_fill_alone() -> None:
    s = scorer()
    observe(s, 0)
    s.score(buy(1), b"\x01", step=0, now=START, inventory=0, cap=ONE, desk_quote=MARK)
    s.on_fill(b"\x01", step=1, trader=TRADER, market=0, trader_buys=True, size=ONE, price=MARK + ONE)
    assert s.on_step(2, {0: MARK}) == []  # the quote's label is void, the fill's not yet due
    (label,) = s.on_step(3, {0: MARK})
    assert not label.pending.counterfactual and label.features is not None
    assert s.fills.markout(TRADER)[1] == s.marked.markout(TRADER)[1] == 1


def test_without_counterfactual_labels_only_fills_are_labelled() -> None:
    s = scorer(counterfactual=False)
    observe(s, 0)
    s.score(buy(1), b"\x01", step=0, now=START, inventory=0, cap=ONE, desk_quote=MARK)
    assert [s.on_step(step, {0: MARK}) for step in range(5)] == [[]] * 5
    assert s.marked is s.fills


def test_scoring_an_order_twice_gives_its_first_answer_and_counts_it_once() -> None:
    s = scorer()
    observe(s, 0)
    first = s.score(buy(1), b"\x01", step=0, now=START, inventory=0, cap=ONE, desk_quote=MARK)
    assert s.score(buy(1), b"\x01", step=0, now=START + 5, inventory=5, cap=ONE, desk_quote=MARK) == first
    assert len(s.queue) == 1


@pytest.mark.parametrize("model", ["trader_rule", "logistic", "gbdt"])
def test_shuffling_labels_that_mature_later_changes_no_earlier_prediction(model: str) -> None:
    """Labels after the cut are scrambled (the marks they are taken at are shuffled among the later
    steps); every prediction made up to the cut must be unchanged, and later ones may differ."""
    world = lagging_oracle(160, seed=3)
    config = ToxicityConfig(model=model, horizon=5, refit_steps=10, window=400, threshold_bps=2.0, min_fills=2)
    half_filled = lambda arrival: arrival.digest[-1] % 2 == 0  # noqa: E731  (fills and counterfactual quotes)
    baseline, labels = drive(Scorer(config), world, fill=half_filled)
    for cut in (70, 110):
        later = list(range(cut + 1, world.steps))
        shuffled = later[:]
        random.Random(cut).shuffle(shuffled)
        swap = dict(zip(later, shuffled, strict=True))

        def marks_at(step: int, marks: dict[int, int], swap: dict[int, int] = swap) -> dict[int, int]:
            return {0: world.oracle[swap[step]]} if step in swap else marks

        scored, shuffled_labels = drive(Scorer(config), world, marks_at=marks_at, fill=half_filled)
        assert [s for s in scored if s.step <= cut] == [s for s in baseline if s.step <= cut]
        assert [x for x in shuffled_labels if x.marked_at <= cut] == [x for x in labels if x.marked_at <= cut]
        assert [x.markout_bps for x in shuffled_labels] != [x.markout_bps for x in labels]  # the shuffle bit
        if model != "trader_rule":  # the learned models then predict otherwise: the labels do reach them
            assert [s.prediction for s in scored] != [s.prediction for s in baseline]
    for label in labels:
        assert label.marked_at >= label.pending.step + config.horizon
