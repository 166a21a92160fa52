"""Journal: the file's schema version, migrations, pragmas, and a connection per thread."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from botkit import Orders, account

from defi_int.bot.errors import JournalError, JournalVersionError
from defi_int.bot.journal import SCHEMA_VERSION, Journal
from defi_int.bot.journal.schema import MIGRATIONS, connect, migrate, version


def test_a_new_journal_is_at_the_latest_version_in_wal_mode_with_full_sync(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        conn = journal._conn()
        assert journal.version == SCHEMA_VERSION == version(conn)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_journal_written_by_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(JournalVersionError, match=f"version {SCHEMA_VERSION + 1} is newer than this code's"):
        Journal(path)


def test_migrations_apply_in_order_each_in_one_transaction(tmp_path):
    path = str(tmp_path / "j.sqlite")
    conn = connect(path)
    extra = (*MIGRATIONS, "ALTER TABLE orders ADD COLUMN note TEXT;", "CREATE TABLE broken (x INTEGER;")

    with pytest.raises(JournalError, match="cannot migrate"):
        migrate(conn, path, extra)

    assert version(conn) == len(MIGRATIONS) + 1  # the good migration stayed, the broken one left nothing
    assert "note" in [row[1] for row in conn.execute("PRAGMA table_info(orders)")]
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'broken'").fetchone() is None
    assert migrate(conn, path, extra[:-1]) == len(MIGRATIONS) + 1  # nothing left to do
    conn.close()


def test_a_journal_in_memory_is_refused(tmp_path):
    with pytest.raises(JournalError, match="must be a file"):
        Journal(":memory:")


def test_a_file_that_is_not_sqlite_is_refused_with_its_path(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database " * 100)

    with pytest.raises(JournalError, match=r"notes\.txt"):
        Journal(path)


def test_each_thread_gets_its_own_connection_and_concurrent_intake_keeps_one_order_per_nonce(tmp_path):
    orders = Orders()
    alice = account(1)
    same_nonce = [orders.signed(alice, nonce=77, size=(i + 1) * 10**18) for i in range(8)]
    outcomes, connections = [], set()
    with Journal(tmp_path / "j.sqlite") as journal:
        barrier = threading.Barrier(len(same_nonce))

        def submit(order) -> None:
            connections.add(id(journal._conn()))
            barrier.wait()
            outcomes.append(journal.add_order(*order).outcome)

        threads = [threading.Thread(target=submit, args=(o,)) for o in same_nonce]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sorted(outcomes) == ["created"] + ["nonce_taken"] * 7
        assert len(connections) == len(same_nonce)
        assert journal.status_counts()["resting"] == 1


def test_a_journal_at_version_5_takes_the_liquidator_and_funding_tables_and_keeps_its_rows(tmp_path):
    """Versions 4 and 5 (receipts, traces, scores, the model, re-matches) shipped first: a journal
    written at 5 is brought to 6 (settle kinds, the insurance fund's cash, closes, funding and
    liquidations) with every row it held; a journal at 3 takes 4, 5 and 6 in order, its old
    reason codes respelled on the way."""
    path = str(tmp_path / "j.sqlite")
    conn = connect(path)
    assert migrate(conn, path, MIGRATIONS[:3]) == 3
    conn.execute(
        "INSERT INTO orders (digest, trader, trader_key, market, is_buy, size, limit_price, expiry, expiry_at, "
        "nonce, max_fee_bps, allow_amm, signature, status, reason_code, received_at, updated_at) "
        "VALUES (x'01', '0xA', '0xa', 0, 1, '1', '1', '9', 9, '1', 30, 1, x'00', 'resting', 'chain:WorseThanAmm', 1, 1)"
    )
    assert migrate(conn, path, MIGRATIONS[:5]) == 5
    conn.execute(
        "INSERT INTO settles (batch_id, stage, planned_at, updated_at) VALUES ('b', 'planned', 1, 1)"
    )  # fmt: skip
    conn.execute(
        "INSERT INTO samples (step, market, block_number, block_hash, time, oracle_price, amm_mid, inventory, "
        "desk_cash, fee_cash, at) VALUES (0, 0, 1, x'00', 1, '2', '2', '0', '5', '0', 1)"
    )
    conn.execute("UPDATE orders SET receipt = '{}', score = '{\"model\": \"none\"}'")
    conn.close()

    with Journal(tmp_path / "j.sqlite") as journal:
        conn = journal._conn()
        assert journal.version == SCHEMA_VERSION == 6
        assert conn.execute("SELECT reason_code, receipt, score FROM orders").fetchone() == (
            "amm_better", "{}", '{"model": "none"}',
        )  # fmt: skip
        assert conn.execute("SELECT batch_id, kind FROM settles").fetchall() == [("b", "settle")]
        assert conn.execute("SELECT desk_cash, insurance_cash FROM samples").fetchall() == [("5", "0")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"model_state", "counterfactuals", "settle_closes", "funding", "liquidations"} <= tables
