"""A mirror world for the keeper's tests: ``MirrorVenue`` (the contracts' rules in Python), funded
traders with real eth-account keys, and a ``Keeper`` on it. No EVM: each test runs in milliseconds.

``make_world(**config)`` builds one (keeper parameters as ``KeeperConfig`` fields, plus
``gas_limit`` and ``markets`` for the venue); the fixtures in ``conftest.py`` hand it out.
``World.submit`` signs an order (EIP-712, the venue's domain) and hands it to the keeper's intake.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Admission, Keeper
from defi_int.keeper.mirror import MirrorMarket, MirrorVenue
from defi_int.keeper.pricing import PricingParams
from defi_int.keeper.toxicity.models import ToxicityConfig
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.params import KeeperParams
from defi_int.types import ONE

PRICING = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, 10**30)
TRADERS: list[LocalAccount] = [Account.from_key(keccak(text=f"mirror trader {i}")) for i in range(8)]
MARGIN = 1_000_000 * 10**6  # collateral units each


@dataclass
class World:
    """A mirror venue, a keeper on it, and order helpers."""

    venue: MirrorVenue
    keeper: Keeper
    nonces: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def order(self, trader: LocalAccount, **fields: Any) -> Order:
        """An order for ``trader``; defaults: 1 unit on market 0, limit 2% through the oracle, 1 h expiry."""
        is_buy = fields.get("is_buy", True)
        price = self.venue.oracle.get(fields.get("market", 0), (2_000 * ONE, 0))[0]
        defaults: dict[str, Any] = {
            "trader": trader.address,
            "market": 0,
            "is_buy": is_buy,
            "size": ONE,
            "limit_price": price * 102 // 100 if is_buy else price * 98 // 100,
            "expiry": self.venue.now + 3_600,
            "nonce": next(self.nonces),
            "max_fee_bps": 30,
            "allow_amm": True,
        }
        return Order(**{**defaults, **fields})

    def sign(self, trader: LocalAccount, order: Order) -> bytes:
        return sign_order(trader, order, self.venue.domain)

    def submit(self, trader: LocalAccount, **fields: Any) -> Order:
        """Signs an order and admits it through the keeper's intake (it must be accepted)."""
        order = self.order(trader, **fields)
        self.admit(trader, order)
        return order

    def admit(self, trader: LocalAccount, order: Order) -> Admission:
        """Signs ``order`` and hands it to the keeper's intake; returns the admission."""
        return self.keeper.intake(order, self.sign(trader, order), now=self.venue.now + 1)

    def desk_position(self, market: int = 0) -> int:
        return self.venue.world.ledger.position(self.venue.world.desk, market)


def config(**overrides: Any) -> KeeperConfig:
    """The tests' keeper: market 0, risk limit 50, no hedging, 2 bps fee, unless overridden.

    ``toxicity_*`` overrides are the ``keeper.toxicity_*`` keys (``toxicity_routing``, ``toxicity_horizon`` ...).
    """
    values: dict[str, Any] = {
        "pricing": {0: PRICING},
        "risk_limits": {0: 50 * ONE},
        "soft_limits": {0: None},
        "fee_bps": 2,
    }
    toxicity = {k: overrides.pop(k) for k in list(overrides) if k.startswith("toxicity_")}
    if toxicity:
        values["toxicity"] = ToxicityConfig.from_params(KeeperParams(**toxicity))
    values.update(overrides)
    return KeeperConfig(**values)


def make_world(
    *, gas_limit: int = 60_000_000, markets: tuple[MirrorMarket, ...] = (MirrorMarket(),), **cfg: Any
) -> World:
    """A fresh mirror world with every trader funded, and a keeper configured by ``cfg``."""
    venue = MirrorVenue.new(markets, gas_limit=gas_limit)
    for trader in TRADERS:
        venue.fund(trader.address, MARGIN)
    return World(venue, Keeper(venue, config(**cfg)))
