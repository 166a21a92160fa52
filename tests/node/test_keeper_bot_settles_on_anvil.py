"""The keeper bot on anvil: orders posted to its API are settled, confirmed and reported; it stops cleanly."""

from __future__ import annotations

import json

import pytest
import requests
from keeperkit import KeeperProcess, all_filled, make_desk, wait_for

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.bot.report import report_command

pytestmark = pytest.mark.node


def test_orders_posted_to_the_api_are_settled_confirmed_and_reported(own_anvil, tmp_path):
    desk = make_desk(own_anvil.url, tmp_path / "desk")
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=1))
    api = keeper.wait_ready()
    marketable = [desk.order(t, is_buy=i % 2 == 0) for i, t in enumerate(desk.traders * 3)]
    away = [desk.order(t, is_buy=True, through_bps=-300) for t in desk.traders[:2]]
    for signed in marketable + away:
        assert keeper.post(desk, signed).status_code == 201

    wait_for(lambda: all_filled(db, [s[2] for s in marketable]), 30, "every marketable order filled")
    status = requests.get(f"{api}/v1/orders/0x{away[0][2].hex()}", timeout=5).json()
    wait_for(lambda: requests.get(f"{api}/v1/orders/0x{away[1][2].hex()}", timeout=5).json()["reason"] is not None, 10,
             "a reason for the resting order")  # fmt: skip
    filled = requests.get(f"{api}/v1/orders/0x{marketable[0][2].hex()}", timeout=5).json()
    metrics = requests.get(f"{api}/metrics", timeout=5).text
    assert keeper.stop() == 0

    assert status["status"] == "resting"
    assert filled["status"] == "filled" and filled["fills"][0]["venue"] == "internal"
    assert 'defi_int_orders{status="filled"} 18.0' in metrics and "defi_int_settle_latency_seconds_count" in metrics
    with Journal(db) as journal:
        why = journal.get_order(away[1][2]).reason
        assert why is not None and why.code == "limit_not_met"
        result = audit(desk.system, journal, desk.deployment.block, accepted=[s[2] for s in marketable + away])
        assert {s.stage for s in journal.settles_in(("reconciled", "confirmed", "mined"))} == {"reconciled"}
    assert result.ok, result.line()
    assert result.line().startswith("0 double fills, 0 lost orders, 0 non-canonical fills booked; 20 orders")
    paths = report_command(db, tmp_path / "report")
    assert (tmp_path / "report" / "fills.csv").read_text().count("\n") == 19  # a header and 18 internal legs
    assert paths["summary.json"].read_text().count('"invariants_ok": true') == 1
    summary = json.loads(paths["summary.json"].read_text())
    best = summary["audits"]["best_execution"]
    assert (best["checked"], best["violations"]) == (18, 0)
    assert summary["execution"]["all"]["orders"] == 20  # every order the API took has its receipt
    assert (tmp_path / "report" / "orders.csv").read_text().count("\n") == 21
