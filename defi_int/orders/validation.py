"""Off-chain validation: everything ``Settlement.settle`` would reject, caught before sending.

``BatchView`` is a plain snapshot of what the chain knows (time, oracle prices, pools, nonce
states, partial fills, the ledger); ``defi_int.chain.views.batch_view`` reads one from a deployed
system. ``validate_batch`` walks the fills in order exactly as the contract does, applying each
accepted fill to its copy of the view so later fills see it (over-fill across one batch, margin
after earlier fills), and returns the fills that can settle together plus a reason for each
rejection. Every reason names the custom error the chain would have reverted with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from defi_int.exceptions import OrderRejected
from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.ledger import INT96_MAX, Env, Ledger, LedgerViolation, fee_for, notional
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.signing import recover_signer
from defi_int.types import BPS

OPEN, PARTIAL, FILLED, CANCELLED = 0, 1, 2, 3

#: Off-chain reason code -> the custom error the chain reverts with for the same fault.
CHAIN_ERROR = {
    "malformed": "(rejected by the ABI encoder)",
    "paused": "SettlementPaused",
    "expired": "OrderExpired",
    "fee-above-max": "FeeAboveMax",
    "empty-fill": "EmptyFill",
    "bad-signature-length": "InvalidSignatureLength",
    "high-s": "InvalidSignatureS",
    "bad-v": "InvalidSignatureV",
    "bad-signature": "InvalidSigner",
    "wrong-signer": "InvalidSigner",
    "already-filled": "OrderAlreadyFilled",
    "cancelled": "OrderIsCancelled",
    "overfill": "Overfill",
    "stale-oracle": "StalePrice",
    "unknown-market": "UnknownMarket",
    "limit": "LimitPriceExceeded",
    "band": "PriceOutsideBand",
    "worse-than-amm": "WorseThanAmm",
    "amm-not-allowed": "AmmNotAllowed",
    "amm-limit": "AmmLimitExceeded",
    "amm-liquidity": "InsufficientLiquidity",
    "no-pool": "PoolNotInitialized",
    "margin": "InsufficientMargin",
    "inventory-cap": "InventoryCapExceeded",
    "market-not-listed": "MarketNotListed",
    "amount-out-of-range": "AmountOutOfRange",
}
_LEDGER_REASON = {
    "InsufficientMargin": "margin",
    "InventoryCapExceeded": "inventory-cap",
    "MarketNotListed": "market-not-listed",
    "StalePrice": "stale-oracle",
    "AmountOutOfRange": "amount-out-of-range",
}


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


@dataclass
class BatchCheck:
    """The outcome of ``validate_batch``: fills that settle together, and the rest with reasons."""

    accepted: list[Fill]
    rejected: list[tuple[Fill, OrderRejected]]
    view: BatchView  # the view after the accepted fills


def validate_order(order: Order, signature: bytes, view: BatchView) -> bytes:
    """Intake checks for one order (expiry, signature, nonce, size left); returns its digest."""
    digest = order_digest(order, view.domain)
    if view.now > order.expiry:
        raise OrderRejected("expired", f"expired at {order.expiry}, batch time is {view.now}", digest)
    _check_signature(order, signature, digest)
    _remaining(order, digest, view)
    return digest


def validate_batch(fills: list[Fill], view: BatchView) -> BatchCheck:
    """Mirrors ``settle`` on a copy of ``view``; see the module docstring.

    Like the contract, internal legs are handed to the Vault in runs per market (at a change of
    market and at the end), so a margin or cap failure there is found after later fills ran; the
    fill at fault is dropped and the batch replayed without it.
    """
    remaining = list(enumerate(fills))
    rejected: list[tuple[int, Fill, OrderRejected]] = []
    while True:
        state = view.copy()
        failure = _simulate([f for _, f in remaining], state)
        if failure is None:
            rejected.sort(key=lambda r: r[0])
            return BatchCheck([f for _, f in remaining], [(f, e) for _, f, e in rejected], state)
        position, exc = failure
        index, fill = remaining.pop(position)
        rejected.append((index, fill, exc))


def _simulate(fills: list[Fill], view: BatchView) -> tuple[int, OrderRejected] | None:
    """Runs ``fills`` on ``view``; returns the position of the first fill at fault, if any."""
    pending: list[tuple[int, bytes, tuple[str, int, int, int]]] = []
    pending_market: int | None = None
    for position, fill in enumerate(fills):
        try:
            digest = _verify_fill(fill, view)
        except OrderRejected as exc:
            return position, exc
        if fill.internal_size and pending and fill.order.market != pending_market:
            # The contract books the previous market's run once this fill is verified, before its legs.
            failure = _flush(pending_market, pending, view)
            if failure is not None:
                return failure
            pending = []
        try:
            leg = _fill_legs(fill, digest, view)
        except OrderRejected as exc:
            return position, exc
        if leg is None:
            continue
        pending_market = fill.order.market
        pending.append((position, digest, leg))
    if pending:
        return _flush(pending_market, pending, view)
    return None


def _flush(
    market: int | None, pending: list[tuple[int, bytes, tuple[str, int, int, int]]], view: BatchView
) -> tuple[int, OrderRejected] | None:
    assert market is not None
    try:
        view.ledger.book(market, [booking for _, _, booking in pending], view.env)
    except LedgerViolation as exc:
        position, digest, _ = pending[-1 if exc.leg is None else exc.leg]
        return position, _ledger_rejection(exc, digest)
    return None


def _verify_fill(fill: Fill, view: BatchView) -> bytes:
    """The checks ``settle`` makes of a fill before its legs (guards, signature, nonce); records it."""
    order = fill.order
    digest = order_digest(order, view.domain)
    if view.paused:
        raise OrderRejected("paused", "the vault is paused", digest)
    if view.now > order.expiry:
        raise OrderRejected("expired", f"expired at {order.expiry}, batch time is {view.now}", digest)
    if fill.fee_bps > order.max_fee_bps:
        raise OrderRejected(
            "fee-above-max", f"fee {fill.fee_bps} bps above the order's max {order.max_fee_bps}", digest
        )
    if fill.amount == 0:
        raise OrderRejected("empty-fill", "both legs are zero", digest)
    _check_signature(order, fill.signature, digest)
    left = _remaining(order, digest, view)
    if fill.amount > left:
        raise OrderRejected("overfill", f"fill of {fill.amount} exceeds the {left} left", digest)
    _record(order, digest, fill.amount, left, view)
    return digest


def _fill_legs(fill: Fill, digest: bytes, view: BatchView) -> tuple[str, int, int, int] | None:
    """Checks the internal leg and applies the AMM leg; returns the internal leg for booking, if any."""
    leg = _internal_leg(fill, digest, view) if fill.internal_size else None
    if leg is not None and abs(leg[2]) > INT96_MAX:
        raise OrderRejected("amount-out-of-range", f"notional {abs(leg[2])} is more than a ledger book holds", digest)
    if fill.amm_size:
        _amm_leg(fill, digest, view)
    return leg


def _check_signature(order: Order, signature: bytes, digest: bytes) -> None:
    signer = recover_signer(digest, signature)
    if signer.lower() != order.trader.lower():
        raise OrderRejected("wrong-signer", f"signature is by {signer}, not the trader {order.trader}", digest)


def _remaining(order: Order, digest: bytes, view: BatchView) -> int:
    state = view.nonce_state(order.trader, order.nonce)
    if state == FILLED:
        raise OrderRejected("already-filled", f"nonce {order.nonce} is used by a filled order", digest)
    if state == CANCELLED:
        raise OrderRejected("cancelled", f"nonce {order.nonce} was cancelled", digest)
    prior = view.filled.get(digest, 0) if state == PARTIAL else 0
    return order.size - prior


def _record(order: Order, digest: bytes, amount: int, left: int, view: BatchView) -> None:
    prior = order.size - left
    complete = amount == left
    if not complete or prior:
        view.filled[digest] = prior + amount
    view.nonce_states[(order.trader.lower(), order.nonce)] = FILLED if complete else PARTIAL


def _mark(market: int, digest: bytes, view: BatchView) -> int:
    price = view.prices.get(market)
    if market in view.unknown_markets:
        raise OrderRejected("unknown-market", f"market {market} has never had an oracle price", digest)
    if price is None:
        raise OrderRejected("stale-oracle", f"market {market} has no fresh oracle price", digest)
    return price


def _ledger_rejection(exc: LedgerViolation, digest: bytes) -> OrderRejected:
    """The rejection for a ledger rule the Vault would enforce."""
    return OrderRejected(_LEDGER_REASON[exc.error], exc.detail, digest)


def _internal_leg(fill: Fill, digest: bytes, view: BatchView) -> tuple[str, int, int, int]:
    order, price, size = fill.order, fill.internal_price, fill.internal_size
    if (price > order.limit_price) if order.is_buy else (price < order.limit_price):
        raise OrderRejected("limit", f"internal price {price} is worse than the limit {order.limit_price}", digest)
    mark = _mark(order.market, digest, view)
    band = mark * view.max_deviation_bps // BPS
    if price > mark + band or price + band < mark:
        raise OrderRejected(
            "band", f"internal price {price} is more than {view.max_deviation_bps} bps from the oracle {mark}", digest
        )
    amount = notional(size, price, view.price_scale, is_buy=order.is_buy)
    pool = view.pools.get(order.market)
    if pool is not None and pool.base:
        if order.is_buy and size < pool.base:
            amm_cost = pool.quote_buy(size)
            if amount > amm_cost:
                raise OrderRejected("worse-than-amm", f"internal cost {amount} > AMM cost {amm_cost}", digest)
        elif not order.is_buy:
            amm_proceeds = pool.quote_sell(size)
            if amount < amm_proceeds:
                raise OrderRejected("worse-than-amm", f"internal proceeds {amount} < AMM's {amm_proceeds}", digest)
    fee = fee_for(amount, fill.fee_bps)
    base, quote = (size, -amount) if order.is_buy else (-size, amount)
    return (order.trader, base, quote, fee)


def _amm_leg(fill: Fill, digest: bytes, view: BatchView) -> None:
    order, size = fill.order, fill.amm_size
    if not order.allow_amm:
        raise OrderRejected("amm-not-allowed", "the order does not allow routing to the AMM", digest)
    pool = view.pools.get(order.market)
    if pool is None:
        raise OrderRejected("no-pool", f"market {order.market} has no AMM pool", digest)
    trial = Pool(pool.base, pool.quote, pool.fee_bps)
    try:
        quote = trial.swap(order.is_buy, size)
    except AmmMathError as exc:
        raise OrderRejected("amm-liquidity", f"the AMM cannot trade {size}: {exc}", digest) from exc
    limit_ok = (
        quote * view.price_scale <= size * order.limit_price
        if order.is_buy
        else (quote * view.price_scale >= size * order.limit_price)
    )
    if not limit_ok:
        raise OrderRejected("amm-limit", f"AMM trades {size} for {quote}, beyond the limit {order.limit_price}", digest)
    fee = fee_for(quote, fill.fee_bps)
    base, signed_quote = (size, -quote) if order.is_buy else (-size, quote)
    # The AMM moves its reserves before the Vault books the trade (and samples the funding premium).
    view.pools[order.market] = trial
    try:
        view.ledger.trade(order.trader, view.amm, order.market, base, signed_quote, fee, view.env)
    except LedgerViolation as exc:
        view.pools[order.market] = pool
        raise _ledger_rejection(exc, digest) from exc
