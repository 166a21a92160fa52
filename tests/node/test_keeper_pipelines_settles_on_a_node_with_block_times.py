"""On a node that mines a block every second, the keeper keeps several settles in flight (their nonces in a
row, each planned on the node's pending block): more than one lands in a block, none fills an order twice,
and the journal is the chain's."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from keeperkit import KeeperProcess, make_desk, settled, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.chain.anvil import Anvil
from defi_int.chain.rpc import RpcNode
from defi_int.types import ONE

pytestmark = pytest.mark.node

API = "\n[api]\norders_per_second = 10000\nburst = 10000\n"


def test_several_settles_land_in_one_block_and_nothing_fills_twice(tmp_path):
    with Anvil() as node:
        desk = make_desk(node.url, tmp_path / "desk", traders=6)
        RpcNode(node.url).request("evm_setIntervalMining", [1])  # from now on a block a second, none on demand
        db = tmp_path / "keeper.sqlite"
        keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=1, max_batch=4, extra=API))
        keeper.wait_ready()
        orders = [desk.order(t, is_buy=i % 2 == 0, size=ONE // 4, expiry=600) for i, t in enumerate(desk.traders * 6)]
        for signed in orders:
            assert keeper.post(desk, signed).status_code == 201
            time.sleep(0.01)
        digests = [s[2] for s in orders]
        wait_for(lambda: settled(db, digests), 60, "every order settled", every=0.25)
        assert keeper.stop() == 0
        with Journal(db) as journal:
            result = audit(desk.system, journal, desk.deployment.block, accepted=digests)
            blocks = Counter(s.block_number for s in journal.settles_in(("reconciled",)))
            statuses = Counter(journal.get_order(d).status for d in digests)
    assert result.ok, result.line()
    assert statuses == {"filled": len(orders)}
    assert max(blocks.values()) >= 2, blocks  # settles signed before the block before them was mined
