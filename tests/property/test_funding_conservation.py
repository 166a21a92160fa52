"""Funding is zero-sum, rounded against the books: Σ funding paid = Σ funding received + what the
rounding left in the funding pool, which is never negative and below one unit per settlement.

Hypothesis drives the Python mirror of the Vault (``Ledger``, exact to the unit with the chain:
the ghost-ledger state machine holds the chain to it) through random trades between traders, the
desk and the AMM in two markets, time passing, premiums moving with the AMM and the oracle, and
funding parameters changing. After every step:

- cash is conserved: Σ cash over every account (the funding pool included) never changes;
- positions sum to zero in each market;
- the pool's cash plus everything still owed exactly (every book's pending funding, as a fraction)
  equals the rounding the ledger recorded, which is >= 0: nothing was paid out that was not paid in.

At the end every book settles at the same moment: then Σ paid - Σ received = the pool's cash =
the rounding, to the unit.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from defi_int.market.amm import Pool
from defi_int.market.funding import owed
from defi_int.market.ledger import FUNDING_POOL, Env, Ledger, LedgerViolation
from defi_int.types import ONE

SCALE = 10**30
MARKETS = (0, 1)
PRICES = {0: 2_000 * ONE, 1: 50 * ONE}
TRADERS = ("t0", "t1", "t2", "t3")
ACCOUNTS = (*TRADERS, "desk", "amm")


def _ledger() -> Ledger:
    ledger = Ledger(
        price_scale=SCALE,
        initial_margin_bps=1_000,
        maintenance_margin_bps=500,
        desk="desk",
        fee_recipient="fees",
        amm="amm",
        markets=list(MARKETS),
        caps={m: 10**9 * ONE for m in MARKETS},
    )
    for account in ACCOUNTS:
        ledger.cash[account] = 10**13
    for market in MARKETS:
        f = ledger.fund(market)
        f.period, f.cap_bps, f.unit = 3_600, 500, PRICES[market] // 10**6
    return ledger


def _pending_exact(ledger: Ledger, now: int) -> Fraction:
    total = Fraction(0)
    for (account, market), position in ledger.positions.items():
        if position:
            f = ledger.fund(market)
            mark_now = (f.index_at(now) // f.unit) % 2**64
            total += owed(position, ledger.marks.get((account, market), 0), mark_now, f.unit, SCALE)
    return total


steps = st.lists(
    st.tuples(
        st.sampled_from(["trade", "time", "oracle", "amm", "params", "touch"]),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(MARKETS),
        st.integers(1, 50 * ONE),
        st.integers(-500, 500),
        st.integers(1, 20_000),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_funding_paid_equals_funding_received_plus_the_pools_rounding(steps):
    ledger = _ledger()
    now = 1_000_000
    prices = dict(PRICES)
    # The AMM 1 % above the oracle and a long against the desk in each market: funding flows.
    pools = {m: Pool(10**6 * ONE, 10**6 * PRICES[m] * 101 // 10**14, 30) for m in MARKETS}
    for market in MARKETS:
        ledger.trade("t0", "desk", market, 10 * ONE, -10 * PRICES[market] // 10**12, 0, Env(now, prices, pools))
    total_cash = ledger.total_cash()
    for action, a, b, market, size, bps, dt in steps:
        env = Env(now, prices, pools)
        try:
            if action == "trade" and a != b:
                notional = size * prices[market] // SCALE
                ledger.trade(a, b, market, size, -notional, 0, env)
            elif action == "time":
                now += dt
            elif action == "oracle":
                prices[market] = max(prices[market] * (10_000 + bps) // 10_000, 1)
            elif action == "amm":
                pool = pools[market]
                pools[market] = Pool(pool.base, max(pool.quote * (10_000 + bps) // 10_000, 1), pool.fee_bps)
                ledger.update_funding(market, env)
            elif action == "params":
                ledger.set_funding(market, 3_600 * (1 + dt % 8) if dt % 5 else 0, abs(bps) * 20, prices[market], env)
            elif action == "touch":
                ledger.settle_all(a, env)
        except LedgerViolation:
            pass  # a trade the margin refuses leaves the ledger as it was
        assert ledger.total_cash() == total_cash
        for m in MARKETS:
            assert sum(ledger.position(x, m) for x in ACCOUNTS) == 0
        residual = ledger.cash.get(FUNDING_POOL, 0) + _pending_exact(ledger, now)
        assert residual == ledger.funding_rounding >= 0

    now += 3_600
    env = Env(now, prices, pools)
    # Each book settles what it owes at this moment, rounded against it, and nothing else.
    expected = {a: ledger.cash.get(a, 0) - sum(ledger.pending_funding(a, m, now) for m in MARKETS) for a in ACCOUNTS}
    for account in ACCOUNTS:
        ledger.settle_all(account, env)
    assert {a: ledger.cash.get(a, 0) for a in ACCOUNTS} == expected
    assert _pending_exact(ledger, now) == 0
    assert ledger.cash.get(FUNDING_POOL, 0) == ledger.funding_rounding >= 0
