"""A batch over several markets books its internal legs in runs: a run is handed to the Vault when
the next internal leg is in another market (after that fill's own guards, signature and nonce are
checked) and at the end. So a leg the Vault refuses is found when its run is booked, which can be
after later fills of the batch ran; ``validate_batch`` replays the same order and names the same
culprit, and the rest of the batch settles once it is dropped."""

from defi_int.chain.views import batch_view
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE

PRICE_B = 50 * ONE


def _cap(s, market, cap):
    s.chain.transact(s.owner, s.vault.functions.setInventoryCap(market, cap), gas=80_000)


def test_runs_a_b_a_are_booked_in_three_calls_and_every_leg_lands(defi_system, defi_traders, defi_orders, market_b):
    s = defi_system
    a, b, c = defi_traders[:3]
    fills = [
        defi_orders.fill(a),
        defi_orders.fill(b, market=market_b, internal_price=PRICE_B),
        defi_orders.fill(c),
    ]
    defi_orders.settle(fills)
    assert s.chain.call(s.vault.functions.inventory(0)) == -2 * ONE
    assert s.chain.call(s.vault.functions.inventory(market_b)) == -ONE


def test_a_cap_breach_in_the_first_run_is_found_before_the_next_markets_fill_is_priced(
    defi_system, defi_traders, defi_orders, market_b, expect_rejection
):
    # The first run (market 0) breaks the desk's cap; the next fill (market B) would break the band.
    # The chain books the first run when the market changes, before pricing the B leg: the cap wins.
    s = defi_system
    _cap(s, 0, ONE)
    over = defi_orders.fill(defi_traders[0], size=2 * ONE)
    off_band = defi_orders.fill(defi_traders[1], market=market_b, internal_price=PRICE_B * 2, limit_price=PRICE_B * 3)

    expect_rejection([over, off_band], "InventoryCapExceeded", culprit=over, alone=False, market=0)


def test_a_later_fills_own_guards_are_checked_before_the_previous_run_is_booked(
    defi_system, defi_traders, defi_orders, market_b, expect_rejection
):
    # The next fill is expired: settle checks its guards before booking the previous run, so the
    # expiry is reported, not the cap breach still queued.
    s = defi_system
    _cap(s, 0, ONE)
    over = defi_orders.fill(defi_traders[0], size=2 * ONE)
    expired = defi_orders.fill(defi_traders[1], market=market_b, internal_price=PRICE_B, expiry=1)

    expect_rejection([over, expired], "OrderExpired", culprit=expired, alone=False, replay_in_mined_block=True)


def test_once_the_culprit_is_dropped_the_rest_of_the_batch_settles(defi_system, defi_traders, defi_orders, market_b):
    s = defi_system
    _cap(s, 0, ONE)
    fills = [
        defi_orders.fill(defi_traders[0], size=ONE // 2),
        defi_orders.fill(defi_traders[1], size=ONE),  # the run's total breaks the cap: this leg is at fault
        defi_orders.fill(defi_traders[2], market=market_b, internal_price=PRICE_B),
        defi_orders.fill(defi_traders[3], size=ONE // 4),
    ]
    check = validate_batch(fills, batch_view(s, [f.order for f in fills]))
    assert [f for f, _ in check.rejected] == [fills[1]]
    assert [e.reason for _, e in check.rejected] == ["inventory_cap"]

    defi_orders.settle(check.accepted)

    assert s.chain.call(s.vault.functions.inventory(0)) == -(ONE // 2 + ONE // 4)
    assert s.chain.call(s.vault.functions.inventory(market_b)) == -ONE


def test_a_margin_failure_in_a_later_run_of_the_same_market_names_its_leg(
    defi_system, defi_traders, defi_orders, market_b, holder, expect_rejection
):
    s = defi_system
    poor = holder("poor", 150 * 10**6)
    s.chain.transact(poor, s.vault.functions.deposit(150 * 10**6), gas=150_000)
    fills = [
        defi_orders.fill(defi_traders[0]),
        defi_orders.fill(defi_traders[1], market=market_b, internal_price=PRICE_B),
        defi_orders.fill(poor),  # needs 200 USD of initial margin
    ]
    expect_rejection(fills, "InsufficientMargin", culprit=fills[2], account=poor.address)
