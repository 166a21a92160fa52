"""A Python mirror of the Vault ledger — margin, funding, house floors, liquidation — exact to the unit.

Every method books what the Vault function of the same name books and raises ``LedgerViolation``
naming the custom error the Vault would revert with; on a violation the ledger is left as it was
(the transaction reverted). ``notional`` is the one place the trade rounding rule lives: a buyer
pays the notional rounded up, a seller receives it rounded down.

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
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.funding import Funding, charge, marks_now, owed, unit_for
from defi_int.params import FUNDING_PERIOD_MAX, FUNDING_PERIOD_MIN, INT96_MAX
from defi_int.types import BPS

#: The accounts no key holds (``Vault.insuranceFund()``, ``Vault.fundingPool()``).
INSURANCE_FUND = to_checksum_address(keccak(text="DefiInt.insuranceFund")[-20:])
FUNDING_POOL = to_checksum_address(keccak(text="DefiInt.fundingPool")[-20:])


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


def book_margin(position: int, price: int, ratio_bps: int, price_scale: int) -> tuple[int, int]:
    """A book's value and requirement at ``price``, both rounded against the account (``BookLib.margin``)."""
    if position == 0:
        return 0, 0
    amount = abs(position) * price
    value = amount // price_scale if position > 0 else -ceil_div(amount, price_scale)
    return value, ceil_div(amount * ratio_bps, price_scale * BPS) if ratio_bps else 0


def is_reducing(before: int, after: int) -> bool:
    """Whether a move from ``before`` to ``after`` only shrinks the position."""
    return (0 <= after < before) if before >= 0 else (before < after <= 0)


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


@dataclass(frozen=True)
class Env:
    """What a ledger call reads beyond the ledger: time, fresh oracle prices, AMM pools."""

    now: int
    prices: Mapping[int, int]
    pools: MutableMapping[int, Pool] = field(default_factory=dict)


