"""``defi-int keeper`` refuses to start, in one line and exit code 2, on a journal another keeper holds,
a damaged journal (a garbage header, a truncated file, a damaged page) and a node that does not answer.

These are checked before the keeper talks to the node or serves anything (the node test
``test_keeper_refuses_a_journal_the_chain_outran`` covers a journal that lacks what the chain holds).
"""

from __future__ import annotations

import os

import pytest
from botkit import Orders, account
from eth_account import Account
from eth_utils.crypto import keccak

from defi_int.bot.journal import Journal
from defi_int.bot.lock import JournalLock
from defi_int.chain.deployment import Deployment
from defi_int.cli import main
from defi_int.params import SystemParams

KEEPER = Account.from_key(keccak(text="cli keeper"))
CONTRACTS = {
    name: "0x" + bytes([i + 1]).hex() * 20
    for i, name in enumerate(("CollateralToken", "PriceOracle", "Vault", "PerpAmm", "Settlement", "DeskShares"))
}
DEAD_NODE = "http://127.0.0.1:1"


@pytest.fixture
def keeper(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEFI_INT_KEEPER_KEY", KEEPER.key.hex())
    accounts = {"owner": "0x" + "aa" * 20, "keeper": KEEPER.address, "fee_recipient": "0x" + "ee" * 20}
    deployment = Deployment(31337, 20, b"\x01" * 32, CONTRACTS, accounts, SystemParams(), {0: "ETH"}, {0: 0.8})
    path = tmp_path / "deployment.json"
    path.write_text(deployment.to_json())
    db = tmp_path / "keeper.sqlite"
    config = tmp_path / "keeper.toml"
    config.write_text("[bot]\nrpc_retries = 0\nrpc_timeout = 1\n")

    def start(*extra: str) -> str:
        argv = ["keeper", "--rpc-url", DEAD_NODE, "--deployment", str(path), "--db", str(db), "--config", str(config)]
        assert main([*argv, *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        return err

    return db, start


def journal_with_orders(db, count: int = 400) -> None:
    orders = Orders()
    with Journal(db) as journal:
        journal.add_orders([(*orders.signed(account(i % 7)), None) for i in range(count)])


def test_a_second_keeper_on_the_same_journal_is_refused_naming_the_first(keeper):
    db, start = keeper
    held = JournalLock(db).acquire()
    try:
        assert f"--db {db}: another keeper (pid {os.getpid()}) runs on this journal" in start()
    finally:
        held.release()


def test_a_node_that_does_not_answer_at_start_is_named(keeper):
    db, start = keeper
    assert f"--rpc-url {DEAD_NODE}: the node does not answer" in start()
    assert not JournalLock(db).acquire().release()  # the refused keeper let the journal go


def test_a_file_with_a_garbage_header_is_not_a_journal(keeper):
    db, start = keeper
    db.write_bytes(os.urandom(8192))
    err = start()
    assert f"--db {db}: " in err and "not a database" in err and "--recover" in err


def test_a_truncated_journal_is_refused(keeper):
    db, start = keeper
    journal_with_orders(db)
    size = db.stat().st_size
    assert size > 64 * 1024
    with db.open("r+b") as file:
        file.truncate(size // 2)
    err = start()
    assert f"--db {db}: the journal is damaged" in err or "malformed" in err, err


def test_a_journal_with_a_damaged_page_is_refused(keeper):
    db, start = keeper
    journal_with_orders(db)
    with db.open("r+b") as file:
        page = 4096
        for number in range(3, db.stat().st_size // page - 1, 5):  # every fifth page's b-tree header
            file.seek(number * page)
            file.write(b"\x0d\xff\xff\xff\xff\xff\xff\xff")
    err = start()
    assert f"--db {db}: the journal is damaged" in err, err
