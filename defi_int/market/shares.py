"""The desk's depositors' shares in Python, exact to the unit (``contracts/DeskShares.sol``).

``Shares`` holds what the contract holds (shares outstanding, each holder's, the withdrawal
requests, the parameters and the day's outflow) and prices them at the desk's NAV, read from the
``Ledger`` mirror (``nav``: the desk's equity, pending funding counted, rounded against it). Each
operation books on the ledger what the Vault books (``deposit``: the desk's cash grows; ``claim``:
the Vault's withdrawal rule pays out of it) and raises ``LedgerViolation`` with the custom error the
chain reverts with, leaving both as they were.

``nav_per_share`` is ``(nav + 1) / (total + OFFSET)``, the price every deposit and claim uses:
neither ever lowers it (the property tests hold it to that).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from fractions import Fraction

from defi_int.market.books import Env, LedgerViolation, ceil_div
from defi_int.market.ledger import Ledger
from defi_int.params import MAX_SHARE_FEE_BPS, MAX_SHARE_LOCKUP
from defi_int.types import BPS

#: ``DeskShares.OFFSET``: virtual shares that price the first deposit.
OFFSET = 10**6
DAY = 86_400


@dataclass
class Request:
    owner: str
    shares: int
    matures_at: int


@dataclass
class Shares:
    """The shares contract's state; see the module docstring."""

    lockup: int
    fee_bps: int
    daily_outflow_bps: int
    total: int = 0
    held: dict[str, int] = field(default_factory=dict)  # nonzero balances only
    requests: dict[int, Request] = field(default_factory=dict)
    count: int = 0  # the next request's id
    day: int = 0
    claimed: int = 0  # what today's claims were worth before the fee
    cap: int = 0

    def copy(self) -> Shares:
        return copy.deepcopy(self)

    # ---------------------------------------------------------------- views

    @staticmethod
    def nav(ledger: Ledger, env: Env) -> int:
        """``Vault.deskNav()``: raises ``LedgerViolation("StalePrice")`` while a market the desk holds is stale."""
        return ledger.margin_state(ledger.desk, env, 0)[0]

    def nav_per_share(self, ledger: Ledger, env: Env) -> Fraction:
        """What one share is worth: ``(nav + 1) / (total + OFFSET)``."""
        return Fraction(self.nav(ledger, env) + 1, self.total + OFFSET)

    def fee(self, amount: int) -> int:
        return ceil_div(amount * self.fee_bps, BPS)

    def value(self, shares: int, nav: int) -> int:
        """``previewClaim``: what ``shares`` are worth before the fee."""
        return shares * (nav + 1) // (self.total + OFFSET)

    def mintable(self, amount: int, nav: int) -> int:
        """``previewDeposit``: the shares a deposit of ``amount`` mints."""
        if nav < 0:
            raise LedgerViolation("NavNotPositive", f"the desk's NAV is {nav}")
        return (amount - self.fee(amount)) * (self.total + OFFSET) // (nav + 1)

    # ------------------------------------------------------------ operations

    def set_params(self, lockup: int, fee_bps: int, daily_outflow_bps: int) -> None:
        """``setParams``."""
        if lockup > MAX_SHARE_LOCKUP or fee_bps > MAX_SHARE_FEE_BPS or not 0 < daily_outflow_bps <= BPS:
            raise LedgerViolation("InvalidShareParams", f"{lockup}, {fee_bps}, {daily_outflow_bps}")
        self.lockup, self.fee_bps, self.daily_outflow_bps = lockup, fee_bps, daily_outflow_bps

    def deposit(self, ledger: Ledger, env: Env, account: str, amount: int, *, paused: bool = False) -> int:
        """``deposit``/``depositFor``: shares for ``account``, ``amount`` into the desk's cash (the
        Vault's ``shareDeposit``: ``Paused`` while the vault is). The token transfer (the payer's
        balance and allowance) is the caller's to check, after this."""
        if amount == 0:
            raise LedgerViolation("ZeroAmount", "deposit zero")
        nav = self.nav(ledger, env)
        shares = self.mintable(amount, nav)
        if shares == 0:
            raise LedgerViolation("NoShares", f"a deposit of {amount} mints no share at NAV {nav}")
        if paused:
            raise LedgerViolation("Paused", "the vault is paused")
        ledger.deposit(ledger.desk, amount, env)
        self.total += shares
        self.held[account] = self.held.get(account, 0) + shares
        return shares

    def request(self, account: str, shares: int, now: int) -> int:
        """``requestWithdrawal``: returns the request's id."""
        if shares == 0:
            raise LedgerViolation("ZeroAmount", "request zero")
        held = self.held.get(account, 0)
        if held < shares:
            raise LedgerViolation("InsufficientShares", f"{account} holds {held}, asked {shares}")
        if held == shares:
            del self.held[account]
        else:
            self.held[account] = held - shares
        request_id = self.count
        self.count += 1
        self.requests[request_id] = Request(account, shares, now + self.lockup)
        return request_id

    def claim(self, ledger: Ledger, env: Env, caller: str, request_id: int, *, paused: bool = False) -> tuple[int, int]:
        """``claim``: returns (shares claimed, amount paid); the payout goes through ``Ledger.withdraw``
        of the desk (the Vault's ``sharePayout``: ``Paused`` while the vault is). On a violation
        both this and ``ledger`` are left as they were."""
        r = self.requests.get(request_id)
        if r is None:
            raise LedgerViolation("UnknownRequest", f"request {request_id}")
        if caller.lower() != r.owner.lower():
            raise LedgerViolation("NotRequestOwner", f"{caller} claims {r.owner}'s request {request_id}")
        if env.now < r.matures_at:
            raise LedgerViolation("NotMature", f"request {request_id} matures at {r.matures_at}")
        nav = self.nav(ledger, env)
        if nav <= 0:
            raise LedgerViolation("NavNotPositive", f"the desk's NAV is {nav}")
        saved = (self.day, self.claimed, self.cap)
        today = env.now // DAY
        if today != self.day:
            self.day, self.claimed, self.cap = today, 0, nav * self.daily_outflow_bps // BPS
        left = max(self.cap - self.claimed, 0)
        most = left * (self.total + OFFSET) // (nav + 1)
        if most == 0:
            self.day, self.claimed, self.cap = saved
            raise LedgerViolation("DailyOutflowExceeded", f"{left} left today")
        shares = min(r.shares, most)
        gross = self.value(shares, nav)
        if gross == 0 and shares < r.shares:  # what is left of today's cap buys no whole unit
            self.day, self.claimed, self.cap = saved
            raise LedgerViolation("DailyOutflowExceeded", f"{left} left today")
        amount = gross - self.fee(gross)
        if amount:
            try:
                if paused:
                    raise LedgerViolation("Paused", "the vault is paused")
                ledger.withdraw(ledger.desk, amount, env)
            except LedgerViolation:
                self.day, self.claimed, self.cap = saved
                raise
        self.claimed += gross
        self.total -= shares
        if shares == r.shares:
            del self.requests[request_id]
        else:
            r.shares -= shares
        return shares, amount
