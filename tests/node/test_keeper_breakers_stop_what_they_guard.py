"""The circuit breakers, wired into the running keeper: each stops what it guards, and only that.

- kill switch (the admin endpoint): nothing settles; orders rest with ``breaker_open``; released, they fill;
- stale oracle (older than ``[breakers] max_oracle_age``): the market's orders rest with
  ``stale_oracle`` until a fresh price;
- inventory hard stop: only the side that shrinks the desk's position fills internally;
- oracle–AMM deviation: nothing is routed to the AMM; the desk still fills what it can.
"""

from __future__ import annotations

import time

import pytest
import requests
from keeperkit import ADMIN_TOKEN, KeeperProcess, make_desk, wait_for

from defi_int.bot.journal import Journal
from defi_int.params import MarketParams, SystemParams
from defi_int.types import ONE

pytestmark = pytest.mark.node


def statuses(db, digests) -> dict[bytes, tuple[str, str | None, int]]:
    with Journal(db) as journal:
        records = journal.get_orders(digests)
    return {d: (r.status, r.reason.code if r.reason else None, r.filled) for d, r in records.items()}


def settles(db) -> int:
    with Journal(db) as journal:
        return len(journal.settles_in(("planned", "signed", "sent", "mined", "confirmed", "reconciled")))


def test_the_kill_switch_stops_every_settle_until_released(anvil, tmp_path):
    desk = make_desk(anvil.url, tmp_path / "desk")
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file())
    api = keeper.wait_ready()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    engaged = requests.post(f"{api}/v1/admin/kill-switch", json={"engaged": True, "reason": "test"}, headers=auth)
    assert engaged.json()["engaged"] is True
    orders = [desk.order(t, is_buy=i % 2 == 0) for i, t in enumerate(desk.traders[:4])]
    for signed in orders:
        assert keeper.post(desk, signed).status_code == 201
    digests = [s[2] for s in orders]
    wait_for(lambda: {r[1] for r in statuses(db, digests).values()} == {"breaker_open"}, 10, "the reasons")
    assert settles(db) == 0 and requests.get(f"{api}/readyz").status_code == 503

    requests.post(f"{api}/v1/admin/kill-switch", json={"engaged": False, "reason": "done"}, headers=auth)
    wait_for(lambda: {r[0] for r in statuses(db, digests).values()} == {"filled"}, 10, "the fills")
    assert keeper.stop() == 0


def test_a_stale_oracle_lets_orders_rest_until_a_fresh_price(anvil, tmp_path):
    desk = make_desk(anvil.url, tmp_path / "desk")
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(extra="\n[breakers]\nmax_oracle_age = 6\n"))
    keeper.wait_ready()
    price = desk.system.chain.call(desk.system.oracle.functions.latest(0))[0]
    desk.system.set_price(0, price)
    time.sleep(7)  # older than the keeper's limit (which leaves a loaded machine 6 s to fill a fresh one)
    orders = [desk.order(t, is_buy=i % 2 == 0) for i, t in enumerate(desk.traders[:2])]
    for signed in orders:
        assert keeper.post(desk, signed).status_code == 201
    digests = [s[2] for s in orders]
    wait_for(lambda: {r[1] for r in statuses(db, digests).values()} == {"stale_oracle"}, 10, "the reasons")
    assert settles(db) == 0

    desk.system.set_price(0, price)
    wait_for(lambda: {r[0] for r in statuses(db, digests).values()} == {"filled"}, 10, "the fills")
    assert keeper.stop() == 0


def test_the_inventory_hard_stop_fills_only_the_side_that_shrinks_the_desk(anvil, tmp_path):
    desk = make_desk(anvil.url, tmp_path / "desk")
    db = tmp_path / "keeper.sqlite"
    # the cap is 1,000 base units: 10 bps of it is 1; a first sell of 2 takes the desk long past it
    keeper = KeeperProcess(desk, db, desk.keeper_file(extra="\n[breakers]\ninventory_hard_stop_bps = 10\n"))
    keeper.wait_ready()
    first = desk.order(desk.traders[0], is_buy=False, size=2 * ONE)
    assert keeper.post(desk, first).status_code == 201
    wait_for(lambda: statuses(db, [first[2]])[first[2]][0] == "filled", 10, "the desk long by 2")
    sell = desk.order(desk.traders[1], is_buy=False, size=ONE, through_bps=20)  # would grow it: held
    buy = desk.order(desk.traders[2], is_buy=True, size=ONE, through_bps=20)  # shrinks it: fills
    for signed in (sell, buy):
        assert keeper.post(desk, signed).status_code == 201
    wait_for(lambda: statuses(db, [buy[2]])[buy[2]][0] == "filled", 10, "the buy filled")
    wait_for(lambda: statuses(db, [sell[2]])[sell[2]][1] is not None, 10, "a reason for the sell")
    assert statuses(db, [sell[2]])[sell[2]][:2] == ("resting", "breaker_open")
    assert keeper.stop() == 0


def test_an_amm_far_from_the_oracle_gets_no_routing_and_the_desk_fills_what_it_can(anvil, tmp_path):
    params = SystemParams(markets=(MarketParams(inventory_cap=1_000 * ONE, amm_base=10_000 * ONE),))
    desk = make_desk(anvil.url, tmp_path / "desk", params=params)
    db = tmp_path / "keeper.sqlite"
    extra = "\n[breakers]\nmax_amm_deviation_bps = 20\n"
    keeper = KeeperProcess(desk, db, desk.keeper_file(extra=extra))
    keeper.wait_ready()
    price = desk.system.chain.call(desk.system.oracle.functions.latest(0))[0]
    desk.system.set_price(0, price * 10_040 // 10_000)  # 40 bps above the AMM's mid
    sell = desk.order(desk.traders[0], is_buy=False, size=ONE, through_bps=200)  # the desk beats the AMM
    buy = desk.order(desk.traders[1], is_buy=True, size=ONE, through_bps=200)  # only the AMM would take it
    for signed in (sell, buy):
        assert keeper.post(desk, signed).status_code == 201
    wait_for(lambda: statuses(db, [sell[2]])[sell[2]][0] == "filled", 10, "the sell filled")
    wait_for(lambda: statuses(db, [buy[2]])[buy[2]][1] is not None, 10, "a reason for the buy")
    with Journal(db) as journal:
        venues = {leg.leg.venue for leg in journal.order_fills(sell[2])}
        board = [c.name for c in journal.open_breakers()]
    assert venues == {"internal"} and "amm_deviation" in board
    assert statuses(db, [buy[2]])[buy[2]][:2] == ("resting", "breaker_open")
    assert keeper.stop() == 0
