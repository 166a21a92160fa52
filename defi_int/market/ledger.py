"""A Python mirror of the Vault ledger and its margin rules, exact to the unit.

``Ledger.trade`` books a trade the way ``Vault.trade`` does and raises ``LedgerViolation`` naming
the on-chain custom error the Vault would revert with. ``notional`` is the one place the rounding
rule lives: a buyer pays the notional rounded up, a seller receives it rounded down.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from defi_int.types import BPS


class LedgerViolation(Exception):
    """A ledger rule the Vault enforces would fail; ``error`` is the Vault's custom error name."""

    def __init__(self, error: str, detail: str) -> None:
        self.error = error
        self.detail = detail
        self.leg: int | None = None
        super().__init__(f"{error}: {detail}")


def ceil_div(a: int, b: int) -> int:
    return 0 if a == 0 else (a - 1) // b + 1


def notional(size: int, price: int, price_scale: int, *, is_buy: bool) -> int:
    """Collateral units for ``size`` at ``price``, rounded against the trader."""
    raw = size * price
    return ceil_div(raw, price_scale) if is_buy else raw // price_scale


def fee_for(amount: int, fee_bps: int) -> int:
    """The desk fee on ``amount``, rounded up."""
    return ceil_div(amount * fee_bps, BPS)


@dataclass
class Ledger:
    """Cash and positions of every account, plus the Vault's risk parameters."""

    price_scale: int
    initial_margin_bps: int
    maintenance_margin_bps: int
    desk: str
    fee_recipient: str
    exempt: frozenset[str] = frozenset()  # operators' books (the AMM)
    markets: list[int] = field(default_factory=list)
    caps: dict[int, int] = field(default_factory=dict)
    cash: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    positions: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))

    def copy(self) -> Ledger:
        return copy.deepcopy(self)

    def position(self, account: str, market: int) -> int:
        return self.positions.get((account, market), 0)

    def margin_state(self, account: str, prices: Mapping[int, int], ratio_bps: int) -> tuple[int, int]:
        """(equity, required) as ``Vault._marginState`` computes them."""
        value = self.cash.get(account, 0)
        required = 0
        for market in self.markets:
            pos = self.position(account, market)
            if pos == 0:
                continue
            amount = abs(pos) * prices[market]
            value += amount // self.price_scale if pos > 0 else -ceil_div(amount, self.price_scale)
            if ratio_bps:
                required += ceil_div(amount * ratio_bps, self.price_scale * BPS)
        return value, required

    def require_margin(self, account: str, prices: Mapping[int, int], ratio_bps: int) -> None:
        value, required = self.margin_state(account, prices, ratio_bps)
        if value < 0 or value < required:
            raise LedgerViolation("InsufficientMargin", f"{account} would hold equity {value} < required {required}")

    def deposit(self, account: str, amount: int) -> None:
        self.cash[account] = self.cash.get(account, 0) + amount

    def withdraw(self, account: str, amount: int, prices: Mapping[int, int]) -> None:
        balance = self.cash.get(account, 0)
        if balance < amount:
            raise LedgerViolation("InsufficientCash", f"{account} has {balance} cash, asked {amount}")
        self.cash[account] = balance - amount
        try:
            self.require_margin(account, prices, self.initial_margin_bps)
        except LedgerViolation:
            self.cash[account] = balance
            raise

    def trade(
        self,
        account: str,
        counterparty: str,
        market: int,
        base_delta: int,
        quote_delta: int,
        fee: int,
        prices: Mapping[int, int],
    ) -> None:
        """Books a trade like ``Vault.trade``; on a violation the ledger is left unchanged.

        The account is held to margin; the counterparty too unless it is the desk (held to its
        inventory cap instead) or an exempt operator book (the AMM).
        """
        if market not in self.markets:
            raise LedgerViolation("MarketNotListed", f"market {market}")
        saved_cash = dict(self.cash)
        saved_positions = dict(self.positions)
        try:
            self.cash[account] = self.cash.get(account, 0) + quote_delta - fee
            self.cash[counterparty] = self.cash.get(counterparty, 0) - quote_delta
            if fee:
                self.cash[self.fee_recipient] = self.cash.get(self.fee_recipient, 0) + fee
            before = self.position(account, market)
            self.positions[(account, market)] = before + base_delta
            counter_before = self.position(counterparty, market)
            self.positions[(counterparty, market)] = counter_before - base_delta
            self._check_account(account, before, before + base_delta, prices)
            if counterparty == self.desk:
                self._check_cap(market, counter_before, counter_before - base_delta)
            elif counterparty not in self.exempt:
                self._check_account(counterparty, counter_before, counter_before - base_delta, prices)
        except LedgerViolation:
            self._restore(saved_cash, saved_positions)
            raise

    def book(self, market: int, legs: list[tuple[str, int, int, int]], prices: Mapping[int, int]) -> int | None:
        """Books internal legs against the desk like ``Vault.book``.

        Each leg is ``(account, base_delta, quote_delta, fee)``; every account's margin is checked
        after its own leg, the desk's cap once on its net inventory at the end. Returns ``None`` on
        success; on a violation the ledger is left unchanged and ``LedgerViolation.leg`` names the
        leg at fault (the last leg for a cap breach).
        """
        if market not in self.markets:
            raise LedgerViolation("MarketNotListed", f"market {market}")
        saved_cash = dict(self.cash)
        saved_positions = dict(self.positions)
        desk_base = desk_quote = fees = 0
        try:
            for index, (account, base, quote, fee) in enumerate(legs):
                before = self.position(account, market)
                self.positions[(account, market)] = before + base
                self.cash[account] = self.cash.get(account, 0) + quote - fee
                desk_base -= base
                desk_quote -= quote
                fees += fee
                try:
                    self._check_account(account, before, before + base, prices)
                except LedgerViolation as exc:
                    exc.leg = index
                    raise
            if fees:
                self.cash[self.fee_recipient] = self.cash.get(self.fee_recipient, 0) + fees
            desk_before = self.position(self.desk, market)
            self.positions[(self.desk, market)] = desk_before + desk_base
            self.cash[self.desk] = self.cash.get(self.desk, 0) + desk_quote
            try:
                self._check_cap(market, desk_before, desk_before + desk_base)
            except LedgerViolation as exc:
                exc.leg = len(legs) - 1
                raise
        except LedgerViolation:
            self._restore(saved_cash, saved_positions)
            raise
        return None

    def _check_cap(self, market: int, before: int, after: int) -> None:
        cap = self.caps.get(market, 0)
        if abs(after) > cap and abs(after) >= abs(before):
            raise LedgerViolation("InventoryCapExceeded", f"desk inventory {after} beyond cap {cap} in market {market}")

    def _restore(self, saved_cash: dict[str, int], saved_positions: dict[tuple[str, int], int]) -> None:
        self.cash.clear()
        self.cash.update(saved_cash)
        self.positions.clear()
        self.positions.update(saved_positions)

    def _check_account(self, account: str, before: int, after: int, prices: Mapping[int, int]) -> None:
        if account in self.exempt:
            return
        reducing = (after >= 0 and after < before) if before >= 0 else (after <= 0 and after > before)
        self.require_margin(account, prices, self.maintenance_margin_bps if reducing else self.initial_margin_bps)

    def total_cash(self) -> int:
        return sum(self.cash.values())
