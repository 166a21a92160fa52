"""``Chain`` keeps the embedded chain's guarantees on anvil: snapshots, time and account funding.

The shipped fixtures isolate every test by snapshot and revert, and scenarios replay block by
block; both need a node to rewind state and clock together and to advance time like eth-tester.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from defi_int.types import ONE

pytestmark = pytest.mark.node


def test_revert_restores_the_ledger_the_block_number_and_the_clock(
    anvil_chain, anvil_system, anvil_traders, anvil_orders
):
    vault, buyer = anvil_system.vault, anvil_traders[0]
    block, now = anvil_chain.block_number(), anvil_chain.timestamp()
    snapshot = anvil_chain.snapshot()

    anvil_orders.settle([anvil_orders.fill(buyer, size=2 * ONE)])
    anvil_chain.set_next_block_timestamp(now + 10_000)
    anvil_chain.mine()
    anvil_chain.revert(snapshot)

    assert anvil_chain.call(vault.functions.position(buyer.address, 0)) == 0
    assert anvil_chain.block_number() == block
    assert anvil_chain.timestamp() == now
    anvil_orders.settle([anvil_orders.fill(buyer, size=ONE)])
    assert anvil_chain.call(vault.functions.position(buyer.address, 0)) == ONE


def test_a_time_jump_sets_the_next_block_time_exactly(anvil_chain):
    target = anvil_chain.timestamp() + 3_601

    anvil_chain.set_next_block_timestamp(target)
    anvil_chain.mine()

    assert anvil_chain.timestamp() == target


def test_every_new_block_is_later_than_the_one_before_as_on_eth_tester(anvil_chain):
    times = [anvil_chain.timestamp()]
    for _ in range(3):
        anvil_chain.mine()
        times.append(anvil_chain.timestamp())

    assert all(later > earlier for earlier, later in pairwise(times)), times


def test_an_account_first_funded_inside_a_reverted_snapshot_is_funded_again(anvil_chain, anvil_system):
    label = "node-test:newcomer"
    snapshot = anvil_chain.snapshot()
    anvil_chain.account(label)
    anvil_chain.revert(snapshot)

    newcomer = anvil_chain.account(label)
    anvil_chain.transact(newcomer, anvil_system.token.functions.approve(anvil_system.vault.address, 1), gas=60_000)

    assert anvil_chain.call(anvil_system.token.functions.allowance(newcomer.address, anvil_system.vault.address)) == 1


def test_a_block_another_writer_mined_later_moves_the_clock_on(anvil_chain, anvil_system, anvil_traders, anvil_orders):
    node, buyer = anvil_chain.node, anvil_traders[0]
    ahead = anvil_chain.next_timestamp() + 500
    node.set_next_block_timestamp(ahead)  # another process on the same node, behind this Chain's back
    node.mine()

    anvil_orders.settle([anvil_orders.fill(buyer, size=ONE)])

    assert anvil_chain.timestamp() == ahead + 1
    assert anvil_chain.call(anvil_system.vault.functions.position(buyer.address, 0)) == ONE
