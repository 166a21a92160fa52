"""Off-chain validation: everything ``Settlement.settle`` would reject, caught before sending.

``BatchView`` is a plain snapshot of what the chain knows (time, oracle prices, pools, nonce
states, partial fills, the ledger); ``defi_int.chain.views.batch_view`` reads one from a deployed
system. ``replay`` walks fills in order exactly as the contract does, applying each fill to the
view so later fills see it (over-fill across one batch, margin after earlier fills, the AMM moved
by earlier AMM legs) and stopping at the first fill the chain would revert on. The price rules
come from ``defi_int.orders.rules``, the ledger's (margin, caps, funding) from
``defi_int.market.ledger``: the view's ``env`` gives the ledger the batch's time, fresh prices and
pools, so a fill books the funding its accounts owe as the Vault does.

A fill is replayed in the contract's order: its guards and signature first; then, when it is in
another market than the run before it, that run is booked (the Vault may refuse it: the fill at
fault is the run's); then its internal leg's price rules, then its AMM leg (the pool moves before
the Vault books the trade, as the AMM swaps before it calls the Vault). Every fill joins its
market's run: the Vault records its nonce and remaining size there, leg by leg, before booking the
leg (``OrderAlreadyFilled``, ``OrderIsCancelled``, ``Overfill`` come from the booking, as on chain).

``validate_plan`` takes the keeper's plan (fills with the digest computed at intake and the legs
the planner expects): it replays the batch, drops each fill at fault and replays the rest, and
returns the fills that settle together with their ``ExpectedLegs`` (reused from the plan while the
AMM is where the planner left it, derived again behind a dropped AMM leg). ``validate_batch`` does
the same for bare ``Fill``s and also checks their signatures. Every reason names the custom error
the chain would have reverted with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from defi_int.exceptions import OrderRejected
from defi_int.market.amm import Pool
from defi_int.market.ledger import Env, Ledger, LedgerViolation
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.rules import ExpectedLegs, amm_quotes, check_legs, expected_legs
from defi_int.orders.signing import recover_signer
from defi_int.reasons import Reason

OPEN, PARTIAL, FILLED, CANCELLED = 0, 1, 2, 3


@dataclass
class BatchView:
    """What the chain knows when the batch lands; plain values, no web3."""

    domain: Domain
    now: int
    price_scale: int
    max_deviation_bps: int
    ledger: Ledger
    prices: dict[int, int]  # fresh oracle prices; a stale market is absent
    pools: dict[int, Pool]
    desk: str
    amm: str
    paused: bool = False
    nonce_states: dict[tuple[str, int], int] = field(default_factory=dict)
    filled: dict[bytes, int] = field(default_factory=dict)
    unknown_markets: frozenset[int] = frozenset()  # never given an oracle price

    def nonce_state(self, trader: str, nonce: int) -> int:
        return self.nonce_states.get((trader.lower(), nonce), OPEN)

    @property
    def env(self) -> Env:
        """What the ledger reads when this batch touches a market: time, fresh prices, pools."""
        return Env(self.now, self.prices, self.pools)

    def copy(self) -> BatchView:
        return BatchView(
            self.domain,
            self.now,
            self.price_scale,
            self.max_deviation_bps,
            self.ledger.copy(),
            dict(self.prices),
            {m: Pool(p.base, p.quote, p.fee_bps) for m, p in self.pools.items()},
            self.desk,
            self.amm,
            self.paused,
            dict(self.nonce_states),
            dict(self.filled),
            self.unknown_markets,
        )


class Planned(Protocol):
    """A fill as the keeper plans it: the order's digest from intake, the legs it expects (if any)."""

    @property
    def fill(self) -> Fill: ...

    @property
    def digest(self) -> bytes: ...

    @property
    def expected(self) -> ExpectedLegs | None: ...


P = TypeVar("P", bound=Planned)


@dataclass(frozen=True)
class _Bare:
    """A bare ``Fill`` given to ``validate_batch``: its digest computed here, nothing expected."""

    fill: Fill
    digest: bytes
    expected: ExpectedLegs | None = None


@dataclass
class PlanCheck(Generic[P]):
    """The outcome of ``validate_plan``: what settles together, with its legs, and the rest with reasons."""

    accepted: list[tuple[P, ExpectedLegs]]  # in batch order
    rejected: list[tuple[P, OrderRejected]]  # in batch order
    view: BatchView  # the view after the accepted fills


@dataclass
class BatchCheck:
    """The outcome of ``validate_batch``: fills that settle together, and the rest with reasons."""

    accepted: list[Fill]
    rejected: list[tuple[Fill, OrderRejected]]
    view: BatchView  # the view after the accepted fills


