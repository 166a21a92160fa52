"""No sequence of deposits and withdrawals around price moves takes value from the other depositors
(issue 17), on the mirror of ``DeskShares`` and the Vault ledger (``market.shares``,
``market.ledger``; the ghost state machine holds them equal to the chain after every step).

The desk holds inventory (long or short, up to ``LEVERAGE`` times its NAV) and does nothing but
move with the oracle; a bystander holds shares throughout; an attacker deposits, withdraws (no
lock-up, no daily cap: the worst case) and the oracle moves, in any order hypothesis draws.

1. Whatever the moves, no deposit and no claim ever lowers the NAV per share: what the attacker
   gets is its shares' worth at the NAV of the moment, less the fee; nothing is taken from the
   other holders by the mechanics.
2. Around a known oracle update (the attacker deposits before it, claims after it), the attacker
   gains its share of the NAV's move and pays two fees: with the fee at least half of any one
   move's effect on the NAV (``LEVERAGE`` x the move), the bystander ends at least as rich as in
   the world where the attacker never came, to the unit. That is the fee's job: with 10 bps and a
   desk at most 10 % exposed, an oracle step of up to 2 % pays no front-runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from defi_int.market.ledger import Env, Ledger
from defi_int.market.shares import Shares
from defi_int.types import BPS, ONE

SCALE = 10**30  # 6 decimals
UNIT = 10**6
PRICE = 2_000 * ONE
LEVERAGE_BPS = 1_000  # the desk's inventory is at most 10 % of its NAV
FEE_BPS = 10
BYSTANDER, ATTACKER, COUNTERPARTY = "0x" + "b1" * 20, "0x" + "a1" * 20, "0x" + "c1" * 20
DESK = "0x" + "de" * 20


@dataclass
class World:
    ledger: Ledger
    shares: Shares
    price: int
    now: int = 2_000_000_000

    @property
    def env(self) -> Env:
        return Env(self.now, {0: self.price}, {})

    def nav_per_share(self) -> Fraction:
        return self.shares.nav_per_share(self.ledger, self.env)

    def value(self, holder: str) -> Fraction:
        held = self.shares.held.get(holder, 0) + sum(
            r.shares for r in self.shares.requests.values() if r.owner == holder
        )
        return held * self.nav_per_share()

    def move(self, bps: int) -> None:
        self.price = self.price * (BPS + bps) // BPS
        self.now += 12

    def deposit(self, who: str, amount: int) -> None:
        self.shares.deposit(self.ledger, self.env, who, amount)
        self.now += 12

    def withdraw_all(self, who: str) -> None:
        """Requests and claims all of ``who``'s shares at once (the first claim of a new day, whose
        cap is the whole NAV: nothing waits)."""
        held = self.shares.held.get(who, 0)
        if held:
            request_id = self.shares.request(who, held, self.now)
            self.now += 86_400 - self.now % 86_400
            self.shares.claim(self.ledger, self.env, who, request_id)
            self.now += 12


def world(inventory_bps: int) -> World:
    """A desk of 2M USD (the bystander's shares) holding ``inventory_bps`` of it in base, long or short."""
    ledger = Ledger(SCALE, 1_000, 500, DESK, "0x" + "fe" * 20, markets=[0], caps={0: 10**30})
    shares = Shares(lockup=0, fee_bps=FEE_BPS, daily_outflow_bps=BPS)
    w = World(ledger, shares, PRICE)
    w.deposit(BYSTANDER, 2_000_000 * UNIT)
    base = 2_000_000 * UNIT * inventory_bps // BPS * SCALE // PRICE
    ledger.positions[(DESK, 0)] = base
    ledger.positions[(COUNTERPARTY, 0)] = -base
    ledger.cash[COUNTERPARTY] = 10**15
    return w


deposits = st.integers(1_000 * UNIT, 5_000_000 * UNIT)
inventories = st.integers(-LEVERAGE_BPS, LEVERAGE_BPS)


@settings(max_examples=200)
@given(
    inventory=inventories,
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("deposit"), deposits),
            st.tuples(st.just("withdraw"), st.just(0)),
            st.tuples(st.just("move"), st.integers(-2_000, 2_000)),
        ),
        max_size=12,
    ),
)
def test_no_deposit_or_claim_ever_lowers_the_nav_per_share(inventory: int, steps: list[tuple[str, int]]) -> None:
    w = world(inventory)
    for kind, value in steps:
        if kind == "move":
            w.move(value)
            continue
        before = w.nav_per_share()
        if kind == "deposit":
            w.deposit(ATTACKER, value)
        else:
            w.withdraw_all(ATTACKER)
        assert w.nav_per_share() >= before, (kind, value)


@settings(max_examples=200)
@given(
    inventory=inventories,
    rounds=st.lists(
        st.tuples(
            st.lists(deposits, min_size=1, max_size=3),  # the attacker's deposits before the update
            st.integers(-2 * FEE_BPS * BPS // LEVERAGE_BPS, 2 * FEE_BPS * BPS // LEVERAGE_BPS),  # the update
            st.integers(-500, 500),  # a move while the attacker is out
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_front_running_known_updates_takes_nothing_from_the_bystander(
    inventory: int, rounds: list[tuple[list[int], int, int]]
) -> None:
    attacked, alone = world(inventory), world(inventory)
    for amounts, update, later in rounds:
        for amount in amounts:
            attacked.deposit(ATTACKER, amount)
        for w in (attacked, alone):
            w.move(update)
        attacked.withdraw_all(ATTACKER)
        for w in (attacked, alone):
            w.move(later)
    assert attacked.value(BYSTANDER) >= alone.value(BYSTANDER)


def test_a_move_beyond_twice_the_fee_does_pay_the_front_runner() -> None:
    """The bound is tight: a 3 % step on a desk 10 % exposed (a 30 bps move of the NAV, three fees)
    pays an attacker who deposits 1 % of the NAV before it, at the bystander's cost."""
    attacked, alone = world(LEVERAGE_BPS), world(LEVERAGE_BPS)
    attacked.deposit(ATTACKER, 20_000 * UNIT)
    for w in (attacked, alone):
        w.move(300)
    attacked.withdraw_all(ATTACKER)
    assert attacked.value(BYSTANDER) < alone.value(BYSTANDER)
