"""Batched reads work on anvil as on eth-tester: same values, split past one call's limits, same errors.

Anvil (revm) enforces EIP-170 and EIP-3860 on an ``eth_call`` that creates, as a real node does:
reads that fill several calls must come back whole and in order.
"""

from __future__ import annotations

import pytest

from defi_int.chain import Chain
from defi_int.chain.anvil import Anvil
from defi_int.chain.multiread import Read, read_many
from defi_int.chain.views import batch_view, check_invariants, read_accounts
from defi_int.exceptions import ContractRevert, NodeUnavailable
from defi_int.orders.validation import FILLED, OPEN, PARTIAL
from defi_int.types import ONE

pytestmark = pytest.mark.node

MARKET = 0


def test_a_batched_read_equals_the_views_read_one_by_one_on_anvil(anvil_system, anvil_traders, anvil_orders):
    s, call = anvil_system, anvil_system.chain.call
    full = anvil_orders.fill(anvil_traders[0], size=2 * ONE)
    part = anvil_orders.fill(anvil_traders[1], is_buy=False, size=4 * ONE, internal_size=ONE)
    anvil_orders.settle([full, part])
    waiting = anvil_orders.order(anvil_traders[2])
    accounts = [*(t.address for t in anvil_traders), s.desk, str(s.amm.address), s.fee_recipient]
    vault = s.vault.address

    values = read_many(
        s.chain,
        [
            Read(vault, "markets()", returns=("uint32[]",)),
            Read(vault, "feeRecipient()", returns=("address",)),
            Read(s.amm.address, "pool(uint32)", (MARKET,), ("uint256", "uint256", "uint256")),
            *(Read(vault, "cash(address)", (a,), ("int256",)) for a in accounts),
            *(Read(vault, "position(address,uint32)", (a, MARKET), ("int256",)) for a in accounts),
        ],
    )
    view = batch_view(s, [full.order, part.order, waiting])

    assert values == [
        tuple(call(s.vault.functions.markets())),
        call(s.vault.functions.feeRecipient()),
        tuple(call(s.amm.functions.pool(MARKET))),
        *(call(s.vault.functions.cash(a)) for a in accounts),
        *(call(s.vault.functions.position(a, MARKET)) for a in accounts),
    ]
    assert [view.nonce_state(o.trader, o.nonce) for o in (full.order, part.order, waiting)] == [FILLED, PARTIAL, OPEN]
    assert list(view.filled.values()) == [ONE]
    assert view.ledger.position(anvil_traders[0].address, MARKET) == 2 * ONE
    assert read_accounts(s, [anvil_traders[1].address])[anvil_traders[1].address].positions == {MARKET: -ONE}
    assert all(check_invariants(s, [t.address for t in anvil_traders]).values())


def test_reads_filling_several_calls_come_back_whole_on_anvil(anvil_system):
    pool = Read(anvil_system.amm.address, "pool(uint32)", (MARKET,), ("uint256", "uint256", "uint256"))
    expected = tuple(anvil_system.chain.call(anvil_system.amm.functions.pool(MARKET)))

    assert read_many(anvil_system.chain, [pool] * 1_000) == [expected] * 1_000


def test_a_reverting_view_in_a_batch_is_decoded_on_anvil(anvil_system):
    reads = [Read(anvil_system.vault.address, "paused()", returns=("bool",))]
    reads.append(Read(anvil_system.oracle.address, "price(uint32)", (7,)))

    with pytest.raises(ContractRevert) as caught:
        read_many(anvil_system.chain, reads)

    assert (caught.value.contract, caught.value.error_name, caught.value.args_by_name) == (
        "PriceOracle",
        "UnknownMarket",
        {"market": 7},
    )


def test_a_batched_read_from_a_stopped_node_raises_node_unavailable():
    node = Anvil().start()
    try:
        chain = Chain.connect(node.url)
        owner = chain.account("node-test:owner")
        token = chain.deploy(owner, "CollateralToken", "Gone", "GONE", 6, owner.address)
        read = Read(token.address, "decimals()", returns=("uint8",))
        assert read_many(chain, [read]) == [6]
    finally:
        node.stop()

    with pytest.raises(NodeUnavailable) as caught:
        read_many(chain, [read])
    assert caught.value.url == node.url
