"""The defi-int pytest plugin (entry point ``pytest11: defi_int.testing``).

Fixtures for users' own integration tests, each test isolated by snapshot and revert:

- ``defi_chain``   — the ``Chain``: py-evm in process by default (the reference), another backend
                     with ``--defi-backend NAME`` (``revm``, ``anvil`` ...), a node with
                     ``--defi-rpc-url URL``; ``--defi-anvil`` is ``--defi-backend anvil``.
- ``defi_system``  — the deployed ``System``: market 0 live (oracle price, AMM liquidity, funded
                     desk, keeper allow-listed).
- ``defi_traders`` — five funded ``LocalAccount`` traders with margin deposited.
- ``defi_orders``  — an ``OrderMaker``: builds, signs and settles orders for those traders.

The deployment happens once per session; every test starts from the same snapshot.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from defi_int.chain import BACKENDS, Chain, System, SystemParams, deploy_system
from defi_int.chain.views import domain
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.signing import sign_order
from defi_int.types import ONE

TRADER_COUNT = 5
TRADER_MARGIN = 1_000_000  # whole collateral tokens each


@dataclass
class OrderMaker:
    """Builds, signs and settles orders; defaults give a 1-unit order on market 0 near the oracle."""

    system: System
    domain: Domain
    _nonces: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def order(self, trader: LocalAccount | str, **fields: Any) -> Order:
        """An order for ``trader``; any field can be overridden (Python names: ``limit_price`` ...)."""
        address = trader if isinstance(trader, str) else trader.address
        is_buy = fields.get("is_buy", True)
        price = self.system.chain.call(self.system.oracle.functions.latest(fields.get("market", 0)))[0]
        defaults: dict[str, Any] = {
            "trader": address,
            "market": 0,
            "is_buy": is_buy,
            "size": ONE,
            "limit_price": price * 102 // 100 if is_buy else price * 98 // 100,
            "expiry": self.system.chain.timestamp() + 3_600,
            "nonce": next(self._nonces),
            "max_fee_bps": 30,
            "allow_amm": True,
        }
        return Order(**{**defaults, **fields})

    def sign(self, account: LocalAccount, order: Order) -> bytes:
        return sign_order(account, order, self.domain)

    def digest(self, order: Order) -> bytes:
        return order_digest(order, self.domain)

    def fill(
        self,
        account: LocalAccount,
        order: Order | None = None,
        *,
        internal_size: int | None = None,
        internal_price: int | None = None,
        amm_size: int = 0,
        fee_bps: int = 0,
        signature: bytes | None = None,
        **order_fields: Any,
    ) -> Fill:
        """A signed fill; by default the whole order internally at the oracle price."""
        order = order or self.order(account, **order_fields)
        if internal_price is None:
            internal_price = self.system.chain.call(self.system.oracle.functions.latest(order.market))[0]
        if internal_size is None:
            internal_size = order.size - amm_size
        return Fill(
            order,
            self.sign(account, order) if signature is None else signature,
            internal_size,
            internal_price,
            amm_size,
            fee_bps,
        )

    def settle(self, fills: Sequence[Fill], *, gas: int | None = None) -> Any:
        """Sends ``settle(fills)`` from the keeper."""
        return self.system.settle(fills, gas=gas)


@dataclass
class _Session:
    chain: Chain
    system: System
    traders: list[LocalAccount]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("defi-int")
    group.addoption(
        "--defi-backend",
        choices=BACKENDS,
        default="pyevm",
        help="the chain of the defi-int fixtures (default: pyevm, the reference; anvil starts a local one)",
    )
    group.addoption("--defi-rpc-url", default=None, help="run defi-int fixtures against this JSON-RPC node")
    group.addoption("--defi-anvil", action="store_true", help="the same as --defi-backend anvil")


def build_session(chain: Chain, params: SystemParams | None = None) -> tuple[System, list[LocalAccount]]:
    """Deploys a system and funds ``TRADER_COUNT`` traders with margin (what the fixtures use)."""
    system = deploy_system(chain, params)
    traders = [chain.account(f"trader-{i}") for i in range(TRADER_COUNT)]
    for trader in traders:
        system.fund(trader, TRADER_MARGIN * system.params.unit)
    return system, traders


@pytest.fixture(scope="session")
def _defi_session(pytestconfig: pytest.Config) -> Iterator[_Session]:
    url = pytestconfig.getoption("--defi-rpc-url")
    backend = "anvil" if pytestconfig.getoption("--defi-anvil") else pytestconfig.getoption("--defi-backend")
    with Chain.open("rpc" if url else backend, url=url) as chain:
        system, traders = build_session(chain)
        yield _Session(chain, system, traders)


@contextmanager
def isolated(chain: Chain) -> Iterator[Chain]:
    """Snapshot on entry, revert on exit: whatever happens inside leaves no trace on ``chain``."""
    snapshot = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snapshot)


@pytest.fixture
def defi_chain(_defi_session: _Session) -> Iterator[Chain]:
    """The session's chain, reverted to the deployed state after the test."""
    with isolated(_defi_session.chain) as chain:
        yield chain


@pytest.fixture
def defi_system(_defi_session: _Session, defi_chain: Chain) -> System:
    """The deployed protocol with market 0 live."""
    return _defi_session.system


@pytest.fixture
def defi_traders(_defi_session: _Session, defi_chain: Chain) -> list[LocalAccount]:
    """Five funded traders with margin deposited."""
    return list(_defi_session.traders)


@pytest.fixture
def defi_orders(defi_system: System) -> OrderMaker:
    """Builds, signs and settles orders for ``defi_system``."""
    return OrderMaker(defi_system, domain(defi_system))
