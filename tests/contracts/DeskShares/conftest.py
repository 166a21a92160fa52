"""Fixtures for the DeskShares tests: depositors, and ``shares_match``: the mirror
(``defi_int.market.shares.Shares`` on the ``Ledger`` mirror) predicts each share operation sent in
the next block, then the chain must hold exactly what the mirror holds (shares, requests, the day's
outflow, the desk's cash and NAV)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from defi_int.chain.views import batch_view, read_ledger, read_shares
from defi_int.market.ledger import LedgerViolation
from defi_int.market.shares import OFFSET

UNIT = 10**6


@pytest.fixture
def shares(defi_system):
    return defi_system.desk_shares


@pytest.fixture
def depositor(defi_system, holder) -> Callable[[str, int], Any]:
    """``depositor(name, tokens)``: an account holding ``tokens`` whole tokens, the Vault approved."""
    return lambda name, tokens: holder(name, tokens * UNIT)


def nav_per_share(system: Any) -> Fraction:
    nav = system.chain.call(system.vault.functions.deskNav())
    total = system.chain.call(system.desk_shares.functions.totalShares())
    return Fraction(nav + 1, total + OFFSET)


@pytest.fixture
def shares_match(defi_system) -> Callable[..., Any]:
    """``shares_match(op, account, arg, holders=())``: ``op`` is "deposit" (arg: amount), "request"
    (arg: shares) or "claim" (arg: request id). The mirror's outcome (or its custom error) is
    computed for the next block, the chain must agree, and after it every holder's shares, the
    requests, the outflow, the desk's cash and NAV must equal the mirror's. Returns the mirror's
    result (shares minted, the request id, or (shares, amount) claimed) or the error name."""
    s = defi_system

    def run(op: str, account: Any, arg: int, holders: tuple[str, ...] = ()) -> Any:
        people = [account.address, s.owner.address, *holders]
        view = batch_view(s, [])
        view.ledger = read_ledger(s, people)
        mirror = read_shares(s, people)
        env = view.env
        try:
            if op == "deposit":
                expected: Any = mirror.deposit(view.ledger, env, account.address, arg)
            elif op == "request":
                expected = mirror.request(account.address, arg, env.now)
            else:
                expected = mirror.claim(view.ledger, env, account.address, arg)
        except LedgerViolation as exc:
            expected = exc.error
        fn = {
            "deposit": s.desk_shares.functions.deposit,
            "request": s.desk_shares.functions.requestWithdrawal,
            "claim": s.desk_shares.functions.claim,
        }[op](arg)
        try:
            s.chain.transact(account, fn, gas=600_000)
        except Exception as exc:  # the chain refused: it must be the mirror's error
            assert isinstance(expected, str), f"the mirror accepts {op}, the chain reverted: {exc}"
            assert expected in str(exc), (expected, str(exc))
            return expected
        assert not isinstance(expected, str), f"the chain accepted {op}, the mirror expects {expected}"
        chain = read_shares(s, people)
        assert (chain.total, chain.held, chain.count) == (mirror.total, mirror.held, mirror.count)
        assert chain.requests == mirror.requests
        assert (chain.day, chain.claimed, chain.cap) == (mirror.day, mirror.claimed, mirror.cap)
        ledger = read_ledger(s, people)
        assert ledger.cash[s.desk] == view.ledger.cash[s.desk]
        assert s.chain.call(s.vault.functions.deskNav()) == mirror.nav(view.ledger, env)
        return expected

    return run


@pytest.fixture
def drain_all(defi_system, defi_traders, defi_orders, drain_desk) -> Callable[[], None]:
    """The desk short 100 base (its cap) from a trader, its free cash paid out, then the oracle 25 %
    up: the desk is worth less than nothing."""
    from defi_int.types import ONE

    s = defi_system

    def drain() -> None:
        defi_orders.settle([defi_orders.fill(defi_traders[0], size=100 * ONE, internal_price=2_000 * ONE)])
        drain_desk()
        s.set_price(0, 2_500 * ONE)
        assert s.chain.call(s.vault.functions.deskNav()) < 0

    return drain
