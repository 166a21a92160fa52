"""A reorg replaces the block of a settle with one where the trader cancelled the order on chain:
the keeper's signed settle would now revert, so it takes the nonce back with a no-op instead of
sending it again, closes the settle, and the on-chain cancel closes the order. The other orders of
the settle rest again and are settled by a new transaction.
"""

from __future__ import annotations

import pytest
from keeperkit import KeeperProcess, make_desk, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.chain import codec, transactions
from defi_int.chain.rpc import RpcNode

pytestmark = pytest.mark.node


def test_a_settle_that_can_no_longer_land_gives_its_nonce_back_and_its_cancelled_order_closes(anvil, tmp_path):
    desk = make_desk(anvil.url, tmp_path / "desk")
    node = RpcNode(anvil.url)
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=3))
    keeper.wait_ready()
    victim, other = desk.traders[0], desk.traders[1]
    orders = [desk.order(victim, is_buy=True), desk.order(other, is_buy=False)]
    for signed in orders:
        assert keeper.post(desk, signed).status_code == 201

    def mined() -> bool:
        with Journal(db) as journal:
            settles = journal.settles_in(("mined", "confirmed", "reconciled"))
            return {f.digest for s in settles for f in s.fills} == {s[2] for s in orders}

    wait_for(mined, 20, "the orders mined")
    with Journal(db) as journal:
        settles = journal.settles_in(("mined", "confirmed", "reconciled"))
    (settle,) = [s for s in settles if orders[0][2] in {f.digest for f in s.fills}]
    depth = node.block_number() - settle.block_number + 1
    data = codec.function("Settlement", "cancel").encode(orders[0][0].as_tuple())
    block = node.block("latest")
    cancel, _ = transactions.sign(
        bytes(victim.key), chain_id=desk.deployment.chain_id, nonce=node.transaction_count(victim.address, "latest"),
        gas=200_000, max_fee=4 * block.base_fee + 10**9, priority_fee=10**9, to=desk.deployment.contracts["Settlement"],
        data=data,
    )  # fmt: skip
    node.request("anvil_reorg", [depth, [["0x" + cancel.hex(), 0]]])  # the settle's block, now with the cancel

    def closed() -> bool:
        node.mine()
        with Journal(db) as journal:
            return (
                journal.get_settle(settle.id).stage == "reorged"
                and journal.get_order(orders[0][2]).status == "cancelled"
                and journal.get_order(orders[1][2]).status == "filled"
                and not any(journal.backlog().values())
            )

    wait_for(closed, 30, "the settle closed, the order cancelled, the other filled again")
    assert keeper.stop() == 0
    with Journal(db) as journal:
        again = journal.get_settle(settle.id)
        result = audit(desk.system, journal, desk.deployment.block, accepted=[s[2] for s in orders])
        history = [e.event for e in journal.order_history(orders[0][2])]
    no_op = again.txs[-1]
    assert no_op.cancel and no_op.nonce == settle.nonce and node.find_receipt(no_op.tx_hash).status == 1
    assert "nonce" in again.detail and history[-1] == "cancelled" and "unbooked" in history
    assert result.ok, result.line()
