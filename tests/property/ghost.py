"""The ghost ledger of ``test_ledger_state_machine``: the model the chain must equal after every step.

``Ghost`` is the model: a ``BatchView`` (the Python mirror of the Vault ledger with its funding
marks and indexes, the AMM pools, nonce states and partial fills) plus what the view leaves out —
the oracle's last prices and their times (``tick`` derives the fresh prices at the next block's
time), the token balance of the vault and the traders' wallets. It is read from the chain once,
when the module starts; after that it moves only by its own rules. Every action is first
*predicted*: a ``Prediction`` names the custom errors the chain must revert with (none: the chain
must accept), and ``commit`` applies the action to the model once the chain agreed. Fills are
judged by ``validate_batch``, the keeper's own replay of ``Settlement.settle``; AMM swaps by
``Pool`` and ``Ledger.trade`` with the AMM as counterparty (a house book: its floor); deposits,
withdrawals, funding updates and liquidations by ``Ledger``; the desk's depositors' shares (deposits,
withdrawal requests, claims) by ``market.shares.Shares`` on that ledger.

The chain side of every check is read in one ``eth_call`` by ``defi_int.chain.multiread.read_many``:
on py-evm each ``eth_call`` costs ~12 ms before any contract code runs, and checking the whole
ledger takes ~30 views per step.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.ledger import Env, LedgerViolation, Liquidation
from defi_int.market.shares import Shares
from defi_int.orders.eip712 import order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.validation import CANCELLED, FILLED, OPEN, BatchView, validate_batch

INT96_MAX = 2**95 - 1
UINT112_MAX = 2**112 - 1


# --------------------------------------------------------------------------- the model


@dataclass
class Prediction:
    """What the chain must do: revert with one of ``errors``, or (no errors) accept."""

    errors: frozenset[str] = frozenset()
    detail: str = ""
    commit: Callable[[], None] = lambda: None

    @property
    def accepts(self) -> bool:
        return not self.errors


def reject(*errors: str, detail: str = "") -> Prediction:
    return Prediction(frozenset(errors), detail or ", ".join(errors))


@dataclass
class Ghost:
    """The model ledger; see the module docstring."""

    view: BatchView
    vault_balance: int  # token.balanceOf(vault)
    wallets: dict[str, int]  # traders' tokens outside the vault
    owner: str
    oracle: dict[int, tuple[int, int]]  # market -> the last posted price and its time
    max_age: int
    shares: Shares  # the desk's depositors' shares
    orders: dict[bytes, Order] = field(default_factory=dict)  # every order signed so far, by digest
    amounts: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))  # base units filled per digest
    last_liquidation: Liquidation | None = None  # what the last accepted liquidation did

    def fork(self) -> Ghost:
        return copy.deepcopy(self)

    # -------------------------------------------------------------- queries

    @property
    def desk(self) -> str:
        return self.view.desk

    @property
    def amm(self) -> str:
        return self.view.amm

    @property
    def fee_recipient(self) -> str:
        return self.view.ledger.fee_recipient

    def cash(self, account: str) -> int:
        return self.view.ledger.cash.get(account, 0)

    def position(self, account: str, market: int) -> int:
        return self.view.ledger.position(account, market)

    def price(self, market: int) -> int:
        """The fresh oracle price (KeyError while stale)."""
        return self.view.prices[market]

    def last_price(self, market: int) -> int:
        """The last posted oracle price, stale or not."""
        return self.oracle[market][0]

    def tick(self, now: int) -> None:
        """The next transaction lands at ``now``: the fresh prices are those posted within ``max_age``."""
        self.view.now = now
        self.view.prices = {m: p for m, (p, at) in self.oracle.items() if at and now <= at + self.max_age}

    def pool(self, market: int) -> Pool:
        return self.view.pools[market]

    def cap(self, market: int) -> int:
        return self.view.ledger.caps.get(market, 0)

    def digest(self, order: Order) -> bytes:
        return order_digest(order, self.view.domain)

    def nonce_state(self, trader: str, nonce: int) -> int:
        return self.view.nonce_state(trader, nonce)

    def filled(self, digest: bytes) -> int:
        """What ``Settlement.filled(digest)`` holds: only orders filled in parts record a total."""
        return self.view.filled.get(digest, 0)

    def remaining(self, order: Order) -> int:
        """What ``Settlement.remaining(order)`` returns."""
        state = self.nonce_state(order.trader, order.nonce)
        if state in (FILLED, CANCELLED):
            return 0
        if state == OPEN:
            return order.size
        return order.size - self.filled(self.digest(order))

    def free_margin(self, account: str) -> int:
        """Equity above the initial margin: what a withdrawal may take while margin still holds."""
        ledger = self.view.ledger
        try:
            equity, required = ledger.margin_state(account, self.view.env, ledger.initial_margin_bps)
        except LedgerViolation:  # a position in a stale market: nothing can be priced
            return 0
        return equity - required

    # ---------------------------------------------------------- predictions

    def settle(self, fills: Sequence[Fill]) -> Prediction:
        """``Settlement.settle(fills)``: the chain reverts on the first fill ``validate_batch`` rejects."""
        for fill in fills:
            self.orders.setdefault(self.digest(fill.order), fill.order)
        check = validate_batch(list(fills), self.view)
        if check.rejected:
            reasons = [exc for _, exc in check.rejected]
            return reject(
                *(exc.reason.error or exc.reason.code for exc in reasons), detail="; ".join(map(str, reasons))
            )

        def commit() -> None:
            self.view = check.view
            for fill in fills:
                self.amounts[self.digest(fill.order)] += fill.amount

        return Prediction(commit=commit)

    def cancel(self, caller: str, order: Order) -> Prediction:
        """``Settlement.cancel(order)`` sent by ``caller``."""
        digest = self.digest(order)
        self.orders.setdefault(digest, order)
        if caller.lower() != order.trader.lower():
            return reject("NotOrderTrader")
        state = self.nonce_state(order.trader, order.nonce)
        if state == FILLED:
            return reject("OrderAlreadyFilled")
        if state == CANCELLED:
            return reject("OrderIsCancelled")

        def commit() -> None:
            self.view.nonce_states[(order.trader.lower(), order.nonce)] = CANCELLED

        return Prediction(commit=commit)

    def deposit(self, account: str, amount: int) -> Prediction:
        """``Vault.deposit(amount)`` from ``account``'s wallet (the vault is approved for everything)."""
        if self.view.paused:
            return reject("Paused")
        if amount == 0:
            return reject("ZeroAmount")
        if amount > INT96_MAX:
            return reject("AmountOutOfRange")
        if self.wallets.get(account, 0) < amount:
            return reject("InsufficientBalance", detail=f"wallet {self.wallets.get(account, 0)} < {amount}")

        def commit() -> None:
            self.wallets[account] -= amount
            self.view.ledger.deposit(account, amount, self.view.env)
            self.vault_balance += amount

        return Prediction(commit=commit)

    def withdraw(self, account: str, amount: int, *, to: str) -> Prediction:
        """``Vault.withdraw(amount)`` by ``account`` (or ``withdrawDesk(to, amount)`` for the desk)."""
        if self.view.paused:
            return reject("Paused")
        if amount == 0:
            return reject("ZeroAmount")
        ledger = self.view.ledger.copy()
        try:
            ledger.withdraw(account, amount, self.view.env)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.ledger = ledger
            self.vault_balance -= amount
            if to in self.wallets:
                self.wallets[to] += amount

        return Prediction(commit=commit)

    def swap(self, account: str, market: int, is_buy: bool, size: int, limit_quote: int) -> Prediction:
        """``PerpAmm.swap`` sent by ``account``: the AMM's own account is the counterparty, no fee."""
        pool = self.view.pools.get(market)
        if size >= 2**128:
            return reject("SizeOutOfRange")
        if pool is None:
            return reject("PoolNotInitialized")
        trial = Pool(pool.base, pool.quote, pool.fee_bps)
        try:
            quote = trial.swap(is_buy, size)
        except AmmMathError as exc:
            return reject(str(exc))
        if quote > limit_quote if is_buy else quote < limit_quote:
            return reject("SlippageExceeded", detail=f"quote {quote} vs limit {limit_quote}")
        if trial.base > UINT112_MAX or trial.quote > UINT112_MAX:
            return reject("InvalidReserves")
        if self.view.paused:
            return reject("Paused")
        ledger = self.view.ledger.copy()
        base_delta, quote_delta = (size, -quote) if is_buy else (-size, quote)
        pools = {**self.view.pools, market: trial}  # the AMM moves before the Vault books
        try:
            ledger.trade(
                account, self.amm, market, base_delta, quote_delta, 0, Env(self.view.now, self.view.prices, pools)
            )
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.pools[market] = trial
            self.view.ledger = ledger

        return Prediction(commit=commit)

    def liquidate(self, liquidator: str, account: str, market: int, size: int) -> Prediction:
        """``Vault.liquidate`` sent by ``liquidator``; closing on the AMM moves its pool."""
        if self.view.paused:
            return reject("Paused")
        ledger = self.view.ledger.copy()
        pools = {m: Pool(p.base, p.quote, p.fee_bps) for m, p in self.view.pools.items()}
        try:
            done = ledger.liquidate(liquidator, account, market, size, Env(self.view.now, self.view.prices, pools))
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.ledger = ledger
            self.view.pools = pools
            self.last_liquidation = done

        return Prediction(commit=commit)

    def update_funding(self, market: int) -> Prediction:
        """``Vault.updateFunding(market)``: anyone, paused or not."""
        ledger = self.view.ledger.copy()
        try:
            ledger.update_funding(market, self.view.env)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.ledger = ledger

        return Prediction(commit=commit)

    def set_funding(self, market: int, period: int, cap_bps: int) -> Prediction:
        """``Vault.setFunding`` by the owner."""
        ledger = self.view.ledger.copy()
        try:
            ledger.set_funding(market, period, cap_bps, self.last_price(market), self.view.env)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.ledger = ledger

        return Prediction(commit=commit)

    def set_funding_impact(self, market: int, notional: int) -> Prediction:
        """``Vault.setFundingImpact`` by the owner: the index brought up to now, sampled anew."""
        ledger = self.view.ledger.copy()
        try:
            ledger.set_funding_impact(market, notional, self.view.env)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.ledger = ledger

        return Prediction(commit=commit)

    # ------------------------------------------------------------- shares

    def nav_per_share(self, now: int | None = None) -> Fraction | None:
        """What one share is worth at ``now`` (default: the next transaction's time); None while
        the desk cannot be valued (a stale market)."""
        env = self.view.env
        if now is not None:
            prices = {m: p for m, (p, at) in self.oracle.items() if at and now <= at + self.max_age}
            env = Env(now, prices, self.view.pools)
        try:
            return self.shares.nav_per_share(self.view.ledger, env)
        except LedgerViolation:
            return None

    def share_deposit(self, account: str, amount: int) -> Prediction:
        """``DeskShares.deposit(amount)`` from ``account``'s wallet (the Vault approved for everything)."""
        ledger, shares = self.view.ledger.copy(), self.shares.copy()
        try:
            shares.deposit(ledger, self.view.env, account, amount, paused=self.view.paused)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))
        if self.wallets.get(account, 0) < amount:
            return reject("InsufficientBalance", detail=f"wallet {self.wallets.get(account, 0)} < {amount}")

        def commit() -> None:
            self.wallets[account] -= amount
            self.view.ledger, self.shares = ledger, shares
            self.vault_balance += amount

        return Prediction(commit=commit)

    def share_request(self, account: str, amount: int) -> Prediction:
        """``DeskShares.requestWithdrawal(amount)`` by ``account``."""
        shares = self.shares.copy()
        try:
            shares.request(account, amount, self.view.now)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.shares = shares

        return Prediction(commit=commit)

    def share_claim(self, caller: str, request_id: int) -> Prediction:
        """``DeskShares.claim(request_id)`` by ``caller``; pays the request's owner."""
        ledger, shares = self.view.ledger.copy(), self.shares.copy()
        owner = shares.requests[request_id].owner if request_id in shares.requests else ""
        try:
            _, amount = shares.claim(ledger, self.view.env, caller, request_id, paused=self.view.paused)
        except LedgerViolation as exc:
            return reject(exc.error, detail=str(exc))

        def commit() -> None:
            self.view.ledger, self.shares = ledger, shares
            self.vault_balance -= amount
            self.wallets[owner] = self.wallets.get(owner, 0) + amount

        return Prediction(commit=commit)

    # ------------------------------------------------ owner actions (always accepted)

    def set_share_params(self, lockup: int, fee_bps: int, daily_outflow_bps: int) -> None:
        self.shares.set_params(lockup, fee_bps, daily_outflow_bps)

    def set_close_factor(self, buffer_bps: int, full_bps: int, minimum: int) -> None:
        ledger = self.view.ledger
        ledger.liquidation_buffer_bps, ledger.full_liquidation_bps = buffer_bps, full_bps
        ledger.min_liquidation_notional = minimum

    def set_liquidation_params(self, penalty_bps: int, share_bps: int, slippage_bps: int) -> None:
        ledger = self.view.ledger
        ledger.penalty_bps, ledger.liquidator_share_bps, ledger.max_slippage_bps = penalty_bps, share_bps, slippage_bps

    def mint(self, account: str, amount: int) -> None:
        self.wallets[account] = self.wallets.get(account, 0) + amount

    def set_price(self, market: int, price: int) -> None:
        """Posted in the block at ``view.now``."""
        self.oracle[market] = (price, self.view.now)
        self.view.prices[market] = price

    def set_cap(self, market: int, cap: int) -> None:
        self.view.ledger.caps[market] = cap

    def set_paused(self, paused: bool) -> None:
        self.view.paused = paused
