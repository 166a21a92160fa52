"""The keeper SIGKILLed at each journal stage, ten times each, restarted every time: nothing is lost,
nothing is filled twice, the ledger's invariants hold.

Each stage gets its own deployment and one journal that lives through all ten runs (a keeper that
keeps crashing at the same place). A run: a keeper armed to kill itself at the stage on its first
or second pass takes a wave of orders over its API (marketable buys and sells, some far from the
market, some about to expire), dies there, and a fresh keeper restarts from the journal, is sent
again what the dead one never acknowledged (the API is idempotent on the digest), settles
everything and stops gracefully. After the ten runs the audit compares the chain's fills with the
journal's, order by order.
"""

from __future__ import annotations

import random

import pytest
import requests
from keeperkit import KeeperProcess, make_desk, settled, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.failpoints import POINTS
from defi_int.bot.journal import Journal
from defi_int.types import ONE

pytestmark = pytest.mark.node

RUNS = 10


def post_all(keeper: KeeperProcess, desk, orders, accepted: list[bytes]) -> list:
    """Posts ``orders``, adding the digests taken to ``accepted``; returns those the keeper did not
    answer (it died under them). An order that expired before it could be sent again is refused."""
    missed = []
    for signed in orders:
        try:
            response = keeper.post(desk, signed)
        except requests.RequestException:
            missed.append(signed)
            continue
        if response.status_code == 422 and response.json()["code"] == "expired":
            continue
        assert response.status_code == 201, response.text
        accepted.append(signed[2])
    return missed


@pytest.mark.parametrize("stage", POINTS)
def test_a_keeper_killed_at_a_stage_and_restarted_loses_nothing_and_fills_nothing_twice(own_anvil, tmp_path, stage):
    killed_at_a_stage(own_anvil.url, tmp_path, stage, RUNS)


def killed_at_a_stage(url: str, tmp_path, stage: str, runs: int):
    """``runs`` keepers killed at ``stage`` on one journal, each restarted; the audit at the end (the
    soak set runs it 50 times a stage)."""
    rng = random.Random(stage)
    desk = make_desk(url, tmp_path / stage)
    db, config = tmp_path / "keeper.sqlite", desk.keeper_file(confirmations=1)
    digests: list[bytes] = []
    for run in range(runs):
        dying = KeeperProcess(desk, db, config, armed=f"{stage}={1 + run % 2}")
        dying.wait_ready()
        wave = [
            desk.order(
                trader,
                is_buy=rng.random() < 0.5,
                size=rng.choice([ONE // 2, ONE, 3 * ONE]),
                through_bps=80 if i % 3 == 0 else rng.choice([80, 80, -300]),  # each half has a marketable one
                expiry=600 if i % 3 == 0 else rng.choice([600, 600, 4]),
            )
            for i, trader in enumerate(desk.traders)
        ]
        missed = post_all(dying, desk, wave[:3], digests)
        wait_for(lambda k=dying: not k.process.is_alive() or settled(db, digests), 20, "a first batch")
        if dying.process.is_alive():
            missed += post_all(dying, desk, wave[3:], digests)
        else:
            missed += wave[3:]
        dying.wait_killed()

        keeper = KeeperProcess(desk, db, config)
        keeper.wait_ready()
        assert post_all(keeper, desk, missed, digests) == []
        wait_for(lambda: settled(db, digests), 30, f"run {run}: every order settled, expired or resting")
        assert keeper.stop() == 0

    with Journal(db) as journal:
        result = audit(desk.system, journal, desk.deployment.block, accepted=digests)
        statuses = {journal.get_order(d).status for d in digests}
        dropped = [s for s in journal.settles_in(("dropped",)) if "never signed" in s.detail]
    print(f"killed {runs} times {stage}: {result.line()}")
    assert result.ok, result.line() + str(result.double_fills + result.non_canonical + result.lost_orders)[:2000]
    assert result.chain_fills > 0 and "filled" in statuses
    if stage == "after_planned":
        assert len(dropped) == runs  # each planned settle was dropped on restart, never signed twice
    return result
