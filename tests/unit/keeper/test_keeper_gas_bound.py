"""A batch is bounded by the block gas limit: the settle of the keeper's batch always fits a block.

Before, the default ``max_batch`` of 500 asked for 65.2M gas, over a 60M block, and the run died.
"""

from __future__ import annotations

import pytest
from mirror_world import TRADERS

from defi_int.exceptions import TransactionFailed
from defi_int.types import ONE

TEN_FILLS = 200_000 + 130_000 * 10


def test_a_batch_never_asks_for_more_gas_than_a_block_holds(make_world) -> None:
    world = make_world(gas_limit=TEN_FILLS)
    for i in range(25):
        world.submit(TRADERS[i % 8], size=ONE // 10)
    counts = [len(world.keeper.step(step).events) for step in range(3)]
    assert counts == [10, 10, 5]
    assert len(world.keeper.book) == 0


def test_the_mirror_refuses_a_batch_over_the_block_gas_limit(make_world) -> None:
    world = make_world(gas_limit=TEN_FILLS, max_batch=500)
    for i in range(11):
        world.submit(TRADERS[i % 8], size=ONE // 10)
    keeper = world.keeper
    snapshot = keeper.snapshot(list(keeper.book))
    plan = keeper.plan(list(keeper.book), snapshot).fills
    assert len(plan) == 11 and snapshot.max_fills == 10
    with pytest.raises(TransactionFailed):
        world.venue.settle(plan)
