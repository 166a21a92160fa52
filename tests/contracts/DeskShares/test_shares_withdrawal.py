"""Withdrawals: a request takes the shares out of the holder's hands (they keep bearing the desk's
PnL), matures after the lock-up, and its owner claims it at the NAV of the claim, less the fee
(which stays in the desk), within the day's outflow cap (a claim beyond it pays what is left and
keeps the rest), only with fresh oracles, and out of the desk's cash under a trader's withdrawal
rule. No claim ever lowers the NAV per share."""

from __future__ import annotations

from conftest import UNIT, nav_per_share

from defi_int.types import ONE

DAY = 86_400
LOCKUP = 4 * DAY


def _deposited(s, depositor, shares_match, name: str = "alice", tokens: int = 100_000):
    account = depositor(name, tokens)
    minted = shares_match("deposit", account, tokens * UNIT)
    return account, minted


def test_a_request_escrows_the_shares_until_it_matures(defi_system, shares, depositor, shares_match, events):
    s = defi_system
    alice, minted = _deposited(s, depositor, shares_match)
    total = s.chain.call(shares.functions.totalShares())

    request_id = shares_match("request", alice, minted)

    assert s.chain.call(shares.functions.sharesOf(alice.address)) == 0
    assert s.chain.call(shares.functions.totalShares()) == total  # still outstanding: they bear the PnL
    owner, held, matures_at = s.chain.call(shares.functions.request(request_id))
    assert (owner, held) == (alice.address, minted)
    assert matures_at == s.chain.timestamp() + LOCKUP
    assert shares_match("claim", alice, request_id) == "NotMature"


def test_a_mature_request_pays_the_nav_of_the_claim_less_the_fee(
    defi_system, shares, depositor, shares_match, later, defi_traders, defi_orders
):
    s = defi_system
    alice, minted = _deposited(s, depositor, shares_match)
    request_id = shares_match("request", alice, minted)
    # the desk trades and the price moves while the request matures: the claim bears it
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=10 * ONE, internal_price=2_000 * ONE)])
    later(LOCKUP)
    s.set_price(0, 1_950 * ONE)  # the desk, short 10, gains 500
    before = nav_per_share(s)

    claimed, paid = shares_match("claim", alice, request_id)

    assert claimed == minted
    assert s.chain.call(s.token.functions.balanceOf(alice.address)) == paid
    assert 100_000 * UNIT * 0.997 < paid < 100_000 * UNIT * 1.001  # two 10 bps fees, a share of +500
    assert nav_per_share(s) >= before
    assert s.chain.call(shares.functions.request(request_id)) == ["0x" + "00" * 20, 0, 0]


def test_only_the_requests_owner_claims_it_and_only_once(defi_system, depositor, shares_match, later):
    s = defi_system
    alice, minted = _deposited(s, depositor, shares_match)
    bob = depositor("bob", 0)
    request_id = shares_match("request", alice, minted)
    later(LOCKUP)
    s.chain.mine()
    assert shares_match("claim", bob, request_id) == "NotRequestOwner"
    shares_match("claim", alice, request_id)
    assert shares_match("claim", alice, request_id) == "UnknownRequest"


def test_requesting_more_shares_than_held_or_none_is_refused(defi_system, depositor, shares_match):
    s = defi_system
    alice, minted = _deposited(s, depositor, shares_match)
    assert shares_match("request", alice, minted + 1) == "InsufficientShares"
    assert shares_match("request", alice, 0) == "ZeroAmount"


def test_a_days_claims_take_at_most_the_daily_cap_and_the_rest_waits(
    defi_system, shares, depositor, shares_match, later
):
    """The cap is 10 % of the NAV at the day's first claim: the owner asks for all of its capital,
    gets a tenth of the NAV today, and the rest of its request stays for the next days."""
    s = defi_system
    owner_shares = s.chain.call(shares.functions.sharesOf(s.owner.address))
    request_id = shares_match("request", s.owner, owner_shares)
    later(LOCKUP)
    s.set_price(0, 2_000 * ONE)
    nav = s.chain.call(s.vault.functions.deskNav())

    claimed, _ = shares_match("claim", s.owner, request_id)

    assert 0 < claimed < owner_shares
    _, spent, cap = s.chain.call(shares.functions.outflow())
    assert cap == nav * 1_000 // 10_000 and spent <= cap and cap - spent < 2
    assert shares_match("claim", s.owner, request_id) == "DailyOutflowExceeded"
    later(DAY)
    s.set_price(0, 2_000 * ONE)
    again, _ = shares_match("claim", s.owner, request_id)
    assert 0 < again < owner_shares - claimed


def test_a_claim_needs_fresh_oracles_for_the_desks_inventory(
    defi_system, depositor, shares_match, later, defi_traders, defi_orders
):
    s = defi_system
    alice, minted = _deposited(s, depositor, shares_match)
    request_id = shares_match("request", alice, minted)
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=ONE)])
    later(LOCKUP)
    s.chain.mine()
    assert shares_match("claim", alice, request_id) == "StalePrice"


def test_a_claim_keeps_the_desks_initial_margin(
    defi_system, shares, depositor, shares_match, later, defi_traders, defi_orders
):
    """The desk short 100 (its cap) needs 20,000 USD of initial margin; the owner's request for
    everything under a cap of the whole NAV cannot take that."""
    s = defi_system
    s.chain.transact(s.owner, shares.functions.setParams(0, 10, 10_000), gas=100_000)
    defi_orders.settle([defi_orders.fill(defi_traders[0], size=100 * ONE, internal_price=2_000 * ONE)])
    owner_shares = s.chain.call(shares.functions.sharesOf(s.owner.address))
    request_id = shares_match("request", s.owner, owner_shares)
    assert shares_match("claim", s.owner, request_id) == "InsufficientMargin"


def test_the_owner_bounds_the_share_parameters(defi_system, shares, reverts, stranger, events):
    s = defi_system
    receipt = s.chain.transact(s.owner, shares.functions.setParams(30 * DAY, 100, 1), gas=100_000)
    assert events(shares, receipt, "ShareParamsSet") == [{"lockup": 30 * DAY, "feeBps": 100, "dailyOutflowBps": 1}]
    for args in ((30 * DAY + 1, 0, 1), (0, 101, 1), (0, 0, 0), (0, 0, 10_001)):
        with reverts("InvalidShareParams", lockup=args[0], feeBps=args[1], dailyOutflowBps=args[2]):
            s.chain.transact(s.owner, shares.functions.setParams(*args), gas=100_000)
    with reverts("NotOwner", caller=stranger.address):
        s.chain.transact(stranger, shares.functions.setParams(0, 0, 1), gas=100_000)