@dataclass
class Replay:
    """One run of fills on a view: the legs of each fill that ran, and the first fill at fault."""

    expected: list[ExpectedLegs]  # one per fill that ran (every fill when there is no failure)
    failure: tuple[int, OrderRejected] | None  # (position, reason) of the fill the chain reverts on
    funding: dict[int, int] = field(default_factory=dict)  # position -> what its internal leg's book settled


def validate_order(order: Order, signature: bytes, view: BatchView) -> bytes:
    """Intake checks for one order (expiry, signature, nonce, size left); returns its digest."""
    digest = order_digest(order, view.domain)
    if view.now > order.expiry:
        raise OrderRejected(Reason.EXPIRED, f"expired at {order.expiry}, batch time is {view.now}", digest)
    _check_signature(order, signature, digest)
    _remaining(order, digest, view)
    return digest


def validate_plan(plan: Sequence[P], view: BatchView) -> PlanCheck[P]:
    """Mirrors ``settle`` of ``plan`` on a copy of ``view``; see the module docstring.

    The plan's signatures were verified at intake for the same digests and are not recovered again.
    Like the contract, internal legs are handed to the Vault in runs per market (at a change of
    market and at the end), so a margin or cap failure there is found after later fills ran; the
    fill at fault is dropped and the batch replayed without it.
    """
    return _validate(plan, view, signatures=False)


def validate_batch(fills: Sequence[Fill], view: BatchView) -> BatchCheck:
    """``validate_plan`` for bare fills, signatures included (digests computed from ``view.domain``)."""
    check = _validate([_Bare(f, order_digest(f.order, view.domain)) for f in fills], view, signatures=True)
    return BatchCheck([b.fill for b, _ in check.accepted], [(b.fill, e) for b, e in check.rejected], check.view)


def replay(plan: Sequence[Planned], view: BatchView, *, signatures: bool = False) -> Replay:
    """Runs ``plan`` on ``view`` (changing it) as ``settle`` would, up to the first fill at fault."""
    run = Replay([], None)
    pending: list[_Pending] = []
    pending_market: int | None = None
    for position, item in enumerate(plan):
        fill = item.fill
        try:
            _verify_fill(item, view, signatures)
        except OrderRejected as exc:
            run.failure = (position, exc)
            return run
        if pending and fill.order.market != pending_market:
            # The contract books the previous market's run once this fill is verified, before its legs.
            run.failure = _flush(pending_market, pending, view, run.funding)
            if run.failure is not None:
                return run
            pending = []
        try:
            legs, booking = _fill_legs(item, view)
        except OrderRejected as exc:
            run.failure = (position, exc)
            return run
        run.expected.append(legs)
        pending_market = fill.order.market
        pending.append(_Pending(position, item.digest, fill, booking or (fill.order.trader, 0, 0, 0)))
    if pending:
        run.failure = _flush(pending_market, pending, view, run.funding)
    return run


@dataclass(frozen=True)
class _Pending:
    """A fill's leg waiting for its run's booking: its internal leg (size 0: its nonce only)."""

    position: int
    digest: bytes
    fill: Fill
    booking: tuple[str, int, int, int]


def _validate(plan: Sequence[P], view: BatchView, *, signatures: bool) -> PlanCheck[P]:
    remaining = list(enumerate(plan))
    rejected: list[tuple[int, P, OrderRejected]] = []
    while True:
        state = view.copy()
        run = replay([item for _, item in remaining], state, signatures=signatures)
        if run.failure is None:
            rejected.sort(key=lambda r: r[0])
            accepted = [(item, legs) for (_, item), legs in zip(remaining, run.expected, strict=True)]
            return PlanCheck(accepted, [(item, e) for _, item, e in rejected], state)
        position, exc = run.failure
        index, item = remaining.pop(position)
        rejected.append((index, item, exc))


def _flush(
    market: int | None, pending: list[_Pending], view: BatchView, funding: dict[int, int]
) -> tuple[int, OrderRejected] | None:
    """Books a run: each leg's nonce and remaining size, then its internal leg; notes each leg's
    funding by position, or returns the fill at fault."""
    assert market is not None

    def record(index: int) -> None:
        leg = pending[index]
        order = leg.fill.order
        try:
            left = _remaining(order, leg.digest, view)
        except OrderRejected as exc:
            raise LedgerViolation(exc.reason.error or exc.reason.code, str(exc)) from None
        amount = leg.fill.amount
        if amount > left:
            raise LedgerViolation("Overfill", f"fill of {amount} exceeds the {left} left")
        _record(order, leg.digest, amount, left, view)

    try:
        charges = view.ledger.book(market, [leg.booking for leg in pending], view.env, nonces=record)
    except LedgerViolation as exc:
        leg = pending[-1 if exc.leg is None else exc.leg]
        return leg.position, _ledger_rejection(exc, leg.digest)
    for leg, charge in zip(pending, charges, strict=True):
        funding[leg.position] = charge
    return None


