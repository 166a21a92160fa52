"""A book settles its funding whenever it is written — a fill, an AMM trade, a withdrawal, a deposit
into a book with a position — against the funding pool: a payer pays the exact amount rounded up, a
receiver gets it rounded down, so the pool keeps the rounding. Longs pay while the AMM trades above
the oracle. Fills report their funding in ``FillsSettled``, every other settlement in
``FundingSettled``; ``validate_batch`` predicts the chain to the unit."""

from fractions import Fraction

import pytest
from web3.logs import DISCARD

from defi_int.chain.views import batch_view, fill_events, funding_events, read_ledger
from defi_int.market.funding import charge
from defi_int.market.ledger import FUNDING_POOL
from defi_int.orders.validation import validate_batch
from defi_int.types import ONE

HOUR = 3_600
SCALE = 10**30
UNIT = 2_000 * ONE // 10**6  # the funding unit once enabled at 2,000 USD


@pytest.fixture(autouse=True)
def premium_at_the_mid(defi_system):
    """These tests measure the premium at the AMM's mid (an impact notional of 0), so the index's
    arithmetic reads in round numbers; ``test_funding_premium`` measures it at impact prices."""
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.setFundingImpact(0, 0), gas=150_000)


def _funded_long(s, defi_orders, trader, size=3 * ONE):
    """Funding on (1 h period, 5 % cap), ``trader`` long ``size`` from the desk, the AMM 0.5 % above the oracle."""
    s.set_funding(0, HOUR, 500)
    defi_orders.settle([defi_orders.fill(trader, size=size)])
    s.set_price(0, 1_990 * ONE)
    s.update_funding(0)


def _settled(s, receipt):
    charges = {}
    for log in s.vault.events.FundingSettled().process_receipt(receipt, errors=DISCARD):
        for word in log.args.charges:
            value = int.from_bytes(word, "big")
            amount = value >> 160
            charges[value & (2**160 - 1)] = amount - 2**96 if amount >= 2**95 else amount
    return charges


