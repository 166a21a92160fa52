"""The keeper behind a proxy that drops, delays or fails 10% of its JSON-RPC calls, over 200 batches
and more: no order is settled twice, every order ends final, the journal is the chain's.

The worst faults are in the mix: a raw transaction that reached the node while its answer was
dropped (the keeper must find it mined, never sign the fills again), a receipt lookup that fails,
a block read that times out. The keeper retries behind its circuit breaker and carries on; the
test only posts orders (directly to its API) and waits.
"""

from __future__ import annotations

from collections import Counter

import pytest
from chaosproxy import ChaosProxy
from keeperkit import KeeperProcess, make_desk, settled, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.chain.views import fill_events_between
from defi_int.types import ONE

pytestmark = pytest.mark.node

ORDERS = 600
API = "\n[api]\norders_per_second = 10000\nburst = 10000\n"


def test_two_hundred_batches_through_rpc_chaos_settle_every_order_once(own_anvil, tmp_path):
    chaos_run(own_anvil.url, tmp_path, orders=ORDERS, batches=200)


def chaos_run(url: str, tmp_path, *, orders: int, batches: int) -> None:
    """``orders`` orders, three a batch, through the chaos proxy; at least ``batches`` batches (the soak
    set runs a thousand)."""
    count = orders
    desk = make_desk(url, tmp_path / "desk", traders=8)
    db = tmp_path / "keeper.sqlite"
    config = desk.keeper_file(confirmations=1, max_batch=3, extra=API)
    orders = [
        desk.order(t, is_buy=i % 2 == 0, size=ONE // 4, expiry=3_600) for i, t in enumerate(desk.traders * (count // 8))
    ]
    with ChaosProxy(url, rate=0.1, seed=7) as proxy:
        keeper = KeeperProcess(desk, db, config, url=proxy.url)
        keeper.wait_ready(timeout=60)
        for signed in orders:
            assert keeper.post(desk, signed).status_code == 201
        wait_for(lambda: settled(db, [s[2] for s in orders]), 240 * count / ORDERS, "every order settled", every=0.5)
        assert keeper.stop() == 0
        stats = proxy.stats

    with Journal(db) as journal:
        result = audit(desk.system, journal, desk.deployment.block, accepted=[s[2] for s in orders])
        statuses = Counter(journal.get_order(s[2]).status for s in orders)
        reconciled = len(journal.settles_in(("reconciled",)))
        failed = journal.settles_in(("failed",))
    fills = Counter(e.digest for e in fill_events_between(desk.system, from_block=desk.deployment.block))

    faults = stats["calls"] - stats["forward"]
    print(f"rpc chaos: {reconciled} batches, {faults} of {stats['calls']} calls faulted {stats}; {result.line()}")
    assert stats["calls"] >= 5 * batches and 0.07 < faults / stats["calls"] < 0.13, stats
    assert min(stats[k] for k in ("drop_before", "drop_after", "delay", "fail", "error")) > 20, stats
    assert reconciled >= batches and failed == []
    assert statuses == {"filled": len(orders)}
    assert set(fills.values()) == {1} and len(fills) == len(orders)  # every order settled once, by one transaction
    assert result.ok, result.line()
