"""On a real chain, a batch fits the block gas limit: more marketable orders than one settle may carry
settle over several batches instead of failing (before, ``max_batch = 500`` asked for 65.2M gas on a
60M chain and the run exited 1).

A chain with a 6.5M block gas limit holds 48 fills per settle (``settle_capacity``); the deployment
itself fits (each contract is deployed with 6M gas).
"""

from __future__ import annotations

import pytest

from defi_int.chain import Chain
from defi_int.chain.deploy import settle_capacity, settle_gas
from defi_int.chain.venue import ChainVenue
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.pricing import PricingParams
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.testing import build_session
from defi_int.types import ONE

GAS_LIMIT = 6_500_000
PRICING = PricingParams(5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, 10**30)


@pytest.fixture(scope="module")
def small_blocks():
    chain = Chain.embedded(gas_limit=GAS_LIMIT)
    system, traders = build_session(chain)
    return chain, system, traders


def test_more_orders_than_a_block_can_settle_go_over_several_batches(small_blocks) -> None:
    chain, system, traders = small_blocks
    capacity = settle_capacity(GAS_LIMIT)
    assert capacity == 48 and settle_gas(capacity) <= GAS_LIMIT - GAS_LIMIT // 1024 < settle_gas(capacity + 1)
    config = KeeperConfig(pricing={0: PRICING}, risk_limits={0: 50 * ONE}, soft_limits={0: None}, max_batch=500)
    venue = ChainVenue(system)
    keeper = Keeper(venue, config)
    now = chain.timestamp()
    for nonce in range(60):
        trader = traders[nonce % len(traders)]
        is_buy = nonce % 2 == 0
        limit = 2_100 * ONE if is_buy else 1_900 * ONE
        order = Order(trader.address, 0, is_buy, ONE // 10, limit, now + 3_600, nonce + 1, 30, True)
        keeper.intake(order, sign_order(trader, order, venue.domain), now=now + 1)
    first = keeper.step(0)
    assert len(first.events) == capacity
    assert first.receipt is not None and first.receipt.gas_used < settle_gas(capacity)
    assert len(keeper.step(1).events) == 60 - capacity
    assert len(keeper.book) == 0
