"""A venue on the Python mirrors of the contracts: the keeper's decisions run without an EVM.

``MirrorVenue`` holds the world the way the contracts do, in the package's exact mirrors: the
Vault ledger (``market.ledger``), the AMM pools (``market.amm``), the Settlement's nonce states and
partial fills, the oracle's posts with their times, a block number and a clock that moves one
second per transaction, and a block gas limit. It implements ``keeper.venue.Venue``:

- ``snapshot``: a copy of that world as a ``BatchView`` at the next block's time;
- ``simulate`` / ``settle``: ``orders.validation.replay``, the off-chain replay of ``settle``
  (signatures included), on a copy; the first fill at fault reverts the whole batch with the
  ``ContractRevert`` the chain would raise (the Settlement's errors name the order's digest, the
  Vault's and the AMM's do not), otherwise the copy becomes the world and each fill emits its
  ``FillEvent``; a batch whose gas (``base_gas + gas_per_fill·n``) passes the block gas limit is
  refused, as a node refuses it;
- ``hedge``: the desk's own swap on the AMM, held to its quote limit (``SlippageExceeded``);
- ``liquidate``: ``Ledger.liquidate`` from the venue's ``liquidator``, as ``Vault.liquidate``.

Every call that writes books reports the funding they settled as the Vault logs it (a fill's own
on its ``FillEvent``, the other books' as ``FundingCharge``s, from ``Ledger.settled``).

What the world does between batches is up to the test: ``fund`` (starting margin, in no block),
``post_price``, ``advance``, ``cancel``, ``deposit``, ``withdraw``, ``swap``. The mirrors are the
ones the differential and ghost-ledger tests hold equal to the contracts, so the keeper tested
here is tested against the chain's rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address

from defi_int.exceptions import ContractRevert, TransactionFailed
from defi_int.keeper.hedging import HedgeOrder
from defi_int.keeper.liquidator import LiquidationOrder
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.venue import (
    FundingCharge,
    HedgeReceipt,
    LiquidationEvent,
    LiquidationReceipt,
    MarketState,
    SettleReceipt,
    Snapshot,
)
from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.ledger import INSURANCE_FUND, Ledger, LedgerViolation
from defi_int.orders.booking import FillEvent
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Order
from defi_int.orders.validation import CANCELLED, FILLED, BatchView, Replay, replay
from defi_int.reasons import Reason
from defi_int.types import ONE

#: Reasons whose custom error carries the order's digest (the Settlement's own checks).
_NAMES_DIGEST = frozenset(
    {
        Reason.EXPIRED,
        Reason.FEE_ABOVE_MAX,
        Reason.EMPTY_FILL,
        Reason.BAD_SIGNATURE,
        Reason.ALREADY_FILLED,
        Reason.CANCELLED,
        Reason.OVERFILL,
        Reason.LIMIT_NOT_MET,
        Reason.OUTSIDE_BAND,
        Reason.AMM_BETTER,
        Reason.AMM_NOT_ALLOWED,
        Reason.AMM_LIMIT_NOT_MET,
    }
)
_SETTLEMENT = to_checksum_address("0x" + "5e" * 20)
_DESK = to_checksum_address("0x" + "de" * 20)
_AMM = to_checksum_address("0x" + "a3" * 20)
_FEES = to_checksum_address("0x" + "fe" * 20)
_LIQUIDATOR = to_checksum_address("0x" + "11" * 20)


@dataclass(frozen=True)
class MirrorMarket:
    """One market of a mirror world: oracle price, AMM virtual reserves and fee, the desk's cap."""

    market_id: int = 0
    price: int = 2_000 * ONE
    amm_base: int = 1_000 * ONE
    amm_fee_bps: int = 30
    inventory_cap: int = 100 * ONE
    funding_period: int = 0
    funding_cap_bps: int = 0
    funding_impact_notional: int = 20_000  # whole tokens