def _verify_fill(item: Planned, view: BatchView, signatures: bool) -> None:
    """The checks ``settle`` makes of a fill before its legs: guards and signature."""
    fill, digest = item.fill, item.digest
    order = fill.order
    if view.paused:
        raise OrderRejected(Reason.PAUSED, "the vault is paused", digest)
    if view.now > order.expiry:
        raise OrderRejected(Reason.EXPIRED, f"expired at {order.expiry}, batch time is {view.now}", digest)
    if fill.fee_bps > order.max_fee_bps:
        raise OrderRejected(
            Reason.FEE_ABOVE_MAX, f"fee {fill.fee_bps} bps above the order's max {order.max_fee_bps}", digest
        )
    if fill.amount == 0:
        raise OrderRejected(Reason.EMPTY_FILL, "both legs are zero", digest)
    if signatures:
        _check_signature(order, fill.signature, digest)


def _fill_legs(item: Planned, view: BatchView) -> tuple[ExpectedLegs, tuple[str, int, int, int] | None]:
    """Checks the fill's legs and applies its AMM leg; returns its legs and its internal booking, if any."""
    fill, digest = item.fill, item.digest
    order = fill.order
    known = item.expected.amm if item.expected is not None else None
    quotes = amm_quotes(view.pools.get(order.market), fill, known)
    legs = expected_legs(fill, view.prices.get(order.market), quotes, view.price_scale)
    unknown = order.market in view.unknown_markets
    check_legs(fill, digest, legs, view.max_deviation_bps, view.price_scale, unknown_market=unknown)
    booking = _internal_booking(fill, legs) if fill.internal_size else None
    if fill.amm_size:
        _amm_leg(fill, digest, legs, view)
    return legs, booking


def _check_signature(order: Order, signature: bytes, digest: bytes) -> None:
    signer = recover_signer(digest, signature)
    if signer.lower() != order.trader.lower():
        raise OrderRejected(Reason.BAD_SIGNATURE, f"signature is by {signer}, not the trader {order.trader}", digest)


def _remaining(order: Order, digest: bytes, view: BatchView) -> int:
    state = view.nonce_state(order.trader, order.nonce)
    if state == FILLED:
        raise OrderRejected(Reason.ALREADY_FILLED, f"nonce {order.nonce} is used by a filled order", digest)
    if state == CANCELLED:
        raise OrderRejected(Reason.CANCELLED, f"nonce {order.nonce} was cancelled", digest)
    prior = view.filled.get(digest, 0) if state == PARTIAL else 0
    return order.size - prior


def _record(order: Order, digest: bytes, amount: int, left: int, view: BatchView) -> None:
    prior = order.size - left
    complete = amount == left
    if not complete or prior:
        view.filled[digest] = prior + amount
    view.nonce_states[(order.trader.lower(), order.nonce)] = FILLED if complete else PARTIAL


def _ledger_rejection(exc: LedgerViolation, digest: bytes) -> OrderRejected:
    """The rejection for a ledger rule the Vault would enforce."""
    return OrderRejected(Reason.of_error(exc.error), exc.detail, digest)


def _internal_booking(fill: Fill, legs: ExpectedLegs) -> tuple[str, int, int, int]:
    """The internal leg as the Vault books it: ``(trader, base, quote, fee)``."""
    order, size, amount = fill.order, fill.internal_size, legs.internal_quote
    base, quote = (size, -amount) if order.is_buy else (-size, amount)
    return (order.trader, base, quote, legs.internal_fee)


def _amm_leg(fill: Fill, digest: bytes, legs: ExpectedLegs, view: BatchView) -> None:
    """Moves the pool, then books the AMM leg against the AMM's account (the Vault samples the
    funding premium from the moved pool); a refused booking leaves the pool where it was."""
    order, size, quote = fill.order, fill.amm_size, legs.amm_quote
    base, signed_quote = (size, -quote) if order.is_buy else (-size, quote)
    before, after = view.pools[order.market], legs.amm.pool_after(order.is_buy, size)
    assert after is not None  # check_legs refused an AMM leg without a pool
    view.pools[order.market] = after
    try:
        view.ledger.trade(order.trader, view.amm, order.market, base, signed_quote, legs.amm_fee, view.env)
    except LedgerViolation as exc:
        view.pools[order.market] = before
        raise _ledger_rejection(exc, digest) from exc
