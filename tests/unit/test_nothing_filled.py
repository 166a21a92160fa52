"""A run that filled nothing and rejected every order it decided on fails as a whole, naming the
reasons; a run with any fill, an expiry, or only orders still resting at the end does not."""

import pytest

from defi_int.metrics.records import RunResult
from defi_int.sim.runner import nothing_filled


def result(total: int, filled: int = 0, expired: int = 0, open_: int = 0, **reasons: int) -> RunResult:
    """A run with ``reasons`` (code=count) rejected; ``arbitrage_X=n`` is n reverted arbitrage swaps (not orders)."""
    run = RunResult("s", 1, "embedded", {}, 10**30, 6, 12, (1, 5, 20))
    run.orders_total, run.orders_filled, run.orders_expired, run.orders_open = total, filled, expired, open_
    run.rejections = {r: n for r, n in reasons.items() if not r.startswith("arbitrage_")}
    run.arbitrage_reverts = {r.removeprefix("arbitrage_"): n for r, n in reasons.items() if r.startswith("arbitrage_")}
    run.orders_rejected = sum(run.rejections.values())
    return run


def test_every_order_rejected_for_one_reason_is_named():
    assert (
        nothing_filled(result(5, chain_reverted=5))
        == "no order was filled: all 5 orders were rejected with chain_reverted"
    )


def test_every_order_rejected_for_several_reasons_lists_them_most_frequent_first():
    verdict = nothing_filled(result(7, insufficient_margin=2, overfill=5))
    assert verdict == "no order was filled: all 7 orders were rejected (overfill x5, insufficient_margin x2)"


def test_orders_still_resting_at_the_end_were_not_decided_on():
    verdict = nothing_filled(result(6, open_=2, insufficient_margin=4))
    assert verdict == "no order was filled: all 4 orders were rejected with insufficient_margin"


@pytest.mark.parametrize(
    "run",
    [
        result(0),
        result(5, filled=1, insufficient_margin=4),
        result(5, expired=1, insufficient_margin=4),
        result(3, open_=3),
        result(0, arbitrage_InvalidReserves=3),
        result(2, expired=2, arbitrage_SlippageExceeded=1),
    ],
    ids=["no orders", "one fill", "one expiry", "all resting", "only arbitrage", "expired and arbitrage"],
)
def test_a_run_with_a_fill_an_expiry_or_nothing_decided_passes(run):
    assert nothing_filled(run) is None