def test_a_long_pays_funding_rounded_up_when_its_next_fill_is_booked(
    defi_system, defi_traders, defi_orders, later, read_book
):
    s, trader = defi_system, defi_traders[0]
    _funded_long(s, defi_orders, trader)
    mark_then = s.chain.call(s.vault.functions.fundingMarkOf(trader.address, 0))
    later(600)
    pending_after = 10 * ONE * 600 // HOUR  # the index the touch writes
    expected = charge(3 * ONE, mark_then, pending_after // UNIT, UNIT, SCALE)
    assert expected > 0
    before = read_book(trader=trader.address)
    pool_before = s.chain.call(s.vault.functions.cash(FUNDING_POOL))

    receipt = defi_orders.settle([defi_orders.fill(trader, size=ONE, internal_price=1_990 * ONE)])

    (event,) = fill_events(s, receipt)
    assert event.funding == expected
    delta = read_book(trader=trader.address) - before
    assert delta.cash["trader"] == -event.fee - 1_990_000_000 - expected
    desk_charge = _settled(s, receipt)[int(s.desk, 16)]
    assert s.chain.call(s.vault.functions.cash(FUNDING_POOL)) - pool_before == expected + desk_charge


def test_the_desk_on_the_other_side_receives_funding_rounded_down(defi_system, defi_traders, defi_orders, later):
    s, trader = defi_system, defi_traders[0]
    _funded_long(s, defi_orders, trader)
    mark_then = s.chain.call(s.vault.functions.fundingMarkOf(s.desk, 0))
    later(600)
    index = 10 * ONE * 600 // HOUR
    receipt = defi_orders.settle([defi_orders.fill(trader, size=ONE, internal_price=1_990 * ONE)])
    received = _settled(s, receipt)[int(s.desk, 16)]
    exact = Fraction(-3 * ONE * (index // UNIT - mark_then) * UNIT, SCALE)
    assert received == -(-exact // 1) and received < 0  # ceil of a negative charge: less received


def test_a_withdrawal_settles_funding_on_every_book_that_holds_a_position(
    defi_system, defi_traders, defi_orders, later
):
    s, trader = defi_system, defi_traders[0]
    _funded_long(s, defi_orders, trader)
    pending = s.chain.call(s.vault.functions.pendingFunding(trader.address, 0))
    later(900)
    cash = s.chain.call(s.vault.functions.cash(trader.address))
    receipt = s.chain.transact(trader, s.vault.functions.withdraw(1_000), gas=300_000)
    paid = _settled(s, receipt)[int(trader.address, 16)]
    assert [(c.account, c.market, c.amount) for c in funding_events(s, receipt)] == [(trader.address, 0, paid)]
    assert paid > pending >= 0
    assert s.chain.call(s.vault.functions.cash(trader.address)) == cash - paid - 1_000
    assert s.chain.call(s.vault.functions.pendingFunding(trader.address, 0)) == 0


def test_pending_funding_is_what_the_next_touch_charges_and_equity_counts_it(
    defi_system, defi_traders, defi_orders, later
):
    s, trader = defi_system, defi_traders[0]
    _funded_long(s, defi_orders, trader)
    when = later(1_234)
    s.chain.mine()  # a block at `when`: views read the index as of then
    pending = s.chain.call(s.vault.functions.pendingFunding(trader.address, 0))
    cash = s.chain.call(s.vault.functions.cash(trader.address))
    value = 3 * 1_990 * 10**6
    assert s.chain.call(s.vault.functions.equity(trader.address)) == cash + value - pending
    assert s.chain.timestamp() == when
    assert pending == charge(
        3 * ONE,
        s.chain.call(s.vault.functions.fundingMarkOf(trader.address, 0)),
        (10 * ONE * (when - s.chain.call(s.vault.functions.fundingState(0))[2]) // HOUR) // UNIT,
        UNIT,
        SCALE,
    )


def test_a_deposit_into_a_book_with_a_position_settles_its_funding(defi_system, defi_traders, defi_orders, later):
    s, trader = defi_system, defi_traders[0]
    _funded_long(s, defi_orders, trader)
    later(600)
    s.mint(trader.address, 500)
    s.chain.transact(trader, s.token.functions.approve(s.vault.address, 500), gas=60_000)
    receipt = s.chain.transact(trader, s.vault.functions.deposit(500), gas=300_000)
    assert _settled(s, receipt)[int(trader.address, 16)] > 0
    assert s.chain.call(s.vault.functions.pendingFunding(trader.address, 0)) == 0


def test_an_amm_leg_settles_both_books_in_funding_settled(defi_system, defi_traders, defi_orders, later):
    s, trader = defi_system, defi_traders[0]
    _funded_long(s, defi_orders, trader)
    later(600)
    receipt = defi_orders.settle([defi_orders.fill(trader, size=ONE, internal_size=0, amm_size=ONE)])
    settled = _settled(s, receipt)
    assert settled[int(trader.address, 16)] > 0
    (event,) = fill_events(s, receipt)
    assert event.funding == 0  # an AMM leg's funding is the Vault's FundingSettled, not the fill's


def test_validate_batch_predicts_the_funding_a_batch_settles(defi_system, defi_traders, defi_orders, later):
    s = defi_system
    for trader in defi_traders[:3]:
        defi_orders.settle([defi_orders.fill(trader, size=ONE + 7)])
    s.set_funding(0, HOUR, 500)
    s.set_price(0, 1_987 * ONE + 11)
    s.update_funding(0)
    when = later(3_333)
    fills = [
        defi_orders.fill(defi_traders[0], is_buy=False, size=ONE // 3, internal_price=1_995 * ONE),
        defi_orders.fill(defi_traders[1], size=ONE // 7, internal_price=1_990 * ONE, amm_size=ONE // 11),
        defi_orders.fill(defi_traders[2], size=ONE, internal_size=0, amm_size=ONE),
    ]
    accounts = [t.address for t in defi_traders[:3]]
    view = batch_view(s, [f.order for f in fills], now=when)
    view.ledger = read_ledger(s, accounts)
    check = validate_batch(fills, view)
    assert check.rejected == []

    defi_orders.settle(fills)

    chain, mirror = read_ledger(s, accounts), check.view.ledger
    assert _nonzero(chain.cash) == _nonzero(mirror.cash)
    assert _nonzero(chain.positions) == _nonzero(mirror.positions)
    assert _nonzero(chain.marks) == _nonzero(mirror.marks)
    assert chain.funding == mirror.funding


def _nonzero(values):
    return {k: v for k, v in values.items() if v}
