"""A settle transaction that is not mined in time is replaced at the same nonce with fees bumped >= 12.5%.

Anvil's automine is off: the keeper's settle waits in the pool. After ``replace_after`` the keeper
signs the same call again at the same nonce with higher fees (journaled as a replacement), and when
a block is finally mined only one of the two lands: the fills are booked once.
"""

from __future__ import annotations

import pytest
from keeperkit import KeeperProcess, all_filled, make_desk, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.chain import transactions
from defi_int.chain.rpc import RpcNode

pytestmark = pytest.mark.node


def test_a_stuck_settle_is_replaced_at_its_nonce_with_fees_bumped_and_lands_once(own_anvil, tmp_path):
    desk = make_desk(own_anvil.url, tmp_path / "desk")
    node = RpcNode(own_anvil.url)
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=1, replace_after=0.3))
    keeper.wait_ready()
    orders = [desk.order(t, is_buy=i % 2 == 0) for i, t in enumerate(desk.traders[:4])]
    node.request("evm_setAutomine", [False])
    try:
        for signed in orders:
            assert keeper.post(desk, signed).status_code == 201

        def replaced() -> bool:
            with Journal(db) as journal:
                return any(len(s.txs) >= 2 for s in journal.settles_in(("sent", "signed")))

        wait_for(replaced, 20, "a replacement")
        node.mine()
    finally:
        node.request("evm_setAutomine", [True])
    wait_for(lambda: all_filled(db, [s[2] for s in orders]), 20, "the orders filled")
    assert keeper.stop() == 0

    with Journal(db) as journal:
        replaced = [s for s in journal.settles_in(("reconciled",)) if len(s.txs) >= 2]
        result = audit(desk.system, journal, desk.deployment.block, accepted=[s[2] for s in orders])
    assert replaced and result.ok, result.line()
    for settle in replaced:  # up to max_in_flight settles wait in the pool together: each is replaced
        first, second = settle.txs[0], settle.txs[1]
        assert second.replaces == first.tx_hash and second.nonce == first.nonce == settle.nonce
        assert second.max_fee * 10_000 >= first.max_fee * 11_250  # at least 12.5% more, both fees
        assert second.priority_fee * 10_000 >= first.priority_fee * 11_250
        same_call = transactions.decode_transaction(first.raw), transactions.decode_transaction(second.raw)
        assert same_call[0].data == same_call[1].data and same_call[0].to == same_call[1].to
        assert settle.tx_hash in {tx.tx_hash for tx in settle.txs} and node.find_receipt(settle.tx_hash).status == 1
        landed = [tx for tx in settle.txs if node.find_receipt(tx.tx_hash) is not None]
        assert len(landed) == 1  # one of its transactions landed: its fills booked once
