"""Helpers for the bot service tests: real signed orders, snapshots, settle records, a clock.

Orders are real ``Order``s signed with eth-account by deterministic accounts in a fixed domain
(chain 31337, a fixed Settlement address); the tests that need the chain (quotes, markets) use the
shipped plugin's embedded deployment instead. Time is a ``Clock`` the test moves by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from defi_int.bot.journal import SignedTx
from defi_int.bot.snapshot import DeskSnapshot, MarketSnapshot
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.pricing import PricingParams
from defi_int.market.amm import Pool
from defi_int.market.ledger import fee_for, notional
from defi_int.orders.booking import Leg
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.rules import AmmQuotes, ExpectedLegs
from defi_int.orders.signing import sign_digest, sign_order
from defi_int.types import ONE

DOMAIN = Domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
NOW = 1_700_000_000
ADMIN_TOKEN = "s3cret-admin-token"
PRICING = PricingParams(
    half_spread_bps=5.0,
    risk_aversion=0.0,
    variance_per_second=0.0,
    horizon_seconds=0.0,
    max_deviation_bps=100,
    min_edge_bps=0.0,
    price_scale=10**30,
)
KEEPER = KeeperConfig(pricing={0: PRICING}, risk_limits={0: 50 * ONE}, soft_limits={0: None})
#: Every order ``Orders.signed`` made, by digest: ``planned`` builds the keeper's fill from it.
SIGNED: dict[bytes, tuple[Order, bytes]] = {}


@dataclass
class Clock:
    """Wall time the test moves by hand."""

    now: float = float(NOW)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def account(i: int) -> LocalAccount:
    return Account.from_key(keccak(text=f"bot-trader-{i}"))


@dataclass
class Orders:
    """Builds and signs orders in ``DOMAIN`` (or another domain)."""

    nonce: int = 0
    made: list[Order] = field(default_factory=list)

    def order(self, who: LocalAccount, **fields: Any) -> Order:
        self.nonce += 1
        values: dict[str, Any] = {
            "trader": who.address,
            "market": 0,
            "is_buy": True,
            "size": 2 * ONE,
            "limit_price": 2_020 * ONE,
            "expiry": NOW + 3_600,
            "nonce": self.nonce,
            "max_fee_bps": 30,
            "allow_amm": True,
        }
        return Order(**{**values, **fields})

    def body(self, who: LocalAccount, order: Order | None = None, domain: Domain = DOMAIN, **fields: Any) -> dict:
        """The JSON body of ``POST /v1/orders`` for a fresh (or the given) order signed by ``who``."""
        order = order or self.order(who, **fields)
        message = {k: v if isinstance(v, (bool, str)) else str(v) for k, v in order.as_message().items()}
        digest = order_digest(order, domain)
        signature = sign_digest(who, digest)  # who may not be the trader
        SIGNED[digest] = (order, signature)
        return {"order": message, "signature": "0x" + signature.hex()}

    def signed(self, who: LocalAccount, **fields: Any) -> tuple[Order, bytes, bytes]:
        order = self.order(who, **fields)
        signature, digest = sign_order(who, order, DOMAIN), order_digest(order, DOMAIN)
        SIGNED[digest] = (order, signature)
        return order, signature, digest


def market_snapshot(**fields: Any) -> MarketSnapshot:
    values: dict[str, Any] = {
        "market": 0,
        "oracle_price": 2_000 * ONE,
        "updated_at": NOW - 10,
        "max_age": 3_600,
        "fresh": True,
        "pool": Pool(1_000 * ONE, 2_000_000 * 10**6, 30),
        "inventory": 0,
        "inventory_cap": 100 * ONE,
    }
    return MarketSnapshot(**{**values, **fields})


def desk_snapshot(*, equity: int | None = None, time: int = NOW, **fields: Any) -> DeskSnapshot:
    return DeskSnapshot(block=100, time=time, price_scale=10**30, markets={0: market_snapshot(**fields)}, equity=equity)


def tx(n: int, *, nonce: int = 7, replaces: bytes | None = None, fee: int = 10**9) -> SignedTx:
    return SignedTx(keccak(text=f"tx-{n}"), b"\x02raw" + bytes([n]), nonce, 2 * fee, fee, 500_000, replaces)


def planned(digest: bytes, size: int = 2 * ONE, *, amm: int = 0) -> PlannedFill:
    """The keeper's fill of ``size`` of an order ``Orders.signed`` made (``amm`` of it on the AMM)."""
    order, signature = SIGNED[digest]
    internal = size - amm
    fill = Fill(order, signature, internal, 2_001 * ONE if internal else 0, amm, 2)
    quote = notional(internal, fill.internal_price, 10**30, is_buy=order.is_buy)
    amm_quote = 4_010 * 10**6 if amm else None
    legs = ExpectedLegs(
        mark=2_000 * ONE,
        amm=AmmQuotes(Pool(1_000 * ONE, 2_000_000 * 10**6, 30), quote + 1 if internal else None, amm_quote),
        amm_mid=2_000 * ONE,
        internal_quote=quote,
        internal_fee=fee_for(quote, 2),
        amm_fee=fee_for(amm_quote, 2) if amm_quote else 0,
    )
    return PlannedFill(fill, digest, legs)


def leg(digest: bytes, size: int = 2 * ONE, *, venue: str = "internal", fill_index: int = 0) -> Leg:
    """A booked leg of the order ``Orders.signed`` made with ``digest`` (its trader, market, side, limit)."""
    order, _ = SIGNED[digest]
    price = 2_001 * ONE
    quote = size * price // 10**30
    return Leg(
        digest, fill_index, venue, order.trader, order.market, order.is_buy, size, quote, price, order.limit_price,
        quote * 2 // 10_000, 2_000 * ONE, 2_000 * ONE, quote + 1, price, 60_000,
    )  # fmt: skip
