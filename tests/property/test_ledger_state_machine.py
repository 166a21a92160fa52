"""The Vault ledger equals a ghost ledger after every step (solmate ``BalanceSum``, permit2 actors).

A hypothesis ``RuleBasedStateMachine`` drives one deployed system with two markets (2,000 and 50 USD,
funding on in both: one-hour period, 5 % cap) and the five plugin traders: signed fills settled by
the keeper in either market and through either entry point (random sides, sizes from dust to beyond
the pool, internal/AMM splits, internal prices inside and outside the oracle band and exactly on
the band, limit and best-execution edges, fees, market orders, expired and wrongly signed orders,
partial fills, over-fills and replays of earlier orders, nonces shared between orders, two fills in
one batch across markets), cancels, deposits, withdrawals by traders and by the desk (exactly at and
one unit past the margin and cash limits), direct AMM swaps, oracle moves and jumps, time passing
(funding accrues, prices go stale), funding updates and parameter changes (the premium's impact
notional among them), liquidations by any trader of any trader (and of house accounts, refused)
under changing close factors and liquidation parameters, closed by the desk, the AMM, both or
neither (a drained desk, a cap, a pool pushed past the slippage bound), inventory-cap changes, and
pauses probed by an action that must fail.

The ghost (``ghost.Ghost``) predicts every step before it is sent: the custom error the chain must
revert with, or that it must accept. Fills are judged by ``validate_batch``, the keeper's own
replay of ``settle``; liquidations, funding and the rest by the ``Ledger`` mirror. After every step
one batched read of the chain must show:

1. ``token.balanceOf(vault) == Σ cash`` over every account (traders, desk, AMM, fee recipient,
   insurance fund, funding pool), equal to the ghost's balance, to the unit;
2. ``Σ position == 0`` in each market;
3. ``|inventory| <= cap`` in each market unless it moved towards zero since the previous step;
4. every account's cash, positions and funding marks equal to the ghost's, and the bad debt;
5. each market's funding index, premium and update time equal to the ghost's; and funding is zero-
   sum: the funding pool's cash plus everything every book still owes exactly equals the rounding
   the mirror recorded, which is never negative;
6. every order's ``nonceState`` and ``filled`` equal to the ghost's, and the size the chain's
   ``FillsSettled`` logs report per order equal to the ghost's and never above the order's size;
7. each AMM pool equal to the ghost's;
8. the desk's shares equal to the ghost's (every holder's, the requests, the day's outflow) and the
   NAV per share, ``(deskNav + 1) / (totalShares + OFFSET)``, equal to the mirror's whenever the
   desk can be valued; and no deposit, request or claim ever lowers it.

One chain per module; every hypothesis example starts from a snapshot and is reverted after, so the
examples are isolated and the ghost is read from the chain only once. Before every action the ghost
learns the time of the block it will land in (the chain's clock is an input, not state).
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import partial
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from ghost import Ghost, Prediction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from web3.types import TxReceipt

from defi_int.chain import Chain, MarketParams, System, SystemParams
from defi_int.chain.deploy import settle_calldata
from defi_int.chain.multiread import Read, read_many
from defi_int.chain.views import batch_view, fill_events, read_ledger, read_shares
from defi_int.exceptions import ContractRevert
from defi_int.market.funding import Funding, mark_of, owed
from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND, ceil_div
from defi_int.market.shares import OFFSET
from defi_int.orders.model import Fill, Order
from defi_int.orders.signing import sign_digest
from defi_int.testing import build_session
from defi_int.types import BPS, ONE

MARKETS = (0, 1)
PARAMS = SystemParams(
    markets=(
        MarketParams(market_id=0, funding_period=3_600, funding_cap_bps=500),
        MarketParams(
            market_id=1,
            price=50 * ONE,
            amm_base=20_000 * ONE,
            inventory_cap=2_000 * ONE,
            funding_period=3_600,
            funding_cap_bps=500,
        ),
    )
)
#: Traders from this index on keep only THIN_MARGIN of cash (20,000 USD): leveraged, liquidatable.
THIN = 3
THIN_MARGIN = 20_000 * 10**6
PPM = 1_000_000
MAX_UINT128 = 2**128 - 1
LIVE_FOR = 10**7  # seconds: live orders outlive the test
EXPIRED_FOR = 3_600  # seconds: long enough that a replay on an earlier block still sees it expired
NONCES = (0, 1, 2, 127, 128, 2**256 - 1)  # few per trader, so orders share nonces; bitmap word edges
FRESH_NONCES = 1_000  # and up: never shared
SHARE_LOCKUP = 600  # seconds

# On top of the suite's "defi" profile (tests/conftest.py): derandomized with no database under CI,
# so CI always runs the same 20 examples; locally each run explores new ones. About 35 s of CPU.
# A deeper run: DEFI_INT_GHOST_EXAMPLES=500 (about 15 minutes of CPU).
SETTINGS = settings(
    max_examples=int(os.environ.get("DEFI_INT_GHOST_EXAMPLES", "20")),
    stateful_step_count=15,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- the deployed system


@dataclass
class Session:
    chain: Chain
    system: System
    traders: list[LocalAccount]
    read: Callable[[Sequence[Read]], list[Any]]  # many views in one eth_call
    template: Ghost  # the chain's state when the module started, read once

    @property
    def accounts(self) -> list[str]:
        """Every account that can hold cash or a position."""
        g = self.template
        return [*(t.address for t in self.traders), g.desk, g.amm, g.fee_recipient, INSURANCE_FUND, FUNDING_POOL]


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    chain = Chain.embedded()
    system, traders = build_session(chain, PARAMS)
    token, vault = system.token, system.vault
    for trader in traders:
        chain.transact(trader, token.functions.approve(vault.address, 2**256 - 1), gas=60_000)
    for trader in traders[THIN:]:  # thin margin: their positions can be liquidated
        cash = chain.call(vault.functions.cash(trader.address))
        chain.transact(trader, vault.functions.withdraw(cash - THIN_MARGIN), gas=300_000)
    owner = system.owner
    chain.transact(owner, token.functions.approve(vault.address, 2**256 - 1), gas=60_000)
    system.mint(owner.address, 10**12)  # the owner can add capital too
    # withdrawal requests mature within a few steps of `pass_time`
    chain.transact(owner, system.desk_shares.functions.setParams(SHARE_LOCKUP, 10, 1_000), gas=100_000)
    holders = [*(t.address for t in traders), owner.address]
    view = batch_view(system, [])
    view.ledger = read_ledger(system, [t.address for t in traders])
    template = Ghost(
        view=view,
        vault_balance=chain.call(token.functions.balanceOf(vault.address)),
        wallets={a: chain.call(token.functions.balanceOf(a)) for a in holders},
        owner=owner.address,
        oracle={m: tuple(chain.call(system.oracle.functions.latest(m))) for m in MARKETS},
        max_age=chain.call(system.oracle.functions.maxAge()),
        shares=read_shares(system, holders),
    )
    yield Session(chain, system, traders, partial(read_many, chain), template)


# --------------------------------------------------------------------------- what the rules draw


@dataclass(frozen=True)
class OrderSpec:
    """A new order, its prices relative to the oracle when it is signed."""

    trader: int
    market: int
    is_buy: bool
    size: int
    limit_bps: int | None  # limit = oracle moved by bps against the trader; None: a market order
    nonce: int | None  # None: a nonce the trader has not used yet
    max_fee_bps: int
    allow_amm: bool
    expired: bool
    signer: int | None  # another trader signs it: InvalidSigner


@dataclass(frozen=True)
class FillSpec:
    """The keeper's decision for an order, relative to what is left of it."""

    amount_ppm: int  # of the remaining size (of the whole size once nothing is left); > PPM over-fills
    internal_ppm: int  # share of the amount filled against the desk; the rest goes to the AMM
    price: int | str  # oracle moved by bps against the trader, or an edge: "band", "limit", "amm"
    edge: int  # added to an edge price, in its last unit
    fee_bps: int


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, drawn in proportion to its weight; shrinks towards the first."""
    total = sum(weight for weight, _ in choices)

    def pick(i: int) -> st.SearchStrategy[Any]:
        for weight, strategy in choices:
            if i < weight:
                return strategy
            i -= weight
        raise AssertionError(i)

    return st.integers(0, total - 1).flatmap(pick)


sizes = weighted(
    (3, st.integers(ONE // 100, 40 * ONE)),
    (1, st.integers(1, 10**6)),  # dust: the notional rounds to 0 or 1 unit, the AMM pays 0
    (1, st.integers(40 * ONE, 3_000 * ONE)),  # past the cap, the pool, the margin
)
order_specs = st.builds(
    OrderSpec,
    trader=st.integers(0, 4),
    market=st.sampled_from(MARKETS),
    is_buy=st.booleans(),
    size=sizes,
    limit_bps=weighted(
        (4, st.integers(0, 300)), (2, st.integers(300, 1_500)), (1, st.integers(-300, 0)), (1, st.none())
    ),
    nonce=st.sampled_from(NONCES),
    max_fee_bps=weighted((5, st.just(30)), (1, st.integers(0, 30))),
    allow_amm=weighted((9, st.just(True)), (1, st.just(False))),
    expired=weighted((19, st.just(False)), (1, st.just(True))),
    signer=weighted((19, st.none()), (1, st.integers(0, 4))),
)
fill_specs = st.builds(
    FillSpec,
    amount_ppm=weighted(
        (5, st.just(PPM)),
        (4, st.integers(1, PPM)),
        (1, st.sampled_from([0, PPM + 1]) | st.integers(PPM, PPM + PPM // 5)),
    ),
    internal_ppm=weighted(
        (3, st.just(PPM)), (3, st.integers(9 * PPM // 10, PPM)), (1, st.just(0)), (1, st.integers(0, PPM))
    ),
    price=weighted(
        (4, st.integers(-30, 30)), (2, st.integers(-150, 150)), (1, st.sampled_from(["band", "limit", "amm"]))
    ),
    edge=st.integers(-1, 1),
    fee_bps=weighted((3, st.integers(1, 30)), (1, st.just(0))),
)
# What a keeper would send: live orders signed by their trader, limits with room, fills inside the
# band and no worse than the AMM for small sizes, the fee within the cap, mostly internal.
keeper_order_specs = st.builds(
    OrderSpec,
    trader=st.integers(0, 4),
    market=st.sampled_from(MARKETS),
    is_buy=st.booleans(),
    size=st.integers(ONE // 100, 40 * ONE),
    limit_bps=st.integers(50, 1_000) | st.none(),
    nonce=st.none(),
    max_fee_bps=st.just(30),
    allow_amm=st.just(True),
    expired=st.just(False),
    signer=st.none(),
)
keeper_fill_specs = st.builds(
    FillSpec,
    amount_ppm=st.just(PPM) | st.integers(1, PPM),
    internal_ppm=st.just(PPM) | st.integers(9 * PPM // 10, PPM),
    price=st.integers(-30, 25),
    edge=st.just(0),
    fee_bps=st.integers(0, 30),
)


@dataclass(frozen=True)
class Crash:
    """What happens before a liquidation: the victim's trade, the desk's state, a push, the jump."""

    long: bool
    leverage: int  # the victim's new position, in multiples of its equity
    health_bps: int  # the oracle moves so the victim's equity is about this share of its maintenance
    desk: str  # "as-is", "drained" (its free cash paid out) or "no-cap"
    push: bool  # another trader pushes the pool the victim's way by a tenth of its base


crashes = st.builds(
    Crash,
    long=st.booleans(),
    leverage=st.integers(3, 9),
    # below maintenance (the close factor), below half of it (the whole position), underwater (bad
    # debt), or still above it
    health_bps=weighted(
        (3, st.integers(5_000, 9_900)),
        (2, st.integers(0, 5_000)),
        (1, st.integers(-5_000, 0)),
        (1, st.integers(10_000, 12_000)),
    ),
    desk=st.sampled_from(["as-is", "drained", "no-cap"]),
    push=weighted((3, st.just(False)), (1, st.just(True))),
)
liquidation_sizes = weighted((3, st.just(2**200)), (2, st.integers(1, 40 * ONE)), (1, st.just(0)))
withdraw_modes = weighted((2, st.just("free")), (2, st.just("part")), (1, st.just("cash")), (1, st.just("zero")))
parts = weighted((3, st.integers(0, PPM)), (1, st.just(PPM)))
deposits = weighted((9, st.integers(1, 10**12)), (1, st.just(0)))


# --------------------------------------------------------------------------- the machine


class LedgerMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.s = session
        self.system = session.system
        self.snapshot = session.chain.snapshot()
        self.ghost = session.template.fork()
        self.filled_by_events: dict[bytes, int] = defaultdict(int)  # per digest, from FillsSettled logs
        self.last_inventory = {m: self.ghost.position(self.ghost.desk, m) for m in MARKETS}
        self.fresh_nonces = itertools.count(FRESH_NONCES)
        self.entries = itertools.cycle([True, False])  # settleCompact, then settle(Fill[]), in turn

    def teardown(self) -> None:
        self.s.chain.revert(self.snapshot)

    # ------------------------------------------------------ sending, predicted

    def expect(self, what: str, prediction: Prediction, send: Callable[[], TxReceipt]) -> TxReceipt | None:
        """Sends; the chain must do what ``prediction`` says, then the ghost takes the step too."""
        try:
            receipt = send()
        except ContractRevert as exc:
            assert not prediction.accepts, f"{what}: the ghost accepts it, the chain reverted: {exc}"
            assert exc.error_name in prediction.errors, (
                f"{what}: the chain reverted with {exc.error_name}, the ghost expects "
                f"{sorted(prediction.errors)} ({prediction.detail})"
            )
            return None
        assert prediction.accepts, (
            f"{what}: the chain accepted it, the ghost expects {sorted(prediction.errors)} ({prediction.detail})"
        )
        prediction.commit()
        return receipt

    def transact(self, sender: LocalAccount, fn: Any, gas: int) -> Callable[[], TxReceipt]:
        return lambda: self.s.chain.transact(sender, fn, gas=gas)

    def tick(self) -> None:
        """The next transaction lands in the next block: the ghost learns its time."""
        self.ghost.tick(self.s.chain.next_timestamp())

    def trader(self, index: int) -> LocalAccount:
        return self.s.traders[index]

    def owner_of(self, order: Order) -> LocalAccount:
        return next(t for t in self.s.traders if t.address == order.trader)

    # ------------------------------------------------------------ orders, fills

    def make_order(self, spec: OrderSpec) -> tuple[Order, bytes]:
        mark, side = self.ghost.last_price(spec.market), 1 if spec.is_buy else -1
        if spec.limit_bps is None:
            limit = MAX_UINT128 if spec.is_buy else 0
        else:
            limit = max(0, mark * (BPS + side * spec.limit_bps) // BPS)
        now = self.ghost.view.now
        order = Order(
            trader=self.trader(spec.trader).address,
            market=spec.market,
            is_buy=spec.is_buy,
            size=spec.size,
            limit_price=limit,
            expiry=now - EXPIRED_FOR if spec.expired else now + LIVE_FOR,
            nonce=next(self.fresh_nonces) if spec.nonce is None else spec.nonce,
            max_fee_bps=spec.max_fee_bps,
            allow_amm=spec.allow_amm,
        )
        signer = self.trader(spec.trader if spec.signer is None else spec.signer)
        return order, sign_digest(signer, self.ghost.digest(order))

    def make_fill(self, order: Order, signature: bytes, spec: FillSpec) -> Fill:
        left = self.ghost.remaining(order) or order.size
        amount = left * spec.amount_ppm // PPM
        internal = amount * spec.internal_ppm // PPM
        price = self.internal_price(order, internal, spec)
        return Fill(order, signature, internal, price, amount - internal, spec.fee_bps)

    def internal_price(self, order: Order, size: int, spec: FillSpec) -> int:
        mark, side = self.ghost.last_price(order.market), 1 if order.is_buy else -1
        if isinstance(spec.price, int):
            price = mark * (BPS + side * spec.price) // BPS
        elif spec.price == "band":  # the band's edge on the trader's worse side
            price = mark + side * (mark * self.ghost.view.max_deviation_bps // BPS) + spec.edge
        elif spec.price == "limit":
            price = order.limit_price + spec.edge
        else:  # "amm": the worst price best execution allows for this size
            price = self.amm_equivalent(order.market, order.is_buy, size) + spec.edge
        return min(max(price, 0), MAX_UINT128)

    def amm_equivalent(self, market: int, is_buy: bool, size: int) -> int:
        pool, scale = self.ghost.pool(market), self.ghost.view.price_scale
        if size == 0 or (is_buy and size >= pool.base):
            return self.ghost.last_price(market)
        if is_buy:
            return pool.quote_buy(size) * scale // size
        return ceil_div(pool.quote_sell(size) * scale, size)

    def settle(self, fills: list[Fill]) -> None:
        self.tick()
        compact = next(self.entries)
        data = settle_calldata(fills, compact=compact)
        tx = {"to": self.system.settlement.address, "data": data, "gas": 1_500_000}
        receipt = self.expect(
            f"{'settleCompact' if compact else 'settle'}({fills})",
            self.ghost.settle(fills),
            lambda: self.s.chain.send(self.system.keeper, tx, label="settle"),
        )
        if receipt is None:
            return
        for logged in fill_events(self.system, receipt):
            self.filled_by_events[logged.digest] += logged.internal_size + logged.amm_size

    def settle_new(self, spec: OrderSpec, fill: FillSpec) -> Order:
        order, signature = self.make_order(spec)
        self.settle([self.make_fill(order, signature, fill)])
        return order

    # ------------------------------------------------------------ cash, AMM

    def deposit_(self, trader: int, amount: int, mint: bool) -> None:
        account = self.trader(trader)
        self.tick()
        if mint and amount:
            self.s.chain.transact(
                self.system.owner, self.system.token.functions.mint(account.address, amount), gas=100_000
            )
            self.ghost.mint(account.address, amount)
            self.tick()
        fn = self.system.vault.functions.deposit(amount)
        self.expect(
            f"deposit({amount}) by {account.address}",
            self.ghost.deposit(account.address, amount),
            self.transact(account, fn, 400_000),
        )

    def withdrawal(self, account: str, mode: str, part_ppm: int, edge: int) -> int:
        """An amount at a limit (all free margin or all cash, ``edge`` units past it), a part, or zero."""
        cash = self.ghost.cash(account)
        if mode == "zero":
            return 0
        if mode == "free":
            amount = min(self.ghost.free_margin(account), cash) + edge
        elif mode == "cash":
            amount = cash + edge
        else:
            amount = max(cash, 0) * part_ppm // PPM
        return max(amount, 1)

    def withdraw_(self, trader: int, mode: str, part_ppm: int, edge: int) -> None:
        account = self.trader(trader)
        self.tick()
        amount = self.withdrawal(account.address, mode, part_ppm, edge)
        prediction = self.ghost.withdraw(account.address, amount, to=account.address)
        fn = self.system.vault.functions.withdraw(amount)
        self.expect(f"withdraw({amount}) by {account.address}", prediction, self.transact(account, fn, 600_000))

    def holder(self, index: int) -> LocalAccount:
        """Depositors: the traders, and the owner (index 5), whose capital is shares like anyone's."""
        return self.system.owner if index == len(self.s.traders) else self.trader(index)

    def share_op(self, what: str, prediction: Prediction, send: Callable[[], TxReceipt]) -> TxReceipt | None:
        """A share operation: predicted like any other, and it never lowers the NAV per share."""
        before = self.ghost.nav_per_share()
        receipt = self.expect(what, prediction, send)
        after = self.ghost.nav_per_share()
        if receipt is not None and before is not None and after is not None:
            assert after >= before, f"{what} lowered the NAV per share from {before} to {after}"
        return receipt

    def deposit_shares_(self, holder: int, amount: int) -> None:
        account = self.holder(holder)
        self.tick()
        fn = self.system.desk_shares.functions.deposit(amount)
        prediction = self.ghost.share_deposit(account.address, amount)
        self.share_op(f"shares.deposit({amount}) by {account.address}", prediction, self.transact(account, fn, 400_000))

    def request_shares_(self, holder: int, part_ppm: int, edge: int) -> None:
        account = self.holder(holder)
        self.tick()
        amount = self.ghost.shares.held.get(account.address, 0) * part_ppm // PPM + edge
        fn = self.system.desk_shares.functions.requestWithdrawal(amount)
        prediction = self.ghost.share_request(account.address, amount)
        self.share_op(f"shares.requestWithdrawal({amount})", prediction, self.transact(account, fn, 300_000))

    def claim_shares_(self, holder: int, request_id: int) -> None:
        account = self.holder(holder)
        self.tick()
        fn = self.system.desk_shares.functions.claim(request_id)
        prediction = self.ghost.share_claim(account.address, request_id)
        self.share_op(
            f"shares.claim({request_id}) by {account.address}", prediction, self.transact(account, fn, 600_000)
        )

    def drain_desk_(self, part_ppm: int) -> None:
        """The owner takes ``part_ppm`` of the desk's free cash out through its shares at once (no
        lock-up, no daily cap for the occasion: the owner sets them first)."""
        g, owner = self.ghost, self.system.owner
        self.set_share_params(0, 10, 10_000)
        self.tick()
        nav = g.nav_per_share()
        free = min(g.free_margin(g.desk), g.cash(g.desk)) * part_ppm // PPM
        held = g.shares.held.get(owner.address, 0)
        if nav is None or free <= 0 or not held:
            return
        amount = min(int(free / nav), held)
        request_id = g.shares.count
        self.request_shares_(len(self.s.traders), amount * PPM // held if held else 0, 0)
        self.claim_shares_(len(self.s.traders), request_id)

    def swap_(self, trader: int, market: int, is_buy: bool, size: int, slack_bps: int, edge: int) -> None:
        """The trader's limit is the ghost's quote, loosened by ``slack_bps``, ``edge`` units off."""
        account, pool = self.trader(trader), self.ghost.pool(market)
        self.tick()
        try:
            quote = pool.quote_buy(size) if is_buy else pool.quote_sell(size)
        except ArithmeticError:  # the pool cannot fill it: any limit
            quote = self.ghost.last_price(market) * size // self.ghost.view.price_scale
        limit = max(quote + (1 if is_buy else -1) * (quote * slack_bps // BPS) + edge, 0)
        prediction = self.ghost.swap(account.address, market, is_buy, size, limit)
        fn = self.system.amm.functions.swap(market, is_buy, size, limit)
        self.expect(
            f"swap(market={market}, buy={is_buy}, size={size}, limit={limit}) by {account.address}",
            prediction,
            self.transact(account, fn, 500_000),
        )

    # ------------------------------------------------------------------ rules

    @rule(target=orders, spec=keeper_order_specs, fill=keeper_fill_specs)
    def settle_as_a_keeper_would(self, spec: OrderSpec, fill: FillSpec) -> Order:
        return self.settle_new(spec, fill)

    @rule(target=orders, spec=order_specs, fill=fill_specs)
    def settle_anything(self, spec: OrderSpec, fill: FillSpec) -> Order:
        return self.settle_new(spec, fill)

    @rule(order=orders, fill=fill_specs)
    def settle_again(self, order: Order, fill: FillSpec) -> None:
        """Another fill of an earlier order: the next part, the rest, an over-fill or a replay."""
        signature = sign_digest(self.owner_of(order), self.ghost.digest(order))
        self.settle([self.make_fill(order, signature, fill)])

    @rule(
        a=keeper_order_specs,
        fill_a=keeper_fill_specs,
        b=order_specs | keeper_order_specs,
        fill_b=fill_specs | keeper_fill_specs,
        other=st.integers(1, 4),
        b_first=st.booleans(),
    )
    def settle_two(
        self, a: OrderSpec, fill_a: FillSpec, b: OrderSpec, fill_b: FillSpec, other: int, b_first: bool
    ) -> None:
        """Two fills by different traders in one batch; the ghost replays them in the same order."""
        b = replace(b, trader=(a.trader + other) % len(self.s.traders))
        (order_a, sig_a), (order_b, sig_b) = self.make_order(a), self.make_order(b)
        fills = [self.make_fill(order_a, sig_a, fill_a), self.make_fill(order_b, sig_b, fill_b)]
        self.settle(fills[::-1] if b_first else fills)

    @rule(order=orders, by_trader=weighted((4, st.just(True)), (1, st.just(False))))
    def cancel(self, order: Order, by_trader: bool) -> None:
        trader = self.owner_of(order)
        sender = trader if by_trader else next(t for t in self.s.traders if t is not trader)
        fn = self.system.settlement.functions.cancel(order.as_tuple())
        self.tick()
        prediction = self.ghost.cancel(sender.address, order)
        self.expect(f"cancel({order}) by {sender.address}", prediction, self.transact(sender, fn, 200_000))

    @rule(trader=st.integers(0, 4), amount=deposits, mint=weighted((3, st.just(True)), (1, st.just(False))))
    def deposit(self, trader: int, amount: int, mint: bool) -> None:
        self.deposit_(trader, amount, mint)

    @rule(trader=st.integers(0, 4), mode=withdraw_modes, part_ppm=parts, edge=st.integers(0, 1))
    def withdraw(self, trader: int, mode: str, part_ppm: int, edge: int) -> None:
        self.withdraw_(trader, mode, part_ppm, edge)

    @rule(holder=st.integers(0, 5), amount=deposits)
    def deposit_shares(self, holder: int, amount: int) -> None:
        self.deposit_shares_(holder, amount)

    @rule(holder=st.integers(0, 5), part_ppm=parts, edge=weighted((5, st.just(0)), (1, st.just(1))))
    def request_shares(self, holder: int, part_ppm: int, edge: int) -> None:
        self.request_shares_(holder, part_ppm, edge)

    @rule(holder=weighted((4, st.just(None)), (1, st.integers(0, 5))), pick=st.integers(0, 10**6))
    def claim_shares(self, holder: int | None, pick: int) -> None:
        """A request's owner (or, now and then, someone else) claims it, mature or not."""
        requests = self.ghost.shares.requests
        if requests and pick % 8:
            request_id = sorted(requests)[pick % len(requests)]
        else:
            request_id = pick % (self.ghost.shares.count + 1)
        if holder is None:
            owner = requests[request_id].owner if request_id in requests else self.system.owner.address
            holder = next((i for i in range(6) if self.holder(i).address == owner), 0)
        self.claim_shares_(holder, request_id)

    @rule(part_ppm=parts)
    def drain_desk(self, part_ppm: int) -> None:
        self.drain_desk_(part_ppm)

    @rule(
        lockup=st.sampled_from([0, SHARE_LOCKUP, 3_600]),
        fee_bps=st.sampled_from([0, 10, 100]),
        daily_bps=st.sampled_from([1, 1_000, 10_000]),
    )
    def set_share_params(self, lockup: int, fee_bps: int, daily_bps: int) -> None:
        fn = self.system.desk_shares.functions.setParams(lockup, fee_bps, daily_bps)
        self.s.chain.transact(self.system.owner, fn, gas=100_000)
        self.ghost.set_share_params(lockup, fee_bps, daily_bps)

    @rule(
        trader=st.integers(0, 4),
        market=st.sampled_from(MARKETS),
        is_buy=st.booleans(),
        size=sizes,
        slack_bps=st.integers(-5, 100),
        edge=st.integers(-1, 1),
    )
    def swap_on_amm(self, trader: int, market: int, is_buy: bool, size: int, slack_bps: int, edge: int) -> None:
        self.swap_(trader, market, is_buy, size, slack_bps, edge)

    @rule(
        market=st.sampled_from(MARKETS),
        bps=weighted((6, st.integers(-150, 150)), (1, st.just(0)), (2, st.integers(-2_500, 2_500))),
        wei=st.integers(-1, 1),
    )
    def move_oracle(self, market: int, bps: int, wei: int) -> None:
        """A move or a jump (up to 25 %: past any margin, so liquidations and bad debt happen)."""
        price = max(self.ghost.last_price(market) * (BPS + bps) // BPS + wei, 1)
        self.tick()
        self.system.set_price(market, price)
        self.ghost.set_price(market, price)

    @rule(seconds=weighted((4, st.integers(1, 600)), (1, st.integers(600, 5_000))))
    def pass_time(self, seconds: int) -> None:
        """Time passes before the next block: funding accrues, prices may go stale."""
        self.s.chain.set_next_block_timestamp(self.s.chain.next_timestamp() + seconds)

    @rule(market=st.sampled_from(MARKETS), by=st.integers(0, 4))
    def update_funding(self, market: int, by: int) -> None:
        self.tick()
        fn = self.system.vault.functions.updateFunding(market)
        self.expect(
            f"updateFunding({market})", self.ghost.update_funding(market), self.transact(self.trader(by), fn, 200_000)
        )

    @rule(
        market=st.sampled_from(MARKETS),
        period=st.sampled_from([0, 3_600, 8 * 3_600]),
        cap_bps=st.sampled_from([0, 100, 500, 10_000]),
    )
    def set_funding(self, market: int, period: int, cap_bps: int) -> None:
        self.tick()
        fn = self.system.vault.functions.setFunding(market, period, cap_bps)
        self.expect(
            f"setFunding({market}, {period}, {cap_bps})",
            self.ghost.set_funding(market, period, cap_bps),
            self.transact(self.system.owner, fn, 300_000),
        )

    @rule(
        liquidator=st.integers(0, 4),
        victim=weighted(
            (6, st.integers(THIN, 4)),
            (2, st.integers(0, 4)),
            (1, st.sampled_from(["desk", "amm", "insurance", "pool"])),
        ),
        market=st.sampled_from(MARKETS),
        size=liquidation_sizes,
        crash=weighted((3, crashes), (1, st.none())),
    )
    def liquidate(self, liquidator: int, victim: int | str, market: int, size: int, crash: Crash | None) -> None:
        """A liquidation, after a crash when one is drawn (every step predicted: any may be refused)."""
        if crash is not None and isinstance(victim, int):
            self.crash(victim, market, crash)
        self.liquidate_(liquidator, victim, market, size)

    @rule(
        liquidator=st.integers(0, 4),
        victim=st.integers(THIN, 4),
        market=st.sampled_from(MARKETS),
        size=liquidation_sizes,
        crash=crashes,
    )
    def liquidate_after_a_crash(self, liquidator: int, victim: int, market: int, size: int, crash: Crash) -> None:
        """The same, always after a crash: the close factor, the desk drained or capped, the pool pushed."""
        self.crash(victim, market, crash)
        self.liquidate_(liquidator, victim, market, size)

    def crash(self, victim: int, market: int, crash: Crash) -> None:
        """The victim trades on the AMM at ``crash.leverage`` times its equity (long or short); the
        desk is drained or capped, the pool pushed the victim's way past the slippage bound, when
        drawn; then the oracle moves against the victim until its equity is about
        ``crash.health_bps`` of its maintenance margin (this market's position alone counted)."""
        g = self.ghost
        account, scale = self.trader(victim).address, g.view.price_scale
        mark = g.last_price(market)
        self.tick()
        equity = max(g.free_margin(account), 0)
        base = equity * crash.leverage * scale // mark
        for _ in range(8):  # the largest of the halvings the victim's margin carries, slippage counted
            limit = 2**255 if crash.long else 0
            if not base or g.fork().swap(account, market, crash.long, base, limit).accepts:
                break
            base //= 2
        if base:
            self.swap_(victim, market, crash.long, base, 300, 0)
        if crash.desk == "drained":
            self.drain_desk_(PPM)
        elif crash.desk == "no-cap":
            self.set_cap(market, "zero")
        if crash.push:
            pusher = (victim + 1) % len(self.s.traders)
            self.swap_(pusher, market, not crash.long, g.pool(market).base // 10, 10_000, 0)
        pos = g.position(account, market)
        if pos == 0 or market not in g.view.prices:
            return
        ledger, m = g.view.ledger, g.view.ledger.maintenance_margin_bps
        value = ledger.margin_state(account, g.view.env, 0)[0]
        h = crash.health_bps * m  # in bps x bps
        # value + pos x (p' - p) / scale = h x |pos| x p' / (scale x BPS^2), solved for p'
        numerator = (pos * mark - value * scale) * BPS * BPS
        denominator = pos * BPS * BPS - h * abs(pos)
        if denominator == 0:
            return
        price = numerator // denominator
        if 0 < price < 2**127:
            self.tick()
            self.system.set_price(market, price)
            g.set_price(market, price)

    def liquidate_(self, liquidator: int, victim: int | str, market: int, size: int) -> None:
        g = self.ghost
        account = (
            self.trader(victim).address
            if isinstance(victim, int)
            else {"desk": g.desk, "amm": g.amm, "insurance": INSURANCE_FUND, "pool": FUNDING_POOL}[victim]
        )
        by = self.trader(liquidator)
        self.tick()
        fn = self.system.vault.functions.liquidate(account, market, size)
        prediction = g.liquidate(by.address, account, market, size)
        event(f"liquidate: {', '.join(sorted(prediction.errors)) or 'accepted'}")
        receipt = self.expect(
            f"liquidate({account}, {market}, {size}) by {by.address}", prediction, self.transact(by, fn, 800_000)
        )
        done = g.last_liquidation
        if receipt is not None and done is not None:
            venues = "+".join(v for v, size in (("desk", done.to_desk), ("amm", done.to_amm)) if size)
            whole = "whole" if g.position(account, market) == 0 else "part"
            event(f"liquidate: closed by {venues}, {whole}")

    @rule(
        market=st.sampled_from(MARKETS),
        notional=st.sampled_from([0, 10**6, 20_000 * 10**6, 10**12]),
    )
    def set_funding_impact(self, market: int, notional: int) -> None:
        self.tick()
        fn = self.system.vault.functions.setFundingImpact(market, notional)
        self.expect(
            f"setFundingImpact({market}, {notional})",
            self.ghost.set_funding_impact(market, notional),
            self.transact(self.system.owner, fn, 300_000),
        )

    @rule(
        buffer_bps=st.sampled_from([0, 100, 1_000]),
        full_bps=st.sampled_from([0, 5_000, 9_500]),
        minimum=st.sampled_from([0, 10 * 10**6, 50_000 * 10**6]),
        penalty_bps=st.sampled_from([0, 250, 1_000]),
        slippage_bps=st.sampled_from([0, 200, 1_000]),
    )
    def set_liquidation_rules(
        self, buffer_bps: int, full_bps: int, minimum: int, penalty_bps: int, slippage_bps: int
    ) -> None:
        """The close factor and the liquidation parameters change (the owner's bounds are probed elsewhere)."""
        vault, owner = self.system.vault, self.system.owner
        self.s.chain.transact(owner, vault.functions.setCloseFactor(buffer_bps, full_bps, minimum), gas=100_000)
        self.ghost.set_close_factor(buffer_bps, full_bps, minimum)
        self.s.chain.transact(
            owner, vault.functions.setLiquidationParams(penalty_bps, 5_000, slippage_bps), gas=100_000
        )
        self.ghost.set_liquidation_params(penalty_bps, 5_000, slippage_bps)

    @rule(
        market=st.sampled_from(MARKETS),
        mode=st.sampled_from(["inventory", "below-inventory", "zero", "one", "default"]),
    )
    def set_cap(self, market: int, mode: str) -> None:
        inventory = abs(self.ghost.position(self.ghost.desk, market))
        cap = {
            "inventory": inventory,
            "below-inventory": max(inventory - 1, 0),
            "zero": 0,
            "one": ONE,
            "default": self.s.template.cap(market),
        }[mode]
        self.s.chain.transact(self.system.owner, self.system.vault.functions.setInventoryCap(market, cap), gas=80_000)
        self.ghost.set_cap(market, cap)

    @rule(
        probe=st.sampled_from(["settle", "deposit", "withdraw", "share-claim", "share-deposit", "swap", "liquidate"]),
        spec=order_specs,
        fill=fill_specs,
    )
    def pause_probe_resume(self, probe: str, spec: OrderSpec, fill: FillSpec) -> None:
        """Pauses the vault, tries one action (the ghost says which error), resumes."""
        self.set_paused(True)
        if probe == "settle":
            self.settle_new(spec, fill)
        elif probe == "deposit":
            self.deposit_(spec.trader, spec.size % 10**9, True)
        elif probe == "withdraw":
            self.withdraw_(spec.trader, "part", fill.amount_ppm, 0)
        elif probe == "share-deposit":
            self.deposit_shares_(spec.trader, spec.size % 10**12)
        elif probe == "share-claim":
            self.claim_shares_(len(self.s.traders), self.ghost.shares.count - 1 if self.ghost.shares.count else 0)
        elif probe == "swap":
            self.swap_(spec.trader, spec.market, spec.is_buy, spec.size, 100, 0)
        else:
            self.liquidate_(fill.fee_bps % 5, spec.trader, spec.market, spec.size)
        self.set_paused(False)

    def set_paused(self, paused: bool) -> None:
        self.s.chain.transact(self.system.owner, self.system.vault.functions.setPaused(paused), gas=80_000)
        self.ghost.set_paused(paused)

    # -------------------------------------------------------------- invariants

    @invariant()
    def chain_matches_ghost(self) -> None:
        g, system = self.ghost, self.system
        vault, settlement = system.vault.address, system.settlement.address
        accounts = self.s.accounts
        orders = list(g.orders.items())
        nonces = sorted({(o.trader, o.nonce) for _, o in orders})
        shares = system.desk_shares.address
        holders = [*(t.address for t in self.s.traders), system.owner.address]
        requests = range(g.shares.count)
        books = [(a, m) for a in accounts for m in MARKETS]
        reads = [
            Read(system.token.address, "balanceOf(address)", (vault,)),
            Read(vault, "badDebt()"),
            *(Read(vault, "inventoryCap(uint32)", (m,)) for m in MARKETS),
            *(Read(system.amm.address, "pool(uint32)", (m,), ("uint256", "uint256", "uint256")) for m in MARKETS),
            *(Read(vault, "fundingParams(uint32)", (m,), ("uint256", "uint256", "uint256")) for m in MARKETS),
            *(Read(vault, "fundingState(uint32)", (m,), ("int256", "int256", "uint256")) for m in MARKETS),
            *(Read(vault, "fundingImpact(uint32)", (m,)) for m in MARKETS),
            Read(vault, "closeFactor()", (), ("uint256", "uint256", "uint256")),
            Read(vault, "liquidationParams()", (), ("uint256", "uint256", "uint256")),
            *(Read(vault, "cash(address)", (a,), ("int256",)) for a in accounts),
            *(Read(vault, "position(address,uint32)", book, ("int256",)) for book in books),
            *(Read(vault, "fundingMarkOf(address,uint32)", book) for book in books),
            *(Read(settlement, "nonceState(address,uint256)", key, ("uint8",)) for key in nonces),
            *(Read(settlement, "filled(bytes32)", (digest,)) for digest, _ in orders),
            Read(shares, "totalShares()"),
            Read(shares, "outflow()", (), ("uint256", "uint256", "uint256")),
            Read(shares, "params()", (), ("uint256", "uint256", "uint256")),
            *(Read(shares, "sharesOf(address)", (h,)) for h in holders),
            *(Read(shares, "request(uint256)", (i,), ("address", "uint256", "uint256")) for i in requests),
        ]
        values = iter(self.s.read(reads))
        balance, bad_debt = next(values), next(values)
        cap = {m: next(values) for m in MARKETS}
        pool = {m: next(values) for m in MARKETS}
        params = {m: next(values) for m in MARKETS}
        state = {m: next(values) for m in MARKETS}
        impact = {m: next(values) for m in MARKETS}
        close_factor, liquidation_params = next(values), next(values)
        cash = {a: next(values) for a in accounts}
        position = {book: next(values) for book in books}
        mark = {book: next(values) for book in books}
        nonce_state = {key: next(values) for key in nonces}
        filled = {digest: next(values) for digest, _ in orders}
        total_shares, outflow, share_params = next(values), next(values), next(values)
        held = {h: next(values) for h in holders}
        request = {i: next(values) for i in requests}
        ledger = g.view.ledger

        # 1. the vault holds exactly the cash it owes
        assert balance == sum(cash.values()), f"token balance {balance} != Σ cash {sum(cash.values())}: {cash}"
        assert balance == g.vault_balance, f"token balance {balance}, ghost {g.vault_balance}"
        assert bad_debt == ledger.bad_debt, f"bad debt {bad_debt}, ghost {ledger.bad_debt}"
        assert tuple(close_factor) == (
            ledger.liquidation_buffer_bps,
            ledger.full_liquidation_bps,
            ledger.min_liquidation_notional,
        )
        assert tuple(liquidation_params) == (ledger.penalty_bps, ledger.liquidator_share_bps, ledger.max_slippage_bps)
        for m in MARKETS:
            # 2. every long has its short
            total = sum(position[(a, m)] for a in accounts)
            assert total == 0, f"Σ position in market {m} = {total}"
            # 3. the desk stays within its cap, or only moved back towards it
            inventory = position[(g.desk, m)]
            assert cap[m] == g.cap(m), (m, cap[m], g.cap(m))
            assert abs(inventory) <= cap[m] or abs(inventory) <= abs(self.last_inventory[m]), (
                f"desk inventory in {m} went from {self.last_inventory[m]} to {inventory}, beyond the cap {cap[m]}"
            )
            self.last_inventory[m] = inventory
            # 5. the funding index, to the unit
            f = ledger.fund(m)
            assert tuple(params[m]) == (f.period, f.cap_bps, f.unit), (m, params[m], f)
            assert tuple(state[m]) == (f.index, f.premium, f.updated_at), (m, state[m], f)
            assert impact[m] == f.impact, (m, impact[m], f)
            # 7. the pools the ghost prices swaps, best execution and funding with
            ghost_pool = g.pool(m)
            assert tuple(pool[m]) == (ghost_pool.base, ghost_pool.quote, ghost_pool.fee_bps), (m, pool[m], ghost_pool)
        # 4. every account, to the unit
        for a in accounts:
            assert cash[a] == g.cash(a), f"{a}: chain cash {cash[a]}, ghost {g.cash(a)}"
            for m in MARKETS:
                assert position[(a, m)] == g.position(a, m), f"{a} in {m}: {position[(a, m)]}, ghost {g.position(a, m)}"
                if position[(a, m)]:
                    assert mark[(a, m)] == ledger.marks.get((a, m), 0), f"{a} in {m}: funding mark"
        # 5. funding is zero-sum: the pool plus what every book still owes is the rounding, >= 0
        now = self.s.chain.timestamp()
        owed_now = Fraction(0)
        for (a, m), pos in position.items():
            if pos:
                f = Funding(*params[m], *state[m], impact[m])
                owed_now += owed(pos, mark[(a, m)], mark_of(f.index_at(now), f.unit), f.unit, ledger.price_scale)
        residual = cash[FUNDING_POOL] + owed_now
        assert residual == ledger.funding_rounding >= 0, (
            f"funding pool {cash[FUNDING_POOL]} + owed {owed_now} = {residual}, the rounding {ledger.funding_rounding}"
        )
        # 8. the desk's shares: totals, holders, requests, the day's outflow; the NAV per share
        mirror = g.shares
        assert total_shares == mirror.total, (total_shares, mirror.total)
        assert tuple(outflow) == (mirror.day, mirror.claimed, mirror.cap), (outflow, mirror)
        assert tuple(share_params) == (mirror.lockup, mirror.fee_bps, mirror.daily_outflow_bps)
        assert held == {h: mirror.held.get(h, 0) for h in holders}, (held, mirror.held)
        for i, (owner, amount, matures_at) in request.items():
            expected = mirror.requests.get(i)
            assert (
                (amount == 0)
                if expected is None
                else ((owner, amount, matures_at) == (expected.owner, expected.shares, expected.matures_at))
            ), (i, request[i], expected)
        price = g.nav_per_share(self.s.chain.timestamp())  # a view runs at the latest block's time
        if price is not None:
            nav = self.s.chain.call(system.vault.functions.deskNav())
            assert Fraction(nav + 1, total_shares + OFFSET) == price, (nav, total_shares, price)
        # 6. orders: nonce states, running totals, never beyond their size
        for key in nonces:
            assert nonce_state[key] == g.nonce_state(*key), (
                f"nonceState{key}: {nonce_state[key]}, ghost {g.nonce_state(*key)}"
            )
        for digest, order in orders:
            assert filled[digest] == g.filled(digest), (
                f"filled(0x{digest.hex()}): {filled[digest]}, ghost {g.filled(digest)}"
            )
            assert self.filled_by_events[digest] == g.amounts[digest] <= order.size, (
                f"order 0x{digest.hex()} of size {order.size}: FillsSettled logs add up to "
                f"{self.filled_by_events[digest]}, the ghost filled {g.amounts[digest]}"
            )


def test_ledger_matches_the_ghost_after_every_step(session: Session) -> None:
    run_state_machine_as_test(lambda: LedgerMachine(session), settings=SETTINGS)
