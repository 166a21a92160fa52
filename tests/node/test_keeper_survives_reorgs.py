"""Reorgs of depth 1 to 5 under a running keeper: nothing non-canonical stays booked, every order fills.

The keeper (confirmations = 3) settles a few orders; the test then takes the settle's block away:
``anvil_reorg`` to the same height with empty blocks, ``anvil_reorg`` with the settle's own signed
transaction put back in another block (depths 2 to 5), or ``evm_revert`` to a snapshot from before the orders (the
chain goes backwards). Depths 3 to 5 reach settles the keeper had already confirmed. Each time the
keeper must notice (a reorg, not a dead node), unbook, and settle the same orders again: by its
same transaction, sent again or found in its new block, never by a second one while the first may
land. The audit after each reorg compares the chain's fills with the journal's.
"""

from __future__ import annotations

import pytest
from keeperkit import KeeperProcess, make_desk, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.chain.rpc import RpcNode

pytestmark = pytest.mark.node

CONFIRMATIONS = 3
# The transaction put back goes into the second new block: a first new block identical to the one
# it replaces (same parent, transactions and second) would be no reorg at all.
CASES = [
    (d, how) for d in range(1, 6) for how in ("reorg", "reorg_reinclude", "revert") if d > 1 or how != "reorg_reinclude"
]


def booked(db, digests) -> tuple[bool, int | None]:
    """(every order filled and its settle mined or further, the block of the latest settle)."""
    with Journal(db) as journal:
        records = journal.get_orders(digests)
        done = len(records) == len(digests) and all(r.status == "filled" for r in records.values())
        settles = journal.settles_in(("mined", "confirmed", "reconciled"))
        open_ = journal.settles_in(("planned", "signed", "sent"))
    return done and not open_, (settles[-1].block_number if settles else None)


def reconciled(db) -> bool:
    with Journal(db) as journal:
        return not any(journal.backlog().values())


def test_reorgs_of_depth_one_to_five_leave_nothing_non_canonical_booked(anvil, tmp_path):
    desk = make_desk(anvil.url, tmp_path / "desk")
    node = RpcNode(anvil.url)
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=CONFIRMATIONS))
    keeper.wait_ready()
    accepted: list[bytes] = []
    unwound = 0
    for depth, how in CASES:
        snapshot = node.snapshot()
        orders = [desk.order(t, is_buy=i % 2 == 0) for i, t in enumerate(desk.traders[:3])]
        for signed in orders:
            assert keeper.post(desk, signed).status_code == 201
        digests = [s[2] for s in orders]
        accepted += digests
        wait_for(lambda d=digests: booked(db, d)[0], 20, f"depth {depth} {how}: the orders settled")
        settle_block = booked(db, digests)[1]
        while node.block_number() < settle_block + depth - 1:
            node.mine()
        if depth >= CONFIRMATIONS:  # the keeper confirmed the settle before it is taken away
            wait_for(lambda: reconciled(db), 20, f"depth {depth}: confirmed")
        with Journal(db) as journal:
            settle = journal.settles_in(("mined", "confirmed", "reconciled"))[-1]
        assert node.block_number() - settle.block_number + 1 == depth  # the reorg reaches exactly it

        if how == "revert":
            assert node.revert(snapshot)
        else:
            replay = [["0x" + settle.current.raw.hex(), 1]] if how == "reorg_reinclude" else []
            node.request("anvil_reorg", [depth, replay])
        node.mine()

        def settled_again(settle_id: int = settle.id, digests: list[bytes] = digests) -> bool:
            node.mine()  # blocks on top, for the confirmations
            with Journal(db) as journal:
                if journal.get_settle(settle_id).reorgs == 0:
                    return False  # the keeper has not looked at the chain since
            return booked(db, digests)[0] and reconciled(db)

        wait_for(settled_again, 30, f"depth {depth} {how}: settled again", every=0.1)
        with Journal(db) as journal:
            again = journal.get_settle(settle.id)
            result = audit(desk.system, journal, desk.deployment.block, accepted=accepted)
        unwound += again.reorgs
        assert again.reorgs == 1 and again.stage == "reconciled", (depth, how)  # the same settle landed again
        assert result.ok, f"depth {depth} {how}: {result.line()} {result.non_canonical[:3]}"
    assert keeper.stop() == 0
    assert unwound == len(CASES)
