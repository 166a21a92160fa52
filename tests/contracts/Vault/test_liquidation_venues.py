"""A liquidation always completes as far as the desk and the AMM can take (issue 17): the desk takes
what its cap and its margin allow at the oracle price, the AMM what it can of the rest within the
slippage bound, and the call closes that; only when neither can take anything does it revert
(``CannotClose``). Every combination, for a long and a short: the desk able or not (its cash paid
out, as the owner did in the issue's example) x the AMM within the slippage bound or not (its pool
pushed away from the oracle first), and the partial cases between. Every close is predicted by the
mirror to the unit (pools and funding included: an AMM close samples the moved pool's premium).

The account: 2,500 USD of margin, 10 base bought (or sold) on the AMM, so the desk is flat; the
oracle then moves 10 % against it: its equity falls below half of maintenance and the close factor
lets the whole position go.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from defi_int.types import ONE

UNIT = 10**6
SIZE = 10 * ONE
SCALE = 10**30


@pytest.fixture
def funded(defi_system):
    """Funding on (the AMM close samples the moved pool's premium)."""
    defi_system.set_funding(0, 8 * 3_600, 100)


def _open_on_amm(s, holder, long: bool):
    trader = holder(f"amm-{'long' if long else 'short'}", 2_500 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_500 * UNIT), gas=150_000)
    if long:
        quote = s.chain.call(s.amm.functions.quoteBuy(0, SIZE))
        s.chain.transact(trader, s.amm.functions.swap(0, True, SIZE, quote), gas=300_000)
    else:
        s.chain.transact(trader, s.amm.functions.swap(0, False, SIZE, 0), gas=300_000)
    return trader


def _push_pool(s, trader, mid: int) -> None:
    """Trades the pool (from ``trader``) until its mid is about ``mid``."""
    base, quote, _ = s.chain.call(s.amm.functions.pool(0))
    target = math.isqrt(base * quote * SCALE // mid)  # x * y = k with quote * scale / base = mid
    if target < base:
        size = base - target
        cost = s.chain.call(s.amm.functions.quoteBuy(0, size))
        s.chain.transact(trader, s.amm.functions.swap(0, True, size, cost), gas=300_000)
    else:
        s.chain.transact(trader, s.amm.functions.swap(0, False, target - base, 0), gas=300_000)


@pytest.fixture
def setting(defi_system, holder, defi_traders, drain_desk, funded) -> Callable[..., object]:
    """``setting(long, desk_able, amm)``: the account, the desk drained or not, the pool pushed
    ``amm`` = "within" (left where the account's own trade put it), "beyond" (10 % past the oracle
    on the wrong side) or "edge" (1.5 % past: small closes fit the 2 % bound, the whole does not),
    and the oracle moved 10 % against the account. Returns the account."""
    s = defi_system

    def make(long: bool, desk_able: bool, amm: str):
        account = _open_on_amm(s, holder, long)
        if not desk_able:
            drain_desk()
        price = 1_800 * ONE if long else 2_200 * ONE
        if amm != "within":
            off = {"beyond": 1_000, "edge": 150}[amm]
            _push_pool(
                s, defi_traders[0], price * (10_000 - off) // 10_000 if long else price * (10_000 + off) // 10_000
            )
        s.set_price(0, price)
        assert s.chain.call(s.vault.functions.isLiquidatable(account.address)) is True
        return account

    return make


SIDES = pytest.mark.parametrize("long", [True, False], ids=["long", "short"])


@SIDES
def test_the_desk_able_and_the_amm_within_the_desk_takes_it_all(defi_system, setting, stranger, close_and_match, long):
    account = setting(long, desk_able=True, amm="within")
    event = close_and_match(stranger, account.address, SIZE)
    assert (abs(event.size), event.to_desk, event.to_amm) == (SIZE, SIZE, 0)


@SIDES
def test_the_desk_able_and_the_amm_beyond_the_desk_takes_it_all(defi_system, setting, stranger, close_and_match, long):
    account = setting(long, desk_able=True, amm="beyond")
    event = close_and_match(stranger, account.address, SIZE)
    assert (abs(event.size), event.to_desk, event.to_amm) == (SIZE, SIZE, 0)


@SIDES
def test_the_desk_unable_and_the_amm_within_the_amm_takes_it_all(defi_system, setting, stranger, close_and_match, long):
    """The issue's defect: the owner paid the desk's cash out, the desk is flat, the price moved;
    before, ``liquidate`` reverted ``InsufficientMargin(vault, 0, ...)`` at every size."""
    s = defi_system
    account = setting(long, desk_able=False, amm="within")
    event = close_and_match(stranger, account.address, SIZE)
    assert (abs(event.size), event.to_desk, event.to_amm) == (SIZE, 0, SIZE)
    assert s.chain.call(s.vault.functions.inventory(0)) == 0
    assert s.chain.call(s.vault.functions.position(account.address, 0)) == 0


@SIDES
def test_the_desk_unable_and_the_amm_beyond_nothing_can_be_closed(
    defi_system, setting, stranger, reverts, predict_refusal, long
):
    s = defi_system
    account = setting(long, desk_able=False, amm="beyond")
    assert predict_refusal(stranger, account.address, SIZE) == "CannotClose"
    with reverts("CannotClose", account=account.address, market=0, size=SIZE):
        s.chain.transact(stranger, s.vault.functions.liquidate(account.address, 0, SIZE), gas=800_000)


@SIDES
def test_the_desk_unable_and_the_amm_at_the_edge_the_amm_closes_what_fits_the_bound(
    defi_system, setting, stranger, close_and_match, long
):
    s = defi_system
    account = setting(long, desk_able=False, amm="edge")
    event = close_and_match(stranger, account.address, SIZE)
    assert event.to_desk == 0 and 0 < event.to_amm < SIZE
    price = event.mark
    bound = event.to_amm * price * (9_800 if long else 10_200) // (SCALE * 10_000)
    assert (event.amm_quote >= bound) if long else (event.amm_quote <= bound + 1)
    held = abs(s.chain.call(s.vault.functions.position(account.address, 0)))
    assert held == SIZE - event.to_amm
    # a little more would have gone beyond the bound
    more = event.to_amm + event.to_amm // 1_000
    if long:
        assert s.chain.call(s.amm.functions.quoteSell(0, more)) < more * price * 9_800 // (SCALE * 10_000)


def test_the_desk_takes_what_its_cap_allows_and_the_amm_the_rest(defi_system, setting, stranger, close_and_match):
    s = defi_system
    s.chain.transact(s.owner, s.vault.functions.setInventoryCap(0, 4 * ONE), gas=80_000)
    account = setting(True, desk_able=True, amm="within")
    event = close_and_match(stranger, account.address, SIZE)
    assert (event.to_desk, event.to_amm) == (4 * ONE, 6 * ONE)
    assert s.chain.call(s.vault.functions.inventory(0)) == 4 * ONE


def test_the_desk_takes_what_its_margin_carries_and_the_amm_the_rest(defi_system, setting, stranger, close_and_match):
    """The desk's cash is paid out, then 300 USD put back: at 1,800 and 5 % maintenance it carries
    300 / 90 = 3.33 base; it takes that at the oracle and keeps its floor, the AMM closes the rest."""
    s = defi_system
    account = setting(True, desk_able=False, amm="within")
    s.deposit_for(s.desk, 300 * UNIT)
    equity = s.chain.call(s.vault.functions.equity(s.desk))  # 300 USD (and the unit the drain leaves)
    event = close_and_match(stranger, account.address, SIZE)
    assert event.to_desk == equity * SCALE * 10_000 // (1_800 * ONE * 500)
    assert event.to_desk + event.to_amm == SIZE
    desk = s.desk
    assert s.chain.call(s.vault.functions.equity(desk)) >= s.chain.call(s.vault.functions.marginRequired(desk, 500))


def test_a_desk_on_the_other_side_takes_what_shrinks_its_book_without_any_margin(
    defi_system, holder, defi_orders, stranger, drain_desk, close_and_match
):
    """The account bought from the desk, so the desk is short what it would take: with no free
    cash at all it still takes the whole position back."""
    s = defi_system
    trader = holder("from-desk", 2_000 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_000 * UNIT), gas=150_000)
    defi_orders.settle([defi_orders.fill(trader, size=SIZE, internal_price=2_000 * ONE)])
    drain_desk()
    s.set_price(0, 1_800 * ONE)
    event = close_and_match(stranger, trader.address, SIZE)
    assert (event.to_desk, event.to_amm) == (SIZE, 0)


