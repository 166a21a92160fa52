"""On a node that mines only when a transaction arrives (a stock anvil, no flag), orders become final with
no flag either: the keeper asks for an empty block while a settle waits for its confirmations. A node
that refuses ``evm_mine`` is asked once, and the settle waits for the node's own next block."""

from __future__ import annotations

import pytest
from chaosproxy import ChaosProxy
from keeperkit import KeeperProcess, all_filled, make_desk, wait_for

from defi_int.bot.journal import Journal
from defi_int.chain.anvil import Anvil
from defi_int.chain.rpc import RpcNode
from defi_int.types import ONE

pytestmark = pytest.mark.node


def reconciled(db) -> list[int]:
    with Journal(db) as journal:
        return [s.confirmations or 0 for s in journal.settles_in(("reconciled",))]


def test_orders_become_final_on_a_stock_anvil_with_three_confirmations(tmp_path):
    with Anvil(stock=True) as node:
        desk = make_desk(node.url, tmp_path / "desk", traders=2)
        db = tmp_path / "keeper.sqlite"
        keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=3))
        keeper.wait_ready()
        wave = [desk.order(t, is_buy=i == 0, size=ONE) for i, t in enumerate(desk.traders)]
        for signed in wave:
            assert keeper.post(desk, signed).status_code == 201
        wait_for(lambda: all_filled(db, [s[2] for s in wave]), 20, "the orders final on a node that mines on demand")
        assert keeper.stop() == 0
    assert reconciled(db) and min(reconciled(db)) >= 3
    assert "the node mines only on demand" in db.with_suffix(".log").read_text()


def test_a_node_that_refuses_to_mine_is_asked_once_and_its_own_blocks_confirm(own_anvil, tmp_path):
    desk = make_desk(own_anvil.url, tmp_path / "desk", traders=2)
    db = tmp_path / "keeper.sqlite"
    with ChaosProxy(own_anvil.url, rate=0.0) as proxy:
        proxy.refused.add("evm_mine")
        keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=2), url=proxy.url)
        keeper.wait_ready()
        signed = desk.order(desk.traders[0], is_buy=True, size=ONE)
        assert keeper.post(desk, signed).status_code == 201
        wait_for(lambda: proxy.stats["refused"] >= 1, 20, "the keeper asking for a block")
        assert not all_filled(db, [signed[2]])  # mined, not final: no block of the node's own yet
        RpcNode(own_anvil.url).mine()  # the node's own next block
        wait_for(lambda: all_filled(db, [signed[2]]), 20, "the settle confirmed by the node's block")
        assert keeper.stop() == 0
        assert proxy.stats["refused"] == 1
    assert "the node does not mine on request" in db.with_suffix(".log").read_text()
