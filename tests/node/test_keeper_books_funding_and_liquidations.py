"""The keeper bot books the desk's funding and liquidates as the simulator does, and its report's PnL is
exact to the unit with both.

Funding is on. A trader sells to the desk, a thinly funded trader buys 2 ETH, the oracle drops 7%: the
keeper's liquidator closes the thin trader (the desk takes the long at the oracle); with the AMM now
above the oracle, funding accrues (``updateFunding`` twice, two seconds apart) and the desk's short
settles it when the next fill touches its book. The report has
the liquidation, a funding part that is not zero, and a residual of 0.
"""

from __future__ import annotations

import json
import time

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from keeperkit import KeeperProcess, make_desk, wait_for

from defi_int.bot.journal import Journal
from defi_int.bot.report import report_command
from defi_int.params import MarketParams, SystemParams
from defi_int.types import ONE

pytestmark = pytest.mark.node


def test_funding_and_a_liquidation_are_booked_and_the_report_is_exact(own_anvil, tmp_path):
    params = SystemParams(
        markets=(MarketParams(inventory_cap=1_000 * ONE, amm_base=10_000 * ONE, funding_period=3_600,
                              funding_cap_bps=100),)
    )  # fmt: skip
    desk = make_desk(own_anvil.url, tmp_path / "desk", traders=2, params=params)
    system = desk.system
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=1))
    keeper.wait_ready()
    price = int(system.chain.call(system.oracle.functions.latest(0))[0])
    thin = Account.from_key(keccak(text="funding test: a thin trader"))
    system.deposit_for(thin.address, 2 * price * 105 // 1000 // 10**18 * 10**6)

    digests = []
    for signed in (desk.order(desk.traders[0], is_buy=True, size=3 * ONE), desk.order(thin, is_buy=True, size=2 * ONE)):
        assert keeper.post(desk, signed).status_code == 201
        digests.append(signed[2])

    def position(account: str) -> int:
        return int(system.chain.call(system.vault.functions.position(account, 0)))

    wait_for(lambda: position(thin.address) == 2 * ONE, 20, "the thin trader's fill")
    system.set_price(0, price * 93 // 100)
    wait_for(lambda: position(thin.address) < 2 * ONE, 20, "the liquidation")  # v3: the close factor may close part
    wait_for(lambda: position(desk.traders[0].address) == 3 * ONE, 5, "the first fill")
    system.update_funding(0)  # the premium (the AMM 7% over the oracle, capped at 1%) sampled now ...
    time.sleep(2)
    system.update_funding(0)  # ... and paid into the index over two seconds
    for _ in range(3):  # later fills touch the desk's book: it settles its funding each time
        signed = desk.order(desk.traders[1], is_buy=True, size=ONE // 4, through_bps=150)
        assert keeper.post(desk, signed).status_code == 201
        wait_for(lambda d=signed[2]: filled(db, d), 20, "a later fill")
    assert keeper.stop() == 0

    with Journal(db) as journal:
        taken = journal.liquidations()
        charges = journal.funding(system.desk)
    left = position(thin.address)  # protocol v3's close factor closes as much as restores the margin
    assert [(x.account, x.to_desk) for x in taken] == [(thin.address, 2 * ONE - left)] and 0 < left < 2 * ONE
    with Journal(db) as journal:
        everyone = journal.funding()
    assert any(c.amount for c in charges), everyone[:10]
    report_command(db, tmp_path / "report")
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["pnl_residual_units"] == 0 and summary["invariants_ok"], summary["pnl_breakdown_units"]
    assert summary["pnl_breakdown_units"]["funding"] != 0
    assert summary["liquidations"]["count"] == 1 and summary["liquidations"]["by_venue"]["desk"] == 1


def filled(db, digest: bytes) -> bool:
    with Journal(db) as journal:
        record = journal.get_order(digest)
        return record is not None and record.status == "filled"