def test_what_the_amm_cannot_take_stays_and_can_be_closed_later(
    defi_system, setting, defi_traders, stranger, close_and_match
):
    s = defi_system
    account = setting(True, desk_able=False, amm="edge")
    first = close_and_match(stranger, account.address, SIZE)
    _push_pool(s, defi_traders[1], 1_800 * ONE)  # an arbitrageur brings the pool back to the oracle
    second = close_and_match(stranger, account.address, SIZE)
    assert first.to_amm + second.to_amm + second.to_desk == SIZE


def test_the_amm_takes_what_its_own_floor_carries(
    defi_system, holder, defi_orders, defi_traders, stranger, drain_desk, close_and_match
):
    """The desk is flat (one account bought 10 from it, another sold it 10) and drained; the AMM
    keeps 300 USD of cash: it takes what its maintenance margin carries after the close (it pays
    about 1,992 a base the oracle values at 1,800 and needs 90 of margin a base: 300 / 282, about
    1.06 base), the rest stays with the account."""
    s = defi_system
    trader = holder("from-desk", 2_000 * UNIT)
    s.chain.transact(trader, s.vault.functions.deposit(2_000 * UNIT), gas=150_000)
    defi_orders.settle([defi_orders.fill(trader, size=SIZE, internal_price=2_000 * ONE)])
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=SIZE, is_buy=False, internal_price=2_000 * ONE)])
    assert s.chain.call(s.vault.functions.inventory(0)) == 0
    drain_desk()
    amm = str(s.amm.address)
    cash = s.chain.call(s.vault.functions.cash(amm))
    s.chain.transact(s.owner, s.vault.functions.withdrawAmm(s.owner.address, cash - 300 * UNIT), gas=300_000)
    s.set_price(0, 1_800 * ONE)

    event = close_and_match(stranger, trader.address, SIZE)

    assert event.to_desk == 0 and 1.05 * ONE < event.to_amm < 1.07 * ONE
    assert s.chain.call(s.vault.functions.equity(amm)) >= s.chain.call(s.vault.functions.marginRequired(amm, 500))
