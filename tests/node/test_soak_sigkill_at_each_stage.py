"""Soak (``pytest -m soak``; ``make test`` never runs it): the keeper SIGKILLed at each journal stage 50
times, restarted every time, for settles and for liquidations; every run ends with 0 double fills, 0
lost orders, and every liquidation on the chain one of the journal's, sent once.

Settle stages reuse the node test's waves (``killed_at_a_stage``). A liquidation run: a trader funded
thinly buys through the API, the oracle drops 7%, the keeper's liquidator closes the account and is
killed at the stage; a fresh keeper takes the liquidation from the journal (found mined, sent again,
its nonce taken back, or planned anew) until the account is closed; the oracle goes back.
"""

from __future__ import annotations

import os

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from keeperkit import KeeperProcess, make_desk, wait_for
from test_keeper_survives_sigkill_at_each_stage import killed_at_a_stage

from defi_int.bot.audit import audit
from defi_int.bot.failpoints import LIQUIDATION_POINTS, POINTS
from defi_int.bot.journal import Journal
from defi_int.chain.views import contract_logs, liquidations_logged
from defi_int.types import ONE

pytestmark = [pytest.mark.node, pytest.mark.soak]

RUNS = int(os.environ.get("SOAK_RUNS", "50"))


@pytest.mark.parametrize("stage", POINTS)
def test_fifty_kills_at_each_settle_stage_lose_nothing_and_fill_nothing_twice(own_anvil, tmp_path, stage):
    killed_at_a_stage(own_anvil.url, tmp_path, stage, RUNS)


def position(desk, account: str) -> int:
    return int(desk.system.chain.call(desk.system.vault.functions.position(account, 0)))


@pytest.mark.parametrize("stage", LIQUIDATION_POINTS)
def test_fifty_kills_at_each_liquidation_stage_close_every_account_once(own_anvil, tmp_path, stage):
    desk = make_desk(own_anvil.url, tmp_path / stage, traders=2)
    db, config = tmp_path / "keeper.sqlite", desk.keeper_file(confirmations=1)
    system = desk.system
    price = int(system.chain.call(system.oracle.functions.latest(0))[0])
    accepted: list[bytes] = []
    closed: list[str] = []
    for run in range(RUNS):
        thin = Account.from_key(keccak(text=f"soak {stage} thin trader {run}"))
        system.deposit_for(thin.address, 2 * price * 105 // 1000 // 10**18 * 10**6)  # 10.5% of 2 ETH
        dying = KeeperProcess(desk, db, config, armed=f"{stage}=1")
        dying.wait_ready()
        signed = desk.order(thin, is_buy=True, size=2 * ONE, through_bps=50)
        assert dying.post(desk, signed).status_code == 201
        accepted.append(signed[2])
        wait_for(lambda a=thin.address: position(desk, a) == 2 * ONE, 20, "the thin trader's fill")
        system.set_price(0, price * 93 // 100)
        dying.wait_killed(timeout=60)

        keeper = KeeperProcess(desk, db, config)
        keeper.wait_ready()
        wait_for(lambda a=thin.address: position(desk, a) == 0, 60, f"run {run}: the account closed")
        system.set_price(0, price)
        assert keeper.stop() == 0
        closed.append(thin.address)

    logs = contract_logs(
        system, (("Vault", "Liquidated"), ("Vault", "BadDebtRealized")), from_block=desk.deployment.block
    )
    on_chain = [x for x in liquidations_logged(system, logs) if x.item.liquidator == desk.deployment.accounts["keeper"]]
    with Journal(db) as journal:
        result = audit(system, journal, desk.deployment.block, accepted=accepted)
        journaled = {x.tx_hash: journal.settle_of_tx(x.tx_hash) for x in on_chain}
        mined = [s for s in journal.settles_in(("mined", "confirmed", "reconciled")) if s.kind == "liquidation"]
    print(f"killed {RUNS} times {stage}: {len(on_chain)} liquidations on chain; {result.line()}")
    assert result.ok, result.line()
    assert None not in journaled.values()  # every liquidation on the chain is one the journal sent
    assert len(set(journaled.values())) == len(on_chain) == len(mined)  # each journaled close landed once
    assert {x.item.account for x in on_chain} == set(closed)