@dataclass(frozen=True)
class Liquidation:
    """What ``Ledger.liquidate`` did (the ``Liquidated`` event's fields)."""

    account: str
    market: int
    liquidator: str
    size: int  # signed as the position was
    to_desk: int
    to_amm: int
    amm_quote: int
    mark: int
    penalty: int
    bad_debt: int  # realized now (0: none)


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
    bad_debt: int = 0
    #: Σ (charged - owed exactly) over every funding settlement booked here: what rounding against
    #: the books left in the funding pool; never negative.
    funding_rounding: Fraction = Fraction(0)
    #: The funding settlements the Vault reports in ``FundingSettled``, in order: (account, market,
    #: amount; +: paid), every book but the funding pool's and ``book``'s legs (whose charges it returns).
    settled: list[tuple[str, int, int]] = field(default_factory=list)

    def copy(self) -> Ledger:
        return copy.deepcopy(self)

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
        if amount > INT96_MAX:
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
            if amount > INT96_MAX or balance < amount:
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
        if fee > INT96_MAX:
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

    def book(self, market: int, legs: list[tuple[str, int, int, int]], env: Env) -> list[int]:
        """Books internal legs against the desk like ``Vault.book``; returns the funding each leg's
        account settled (+: paid), as the Vault does.

        Each leg is ``(account, base_delta, quote_delta, fee)``; every account's margin is checked
        after its own leg, the desk's cap and floor once on its net move at the end. On a violation
        the ledger is left unchanged and ``LedgerViolation.leg`` names the leg at fault (the last
        leg for the desk's).
        """
        self._listed(market)
        charges: list[int] = []
        with self._transaction():
            mark, unit = self._accrue(market, env)
            desk_base = desk_quote = fees = total = 0
            for index, (account, base, quote, fee) in enumerate(legs):
                try:
                    if max(abs(base), abs(quote), fee) > INT96_MAX:
                        raise LedgerViolation("AmountOutOfRange", f"leg {base}/{quote}/{fee} beyond the ledger's range")
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
                if last_price == 0 or last_price // 10**9 >= 2**96:
                    raise LedgerViolation("FundingUnitUnavailable", f"market {market} last price {last_price}")
                f.unit = unit_for(last_price)
            f.period, f.cap_bps = period, cap_bps
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
                return self._liquidate(liquidator, account, market, size, env)
        except (LedgerViolation, AmmMathError):
            if saved_pool is not None:
                env.pools[market] = saved_pool
            raise

    def _liquidate(self, liquidator: str, account: str, market: int, size: int, env: Env) -> Liquidation:
        mark, unit = self._accrue(market, env)
        pos, charged = self._apply(account, market, 0, 0, mark, unit)
        total = charged
        value, required = self.margin_state(account, env, self.maintenance_margin_bps)
        if value >= 0 and value >= required:
            raise LedgerViolation("NotLiquidatable", f"{account} holds {value} >= maintenance {required}")
        if pos == 0:
            raise LedgerViolation("NoPosition", f"{account} has no position in market {market}")
        price = env.prices.get(market)
        if price is None:
            raise LedgerViolation("StalePrice", f"market {market} has no fresh oracle price")
        closed = min(size, abs(pos))
        long = pos > 0
        side = 1 if long else -1
        cash = 0
        # The desk takes the account's side at the oracle price, up to its cap.
        desk_inventory = self.position(self.desk, market)
        room = max(self.caps.get(market, 0) - side * desk_inventory, 0)
        to_desk = min(closed, room)
        desk_before = amm_before = 0
        if to_desk:
            amount = to_desk * price
            quote = amount // self.price_scale if long else -ceil_div(amount, self.price_scale)
            cash += quote
            desk_before, desk_charged = self._apply(self.desk, market, side * to_desk, -quote, mark, unit)
            total += desk_charged
        # The rest closes on the AMM, within the slippage bound.
        to_amm, amm_quote = closed - to_desk, 0
        if to_amm:
            if not self.amm:
                raise LedgerViolation("ZeroAddress", "the vault has no AMM to close on")
            slip = self.max_slippage_bps
            if long:
                limit = to_amm * price * (BPS - slip) // (self.price_scale * BPS)
            else:
                limit = ceil_div(to_amm * price * (BPS + slip), self.price_scale * BPS)
            amm_quote = self._amm_close(market, not long, to_amm, limit, env)
            quote = amm_quote if long else -amm_quote
            cash += quote
            amm_before, amm_charged = self._apply(self.amm, market, side * to_amm, -quote, mark, unit)
            total += amm_charged
        self._apply(account, market, -side * closed, cash, mark, unit)
        penalty, liquidator_charged = self._penalty(liquidator, account, market, closed, price, mark, unit, env)
        total += liquidator_charged
        debt = self._realize_bad_debt(account, market, mark, unit)
        self._pool(market, total, mark, unit)
        if to_desk:
            self._check(self.desk, market, desk_before, desk_before + side * to_desk, env)
        if to_amm:
            self._check(self.amm, market, amm_before, amm_before + side * to_amm, env)
        return Liquidation(account, market, liquidator, side * closed, to_desk, to_amm, amm_quote, price, penalty, debt)

    def _amm_close(self, market: int, is_buy: bool, size: int, limit: int, env: Env) -> int:
        if size > 2**128 - 1:
            raise LedgerViolation("SizeOutOfRange", f"size {size}")
        pool = env.pools.get(market)
        if pool is None:
            raise LedgerViolation("PoolNotInitialized", f"market {market} has no AMM pool")
        trial = Pool(pool.base, pool.quote, pool.fee_bps)
        try:
            quote = trial.swap(is_buy, size)
        except AmmMathError as exc:
            raise LedgerViolation(str(exc).split("(")[0], f"the AMM cannot close {size}: {exc}") from exc
        if quote > limit if is_buy else quote < limit:
            raise LedgerViolation("SlippageExceeded", f"the AMM closes {size} for {quote}, limit {limit}")
        if trial.base >= 2**112 or trial.quote >= 2**112:
            raise LedgerViolation("InvalidReserves", f"reserves {trial.base}/{trial.quote}")
        env.pools[market] = trial
        return quote

    def _penalty(
        self, liquidator: str, account: str, market: int, closed: int, price: int, mark: int, unit: int, env: Env
    ) -> tuple[int, int]:
        penalty = ceil_div(closed * price * self.penalty_bps, self.price_scale * BPS)
        left = self.margin_state(account, env, 0)[0]
        if left <= 0:
            return 0, 0
        penalty = min(penalty, left)
        if penalty == 0:
            return 0, 0
        share = penalty * self.liquidator_share_bps // BPS
        self._apply(account, market, 0, -penalty, mark, unit)
        charged = self._apply(liquidator, market, 0, share, mark, unit)[1] if share else 0
        if penalty != share:
            self._apply(INSURANCE_FUND, market, 0, penalty - share, mark, unit)
        return penalty, charged

    def _realize_bad_debt(self, account: str, market: int, mark: int, unit: int) -> int:
        if any(self.position(account, m) for m in self.markets):
            return 0
        debt = -self.cash.get(account, 0)
        if debt <= 0:
            return 0
        self._apply(account, market, 0, debt, mark, unit)
        self._apply(INSURANCE_FUND, market, 0, -debt, mark, unit)
        self.bad_debt += debt
        return debt

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
        if abs(after) > INT96_MAX + (after < 0):
            raise LedgerViolation("AmountOutOfRange", f"{account} position {after} beyond int96")
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