@dataclass
class MirrorVenue:
    """The world of the contracts in Python, behind the venue interface; see the module docstring."""

    world: BatchView  # ledger, pools, nonce states, partial fills; ``now`` is the latest block's time
    oracle: dict[int, tuple[int, int]]  # market -> (price, posted at)
    max_age: int
    gas_limit: int = 60_000_000
    base_gas: int = 200_000
    gas_per_fill: int = 130_000
    block: int = 1
    settled: list[SettleReceipt] = field(default_factory=list)  # every settle that went through

    @classmethod
    def new(
        cls,
        markets: Sequence[MirrorMarket] = (MirrorMarket(),),
        *,
        chain_id: int = 1,
        now: int = 2_000_000_000,
        decimals: int = 6,
        max_deviation_bps: int = 100,
        initial_margin_bps: int = 1_000,
        maintenance_margin_bps: int = 500,
        oracle_max_age: int = 3_600,
        desk_cash: int = 2_000_000,
        amm_cash: int = 5_000_000,
        gas_limit: int = 60_000_000,
        liquidation_penalty_bps: int = 250,
        liquidator_share_bps: int = 5_000,
        liquidation_slippage_bps: int = 200,
        liquidation_buffer_bps: int = 100,
        full_liquidation_bps: int = 5_000,
        min_liquidation_notional: int = 10,
    ) -> MirrorVenue:
        """A fresh world like ``deploy_system``'s: listed markets, funded desk and AMM (whole tokens)."""
        scale = 10 ** (36 - decimals)
        ledger = Ledger(
            price_scale=scale,
            initial_margin_bps=initial_margin_bps,
            maintenance_margin_bps=maintenance_margin_bps,
            desk=_DESK,
            fee_recipient=_FEES,
            amm=_AMM,
            markets=[m.market_id for m in markets],
            caps={m.market_id: m.inventory_cap for m in markets},
            penalty_bps=liquidation_penalty_bps,
            liquidator_share_bps=liquidator_share_bps,
            max_slippage_bps=liquidation_slippage_bps,
            liquidation_buffer_bps=liquidation_buffer_bps,
            full_liquidation_bps=full_liquidation_bps,
            min_liquidation_notional=min_liquidation_notional * 10**decimals,
        )
        pools = {m.market_id: Pool(m.amm_base, m.amm_base * m.price // scale, m.amm_fee_bps) for m in markets}
        world = BatchView(Domain(chain_id, _SETTLEMENT), now, scale, max_deviation_bps, ledger, {}, pools, _DESK, _AMM)
        oracle = {m.market_id: (m.price, now) for m in markets}
        venue = cls(world, oracle, oracle_max_age, gas_limit)
        env = venue._at(now).env
        for m in markets:
            if m.funding_impact_notional:
                ledger.set_funding_impact(m.market_id, m.funding_impact_notional * 10**decimals, env)
            if m.funding_period:
                ledger.set_funding(m.market_id, m.funding_period, m.funding_cap_bps, m.price, env)
        ledger.deposit(_DESK, desk_cash * 10**decimals, env)
        ledger.deposit(_AMM, amm_cash * 10**decimals, env)
        return venue

    # ------------------------------------------------------------------ the venue

    @property
    def domain(self) -> Domain:
        return self.world.domain

    @property
    def now(self) -> int:
        """The latest block's time."""
        return self.world.now

    @property
    def liquidator(self) -> str:
        return _LIQUIDATOR

    def snapshot(self, orders: Mapping[bytes, Order], accounts: Iterable[str] = (), *, house: bool = True) -> Snapshot:
        view = self._at(self.now + 1)  # the mirror's ledger holds every book, ``house`` or not
        markets = {}
        for m in view.ledger.markets:
            price, posted = self.oracle.get(m, (0, 0))
            markets[m] = MarketState(
                market=m,
                oracle_price=price,
                updated_at=posted,
                max_age=self.max_age,
                fresh=m in view.prices,
                pool=None
                if m not in view.pools
                else Pool(view.pools[m].base, view.pools[m].quote, view.pools[m].fee_bps),
                inventory=view.ledger.position(view.desk, m),
                inventory_cap=view.ledger.caps.get(m, 0),
            )
        max_fills = max(0, (self.gas_limit - self.base_gas) // self.gas_per_fill)
        return Snapshot(view, markets, self.block, self.gas_limit, max_fills)

    def simulate(self, fills: Sequence[PlannedFill]) -> None:
        self._run(fills)

    def settle(self, fills: Sequence[PlannedFill]) -> SettleReceipt:
        gas = self.base_gas + self.gas_per_fill * len(fills)
        if gas > self.gas_limit:
            raise TransactionFailed(f"settle of {len(fills)} fills needs {gas} gas, over the block's {self.gas_limit}")
        self._mine()
        logged = len(self.world.ledger.settled)
        view, run = self._run(fills)
        events = [
            FillEvent(
                p.digest,
                p.order.trader,
                p.fill.internal_size,
                p.fill.internal_price if p.fill.internal_size else 0,
                p.fill.amm_size,
                legs.amm_quote,
                legs.fee,
                self.block,
                funding=run.funding.get(index, 0),
                is_buy=p.order.is_buy,
                fee_bps=p.fill.fee_bps,
                index=index,  # one fill after the other, in batch order
            )
            for index, (p, legs) in enumerate(zip(fills, run.expected, strict=True))
        ]
        self._commit(view)
        funding = self._funding(logged)
        receipt = SettleReceipt(f"mirror:{self.block}", self.block, self.now, gas, events, funding)
        self.settled.append(receipt)
        return receipt

    def hedge(self, order: HedgeOrder) -> HedgeReceipt:
        self._mine()
        view = self._at(self.now)
        pool = view.pools.get(order.market)
        if pool is None:
            raise ContractRevert("PoolNotInitialized", {"market": order.market}, "PerpAmm")
        logged = len(view.ledger.settled)
        quote = self._swap(view, view.desk, pool, order.market, order.is_buy, order.size, order.limit_quote)
        self._commit(view)
        return HedgeReceipt(quote, 100_000, self.block, self._funding(logged), self.now)

    def liquidate(self, order: LiquidationOrder) -> LiquidationReceipt:
        self._mine()
        view = self._at(self.now)
        logged = len(view.ledger.settled)
        fund_before = max(view.ledger.cash.get(INSURANCE_FUND, 0), 0)
        try:
            done = view.ledger.liquidate(_LIQUIDATOR, order.account, order.market, order.size, view.env)
        except LedgerViolation as exc:
            raise ContractRevert(exc.error, {"account": order.account}, "Vault") from exc
        except AmmMathError as exc:
            raise ContractRevert(str(exc).split("(")[0], {}, "PerpAmm") from exc
        self._commit(view)
        event = LiquidationEvent(
            account=done.account,
            market=done.market,
            liquidator=done.liquidator,
            size=done.size,
            to_desk=done.to_desk,
            to_amm=done.to_amm,
            amm_quote=done.amm_quote,
            mark=done.mark,
            penalty=done.penalty,
            bad_debt=done.bad_debt,
            uncovered=max(done.bad_debt - fund_before, 0),
            block=self.block,
        )
        return LiquidationReceipt(event, 150_000, self.block, self._funding(logged))

    # ----------------------------------------------------------------- the world

    def post_price(self, market: int, price: int) -> None:
        """The oracle posts ``price`` in a new block."""
        self._mine()
        self.oracle[market] = (price, self.now)

    def advance(self, seconds: int) -> None:
        """The clock moves ``seconds`` on (the next block comes that much later)."""
        self.world.now += seconds

    def cancel(self, order: Order) -> None:
        """The trader cancels ``order`` on-chain (its nonce becomes CANCELLED)."""
        self._mine()
        state = self.world.nonce_state(order.trader, order.nonce)
        if state in (FILLED, CANCELLED):
            digest = order_digest(order, self.domain)
            raise ContractRevert(
                "OrderAlreadyFilled" if state == FILLED else "OrderIsCancelled", {"digest": digest}, "Settlement"
            )
        self.world.nonce_states[(order.trader.lower(), order.nonce)] = CANCELLED

    def fund(self, account: str, amount: int) -> None:
        """Credits ``amount`` to ``account``'s cash as of now, in no block (a world's starting margin)."""
        self.world.ledger.deposit(account, amount, self._at(self.now).env)

    def deposit(self, account: str, amount: int) -> None:
        self._mine()
        view = self._at(self.now)
        try:
            view.ledger.deposit(account, amount, view.env)
        except LedgerViolation as exc:
            raise ContractRevert(exc.error, {"account": account}, "Vault") from exc
        self._commit(view)

    def withdraw(self, account: str, amount: int) -> None:
        self._mine()
        view = self._at(self.now)
        try:
            view.ledger.withdraw(account, amount, view.env)
        except LedgerViolation as exc:
            raise ContractRevert(exc.error, {"account": account}, "Vault") from exc
        self._commit(view)

    def swap(self, account: str, market: int, is_buy: bool, size: int, limit_quote: int) -> int:
        """``account`` trades the AMM directly (an arbitrageur); returns the quote traded."""
        self._mine()
        view = self._at(self.now)
        pool = view.pools[market]
        quote = self._swap(view, account, pool, market, is_buy, size, limit_quote)
        self._commit(view)
        return quote

    # ------------------------------------------------------------------ helpers

    def _at(self, now: int) -> BatchView:
        """A copy of the world at time ``now``, with the oracle prices still fresh then."""
        view = self.world.copy()
        view.now = now
        view.prices = {m: p for m, (p, at) in self.oracle.items() if now <= at + self.max_age}
        return view

    def _mine(self) -> None:
        self.block += 1
        self.world.now += 1

    def _commit(self, view: BatchView) -> None:
        view.now = self.world.now
        self.world = view

    def _funding(self, logged: int) -> list[FundingCharge]:
        """The funding settlements the world's ledger noted since it held ``logged`` of them; the
        notes are then dropped (the world's copies stay small)."""
        settled = self.world.ledger.settled
        charges = [FundingCharge(a, m, amount, self.block) for a, m, amount in settled[logged:]]
        del settled[:]
        return charges

    def _run(self, fills: Sequence[PlannedFill]) -> tuple[BatchView, Replay]:
        """``settle(fills)`` on a copy of the world; raises the chain's revert for the first fill at fault."""
        if not fills:
            raise ContractRevert("EmptyBatch", {}, "Settlement")
        view = self._at(self.now)
        run = replay(fills, view, signatures=True)
        if run.failure is not None:
            _, rejection = run.failure
            args = {"digest": rejection.digest} if rejection.reason in _NAMES_DIGEST else {}
            raise ContractRevert(rejection.reason.error or rejection.reason.code, args, "Settlement")
        return view, run

    @staticmethod
    def _swap(view: BatchView, account: str, pool: Pool, market: int, is_buy: bool, size: int, limit: int) -> int:
        try:
            quote = pool.quote_buy(size) if is_buy else pool.quote_sell(size)
        except AmmMathError as exc:
            raise ContractRevert(str(exc), {}, "PerpAmm") from exc
        if quote > limit if is_buy else quote < limit:
            raise ContractRevert("SlippageExceeded", {"quote": quote, "limitQuote": limit}, "PerpAmm")
        base, cash = (size, -quote) if is_buy else (-size, quote)
        # The AMM moves its reserves, then the Vault books the trade (sampling the moved pool's premium).
        view.pools[market] = Pool(pool.base, pool.quote, pool.fee_bps)
        view.pools[market].swap(is_buy, size)
        try:
            view.ledger.trade(account, view.amm, market, base, cash, 0, view.env)
        except LedgerViolation as exc:
            raise ContractRevert(exc.error, {}, "Vault") from exc
        return quote
