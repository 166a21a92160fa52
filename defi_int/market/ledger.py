"""A Python mirror of the Vault ledger — margin, funding, house floors, liquidation — exact to the unit.

Every method books what the Vault function of the same name books and raises ``LedgerViolation``
naming the custom error the Vault would revert with; on a violation the ledger is left as it was
(the transaction reverted). The rounding rules and the error live in ``market.books``;
``liquidate`` is ``market.liquidation``.

What the ledger reads beyond itself when a market is touched comes in an ``Env``: the block time,
the fresh oracle prices (a stale market is absent) and the AMM pools (the funding premium; a
liquidation closes on them). A write to a market first brings its funding index up to now
(``Funding.accrue``); a write to a book first settles the book's funding against the funding
pool (``_apply``); then each moved account is held to the rule of its kind (``_check``): the
desk to its cap and floor, the AMM to its floor, anyone else to margin.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction

from defi_int.market import liquidation
from defi_int.market.amm import AmmMathError
from defi_int.market.books import (
    FUNDING_POOL,
    INSURANCE_FUND,
    Env,
    LedgerViolation,
    book_margin,
    ceil_div,
    fee_for,
    is_reducing,
    notional,
)
from defi_int.market.funding import RESOLUTION, Funding, charge, marks_now, owed, unit_for
from defi_int.market.liquidation import Liquidation
from defi_int.params import BOOK_MAX, FUNDING_PERIOD_MAX, FUNDING_PERIOD_MIN
from defi_int.types import BPS

__all__ = [
    "FUNDING_POOL",
    "INSURANCE_FUND",
    "Env",
    "Ledger",
    "LedgerViolation",
    "Liquidation",
    "ceil_div",
    "fee_for",
    "notional",
    "order_margin",
]


def order_margin(
    ledger: Ledger, account: str, market: int, is_buy: bool, size: int, limit_price: int, fee_bps: int, env: Env
) -> tuple[int, int] | None:
    """(equity, required at the initial margin) of ``account`` once ``size`` more is filled on ``is_buy``'s
    side, as the Vault would judge it: the trade at the worse of the limit and the oracle price for the
    trader only as far as the limit allows (a marketable order at the oracle, a resting one at its
    limit), its fee at ``fee_bps`` of that notional, every position valued at the oracle. None when the
    fill would only shrink the position (the Vault always lets that through) or a market the account
    holds has no fresh price (it cannot be valued). What intake checks an order against.
    """
    before = ledger.position(account, market)
    after = before + (size if is_buy else -size)
    mark = env.prices.get(market)
    if is_reducing(before, after) or mark is None:
        return None
    try:
        equity, required = ledger.margin_state(account, env, ledger.initial_margin_bps)
    except LedgerViolation:
        return None
    scale, ratio = ledger.price_scale, ledger.initial_margin_bps
    price = min(limit_price, mark) if is_buy else max(limit_price, mark)
    quote = notional(size, price, scale, is_buy=is_buy)
    value_before, required_before = book_margin(before, mark, ratio, scale)
    value_after, required_after = book_margin(after, mark, ratio, scale)
    cash = -quote if is_buy else quote
    equity += value_after - value_before + cash - fee_for(quote, fee_bps)
    return equity, required - required_before + required_after


@dataclass
class Ledger:
    """Cash, positions and funding marks of every account, plus the Vault's parameters."""

    price_scale: int
    initial_margin_bps: int
    maintenance_margin_bps: int
    desk: str
    fee_recipient: str
    amm: str = ""  # the AMM's book: a house account ("" until named)
    markets: list[int] = field(default_factory=list)
    caps: dict[int, int] = field(default_factory=dict)
    cash: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    positions: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    marks: dict[tuple[str, int], int] = field(default_factory=dict)  # funding mark per book
    funding: dict[int, Funding] = field(default_factory=dict)
    penalty_bps: int = 0
    liquidator_share_bps: int = 0
    max_slippage_bps: int = 0
    liquidation_buffer_bps: int = 0  # the close factor: maintenance plus this much is restored
    full_liquidation_bps: int = 0  # below this share of maintenance the whole position may be closed
    min_liquidation_notional: int = 0  # collateral units
    bad_debt: int = 0
    #: Σ (charged - owed exactly) over every funding settlement booked here: what rounding against
    #: the books left in the funding pool; never negative.
    funding_rounding: Fraction = Fraction(0)
    #: The funding settlements the Vault reports in ``FundingSettled``, in order: (account, market,
    #: amount; +: paid), every book but the funding pool's and ``book``'s legs (whose charges it returns).
    settled: list[tuple[str, int, int]] = field(default_factory=list)

    def copy(self) -> Ledger:
        """An independent copy: every container copied (a ``defaultdict`` stays one), each market's
        ``Funding`` copied; the rest are immutable values (validation copies a ledger per batch)."""
        return replace(
            self,
            markets=list(self.markets),
            caps=self.caps.copy(),
            cash=self.cash.copy(),
            positions=self.positions.copy(),
            marks=self.marks.copy(),
            funding={m: copy.copy(f) for m, f in self.funding.items()},
            settled=list(self.settled),
        )

    # ----------------------------------------------------------------- reads

    def position(self, account: str, market: int) -> int:
        return self.positions.get((account, market), 0)

    def fund(self, market: int) -> Funding:
        return self.funding.setdefault(market, Funding())

    def pending_funding(self, account: str, market: int, now: int) -> int:
        """What the book would settle at ``now`` (``Vault.pendingFunding``)."""
        f = self.fund(market)
        mark = marks_now({market: f}, now)[market]
        return charge(
            self.position(account, market), self.marks.get((account, market), 0), mark, f.unit, self.price_scale
        )

    def margin_state(self, account: str, env: Env, ratio_bps: int) -> tuple[int, int]:
        """(equity, required) as ``Vault._marginState``: pending funding counted, only positions priced."""
        value = self.cash.get(account, 0)
        required = 0
        for market in self.markets:
            pos = self.position(account, market)
            if pos == 0:
                continue
            price = env.prices.get(market)
            if price is None:
                raise LedgerViolation("StalePrice", f"market {market} has no fresh oracle price to value {account}")
            v, r = book_margin(pos, price, ratio_bps, self.price_scale)
            value += v - self.pending_funding(account, market, env.now)
            required += r
        return value, required

    def is_liquidatable(self, account: str, env: Env) -> bool:
        """``Vault.isLiquidatable``: holds a position and its equity is below maintenance."""
        if not any(self.position(account, m) for m in self.markets):
            return False
        value, required = self.margin_state(account, env, self.maintenance_margin_bps)
        return value < 0 or value < required

    def require_margin(self, account: str, env: Env, ratio_bps: int) -> None:
        value, required = self.margin_state(account, env, ratio_bps)
        if value < 0 or value < required:
            raise LedgerViolation("InsufficientMargin", f"{account} would hold equity {value} < required {required}")

    def total_cash(self) -> int:
        return sum(self.cash.values())

    # ------------------------------------------------------------ custody

    def deposit(self, account: str, amount: int, env: Env) -> None:
        """``Vault.deposit``: into the home book, settling its funding first if it holds a position."""
        if amount > BOOK_MAX:
            raise LedgerViolation("AmountOutOfRange", f"deposit {amount} beyond the ledger's range")
        home = self._home()
        with self._transaction():
            if self.position(account, home) == 0:
                self.cash[account] = self.cash.get(account, 0) + amount
                return
            mark, unit = self._accrue(home, env)
            charged = self._apply(account, home, 0, amount, mark, unit)[1]
            self._pool(home, charged, mark, unit)

    def withdraw(self, account: str, amount: int, env: Env) -> None:
        """``Vault.withdraw``: settle funding everywhere, cash must cover, initial margin after."""
        home = self._home()
        with self._transaction():
            self.settle_all(account, env)
            balance = self.cash.get(account, 0)
            if amount > BOOK_MAX or balance < amount:
                raise LedgerViolation("InsufficientCash", f"{account} has {balance} cash, asked {amount} (home {home})")
            self.cash[account] = balance - amount
            self.require_margin(account, env, self.initial_margin_bps)

    def settle_all(self, account: str, env: Env) -> None:
        """Settles the account's funding in every market where it holds a position."""
        for market in self.markets:
            if self.position(account, market):
                mark, unit = self._accrue(market, env)
                self._pool(market, self._apply(account, market, 0, 0, mark, unit)[1], mark, unit)

    # ------------------------------------------------------------- trades

    def trade(
        self, account: str, counterparty: str, market: int, base_delta: int, quote_delta: int, fee: int, env: Env
    ) -> None:
        """Books a trade like ``Vault.trade``; each side is held to the rule of its kind."""
        self._listed(market)
        if fee > BOOK_MAX:
            raise LedgerViolation("AmountOutOfRange", f"fee {fee} beyond the ledger's range")
        with self._transaction():
            mark, unit = self._accrue(market, env)
            before, charged = self._apply(account, market, base_delta, quote_delta - fee, mark, unit)
            counter_before, counter_charged = self._apply(counterparty, market, -base_delta, -quote_delta, mark, unit)
            total = charged + counter_charged
            if fee:
                total += self._apply(self.fee_recipient, market, 0, fee, mark, unit)[1]
            self._pool(market, total, mark, unit)
            self._check(account, market, before, before + base_delta, env)
            self._check(counterparty, market, counter_before, counter_before - base_delta, env)

    def book(
        self,
        market: int,
        legs: list[tuple[str, int, int, int]],
        env: Env,
        *,
        nonces: Callable[[int], None] | None = None,
    ) -> list[int]:
        """Books a run of legs against the desk like ``Vault.book``; returns the funding each leg's
        account settled (+: paid), as the Vault does.

        Each leg is ``(account, base_delta, quote_delta, fee)``; a base of 0 is a fill without an
        internal leg, whose nonce only is recorded. For each leg, in order: the amounts' range,
        ``nonces(index)`` (the order's nonce and remaining size, which the caller keeps; it raises
        ``LedgerViolation`` to refuse), then the leg, and the account's margin after it; the
        desk's cap and floor once on its net move at the end. On a violation the ledger is left
        unchanged and ``LedgerViolation.leg`` names the leg at fault (the last leg for the desk's).
        """
        self._listed(market)
        charges: list[int] = []
        with self._transaction():
            mark, unit = self._accrue(market, env)
            desk_base = desk_quote = fees = total = 0
            for index, (account, base, quote, fee) in enumerate(legs):
                try:
                    if max(abs(base), abs(quote), fee) > BOOK_MAX:
                        raise LedgerViolation("AmountOutOfRange", f"leg {base}/{quote}/{fee} beyond the ledger's range")
                    if nonces is not None:
                        nonces(index)
                    if base == 0:  # the nonce only
                        charges.append(0)
                        continue
                    before, charged = self._apply(account, market, base, quote - fee, mark, unit, log=False)
                    charges.append(charged)
                    total += charged
                    desk_base -= base
                    desk_quote -= quote
                    fees += fee
                    ratio = (
                        self.maintenance_margin_bps if is_reducing(before, before + base) else self.initial_margin_bps
                    )
                    self.require_margin(account, env, ratio)
                except LedgerViolation as exc:
                    exc.leg = index
                    raise
            try:
                if fees:
                    total += self._apply(self.fee_recipient, market, 0, fees, mark, unit)[1]
                desk_before, desk_charged = self._apply(self.desk, market, desk_base, desk_quote, mark, unit)
                self._pool(market, total + desk_charged, mark, unit)
                self._check(self.desk, market, desk_before, desk_before + desk_base, env)
            except LedgerViolation as exc:
                exc.leg = len(legs) - 1
                raise
        return charges

    # ------------------------------------------------------------ funding

    def update_funding(self, market: int, env: Env) -> None:
        """``Vault.updateFunding``."""
        self._listed(market)
        self._accrue(market, env)

    def set_funding(self, market: int, period: int, cap_bps: int, last_price: int, env: Env) -> None:
        """``Vault.setFunding``; ``last_price`` is the oracle's last price, stale or not."""
        if (period and not FUNDING_PERIOD_MIN <= period <= FUNDING_PERIOD_MAX) or cap_bps > BPS:
            raise LedgerViolation("InvalidFundingParams", f"period {period}, cap {cap_bps} bps")
        self._listed(market)
        with self._transaction():
            self._accrue(market, env)
            f = self.fund(market)
            if f.unit == 0 and period:
                if last_price == 0 or last_price // RESOLUTION >= 2**96:
                    raise LedgerViolation("FundingUnitUnavailable", f"market {market} last price {last_price}")
                f.unit = unit_for(last_price)
            f.period, f.cap_bps = period, cap_bps
            self._accrue(market, env)

    def set_funding_impact(self, market: int, notional: int, env: Env) -> None:
        """``Vault.setFundingImpact``: the index brought up to now, then sampled at the new notional."""
        if notional > BOOK_MAX:
            raise LedgerViolation("AmountOutOfRange", f"impact notional {notional}")
        self._listed(market)
        with self._transaction():
            self._accrue(market, env)
            self.fund(market).impact = notional
            self._accrue(market, env)

    # -------------------------------------------------------- liquidation

    def liquidate(self, liquidator: str, account: str, market: int, size: int, env: Env) -> Liquidation:
        """``Vault.liquidate``; closing on the AMM moves ``env.pools[market]``."""
        if account in (self.desk, self.amm, INSURANCE_FUND, FUNDING_POOL):
            raise LedgerViolation("CannotLiquidate", f"{account} is a house account")
        if size == 0:
            raise LedgerViolation("ZeroAmount", "liquidate zero")
        self._listed(market)
        saved_pool = env.pools.get(market)
        try:
            with self._transaction():
                return liquidation.liquidate(self, liquidator, account, market, size, env)
        except (LedgerViolation, AmmMathError):
            if saved_pool is not None:
                env.pools[market] = saved_pool
            raise

    # ------------------------------------------------------------- internals

    def _home(self) -> int:
        if not self.markets:
            raise LedgerViolation("MarketNotListed", "no market is listed")
        return self.markets[0]

    def _listed(self, market: int) -> None:
        if market not in self.markets:
            raise LedgerViolation("MarketNotListed", f"market {market}")

    def _accrue(self, market: int, env: Env) -> tuple[int, int]:
        f = self.fund(market)
        pool = env.pools.get(market) if self.amm else None
        f.accrue(env.now, env.prices.get(market), pool, self.price_scale)
        return f.mark, f.unit

    def _apply(
        self, account: str, market: int, base: int, cash: int, mark: int, unit: int, *, log: bool = True
    ) -> tuple[int, int]:
        """Settles the book's funding at ``mark`` and applies the deltas; returns (position before, charge).

        A nonzero charge is noted in ``settled`` (``log``), unless the book is the funding pool's."""
        key = (account, market)
        before = self.position(account, market)
        then = self.marks.get(key, 0)
        charged = charge(before, then, mark, unit, self.price_scale)
        if before and then != mark:
            self.funding_rounding += charged - owed(before, then, mark, unit, self.price_scale)
        after = before + base
        if abs(after) > BOOK_MAX + (after < 0):
            raise LedgerViolation("AmountOutOfRange", f"{account} position {after} beyond int88")
        self.positions[key] = after
        self.cash[account] = self.cash.get(account, 0) + cash - charged
        self.marks[key] = mark
        if charged and log and account != FUNDING_POOL:
            self.settled.append((account, market, charged))
        return before, charged

    def _pool(self, market: int, total: int, mark: int, unit: int) -> None:
        if total:
            self._apply(FUNDING_POOL, market, 0, total, mark, unit)

    def _check(self, account: str, market: int, before: int, after: int, env: Env) -> None:
        if account == self.desk:
            cap = self.caps.get(market, 0)
            if abs(after) > cap and abs(after) >= abs(before):
                raise LedgerViolation(
                    "InventoryCapExceeded", f"desk inventory {after} beyond cap {cap} in market {market}"
                )
        if account in (self.desk, self.amm):
            if after != before and not is_reducing(before, after):
                self.require_margin(account, env, self.maintenance_margin_bps)
            return
        ratio = self.maintenance_margin_bps if is_reducing(before, after) else self.initial_margin_bps
        self.require_margin(account, env, ratio)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Leaves the ledger as it was when the block raises (the Vault call reverted)."""
        saved = (
            dict(self.cash),
            dict(self.positions),
            dict(self.marks),
            {m: copy.copy(f) for m, f in self.funding.items()},
            self.bad_debt,
            self.funding_rounding,
            len(self.settled),
        )
        try:
            yield
        except LedgerViolation:
            self.cash.clear()
            self.cash.update(saved[0])
            self.positions.clear()
            self.positions.update(saved[1])
            self.marks.clear()
            self.marks.update(saved[2])
            self.funding.clear()
            self.funding.update(saved[3])
            self.bad_debt = saved[4]
            self.funding_rounding = saved[5]
            del self.settled[saved[6] :]
            raise
