"""The journal's SQLite schema, its version and its migrations, and how a connection is opened.

A journal file carries its schema version in ``PRAGMA user_version``. ``migrate`` applies every
migration above the file's version, each in one transaction together with the new version number,
so a process killed mid-migration leaves the file at the previous version, whole. A file written
by a newer version of the code is refused (``JournalVersionError``), never guessed at.

Every connection runs in WAL mode with ``synchronous=FULL`` (a committed stage change survives a
power cut, not only a crash) and waits up to ``BUSY_TIMEOUT_MS`` for another writer. Integers
that do not fit SQLite's 64 bits (uint128 sizes and prices, uint256 nonces, uint64 expiries) are
stored as decimal TEXT; ``expiry_at`` repeats the expiry clamped to 63 bits for range queries.

To change the schema, append a migration to ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from defi_int.bot.errors import JournalError, JournalVersionError

BUSY_TIMEOUT_MS = 30_000

_V1 = """
CREATE TABLE orders (
    digest        BLOB PRIMARY KEY,
    trader        TEXT NOT NULL,             -- EIP-55 checksum address
    trader_key    TEXT NOT NULL,             -- lower case, for per-trader queries
    market        INTEGER NOT NULL,
    is_buy        INTEGER NOT NULL,
    size          TEXT NOT NULL,             -- decimal: uint128
    limit_price   TEXT NOT NULL,             -- decimal: uint128
    expiry        TEXT NOT NULL,             -- decimal: uint64
    expiry_at     INTEGER NOT NULL,          -- min(expiry, 2^63 - 1), for range queries
    nonce         TEXT NOT NULL,             -- decimal: uint256
    max_fee_bps   INTEGER NOT NULL,
    allow_amm     INTEGER NOT NULL,
    signature     BLOB NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                      ('resting', 'partially_filled', 'filled', 'cancelled', 'expired', 'rejected')),
    filled        TEXT NOT NULL DEFAULT '0', -- decimal: base units booked from the chain's events
    reason_code   TEXT,                      -- why the order has not filled (the loop's latest word)
    reason_detail TEXT,
    reason_at     REAL,
    received_at   REAL NOT NULL,
    updated_at    REAL NOT NULL
);
CREATE INDEX orders_live ON orders (received_at) WHERE status IN ('resting', 'partially_filled');
CREATE INDEX orders_trader ON orders (trader_key, status);
CREATE UNIQUE INDEX orders_live_nonce ON orders (trader_key, nonce)
    WHERE status IN ('resting', 'partially_filled');

CREATE TABLE order_events (
    id        INTEGER PRIMARY KEY,
    digest    BLOB NOT NULL REFERENCES orders (digest),
    at        REAL NOT NULL,
    event     TEXT NOT NULL,                 -- accepted, planned, released, filled, unbooked, cancelled ...
    status    TEXT NOT NULL,                 -- the order's status after the event
    detail    TEXT NOT NULL DEFAULT '',
    settle_id INTEGER REFERENCES settles (id)
);
CREATE INDEX order_events_digest ON order_events (digest, id);

CREATE TABLE settles (
    id            INTEGER PRIMARY KEY,
    batch_id      TEXT NOT NULL UNIQUE,
    stage         TEXT NOT NULL CHECK (stage IN
                      ('planned', 'signed', 'sent', 'mined', 'confirmed', 'reconciled',
                       'failed', 'dropped', 'reorged')),
    nonce         INTEGER,
    tx_hash       BLOB,                      -- the transaction now expected to land (or that landed)
    block_number  INTEGER,
    block_hash    BLOB,
    block_time    INTEGER,
    status        INTEGER,                   -- the receipt's status
    gas_used      INTEGER,
    confirmations INTEGER,
    detail        TEXT NOT NULL DEFAULT '',  -- why it failed, was dropped or reorged
    planned_at    REAL NOT NULL,
    signed_at     REAL,
    sent_at       REAL,
    mined_at      REAL,
    confirmed_at  REAL,
    reconciled_at REAL,
    closed_at     REAL,
    updated_at    REAL NOT NULL
);
CREATE INDEX settles_open ON settles (id) WHERE stage IN ('planned', 'signed', 'sent', 'mined');
CREATE INDEX settles_block ON settles (block_number);

CREATE TABLE settle_fills (
    settle_id      INTEGER NOT NULL REFERENCES settles (id),
    position       INTEGER NOT NULL,
    digest         BLOB NOT NULL REFERENCES orders (digest),
    internal_size  TEXT NOT NULL,
    internal_price TEXT NOT NULL,
    amm_size       TEXT NOT NULL,
    amm_quote      TEXT NOT NULL,            -- the AMM leg's expected quote (0 without one)
    fee_bps        INTEGER NOT NULL,
    released       INTEGER NOT NULL DEFAULT 0, -- 1: the mined transaction did not fill it; out of flight
    PRIMARY KEY (settle_id, position)
);
CREATE INDEX settle_fills_digest ON settle_fills (digest);

CREATE TABLE settle_txs (
    tx_hash      BLOB PRIMARY KEY,
    settle_id    INTEGER NOT NULL REFERENCES settles (id),
    nonce        INTEGER NOT NULL,
    raw          BLOB NOT NULL,
    max_fee      TEXT NOT NULL,              -- decimal wei
    priority_fee TEXT NOT NULL,              -- decimal wei
    gas_limit    INTEGER NOT NULL,
    replaces     BLOB,                       -- the transaction this one replaced (same nonce)
    signed_at    REAL NOT NULL,
    sent_at      REAL
);
CREATE INDEX settle_txs_settle ON settle_txs (settle_id, signed_at);

CREATE TABLE fills (
    id              INTEGER PRIMARY KEY,
    settle_id       INTEGER NOT NULL REFERENCES settles (id),
    tx_hash         BLOB NOT NULL,
    block_number    INTEGER NOT NULL,
    block_hash      BLOB NOT NULL,
    block_time      INTEGER NOT NULL,
    log_index       INTEGER NOT NULL,
    digest          BLOB NOT NULL REFERENCES orders (digest),
    venue           TEXT NOT NULL CHECK (venue IN ('internal', 'amm')),
    size            TEXT NOT NULL,
    quote           TEXT NOT NULL,
    price           TEXT NOT NULL,
    fee             TEXT NOT NULL,
    oracle_price    TEXT NOT NULL,
    amm_mid         TEXT NOT NULL,
    amm_quote       TEXT NOT NULL,
    amm_quote_price TEXT NOT NULL,
    gas             INTEGER NOT NULL,
    booked_at       REAL NOT NULL,
    UNIQUE (tx_hash, log_index, venue)
);
CREATE INDEX fills_digest ON fills (digest);
CREATE INDEX fills_settle ON fills (settle_id);

CREATE TABLE breaker_events (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL,
    market INTEGER,                          -- NULL: desk-wide
    open   INTEGER NOT NULL,
    detail TEXT NOT NULL,
    at     REAL NOT NULL
);
CREATE INDEX breaker_events_key ON breaker_events (name, market, id);

CREATE TABLE cursors (
    name       TEXT PRIMARY KEY,             -- confirmed, reconciled, ...
    block      INTEGER NOT NULL,
    block_hash BLOB NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE equity (
    time   INTEGER NOT NULL,
    block  INTEGER NOT NULL,
    equity TEXT NOT NULL                     -- decimal collateral units
);
CREATE INDEX equity_time ON equity (time);
"""

_V2 = """
ALTER TABLE settle_fills ADD COLUMN mark TEXT;              -- the oracle price the legs were planned at (NULL: stale)
ALTER TABLE settle_fills ADD COLUMN amm_mid TEXT NOT NULL DEFAULT '0';
ALTER TABLE settle_fills ADD COLUMN amm_reference TEXT;     -- the AMM's quote for the internal size (NULL: none)
ALTER TABLE settle_fills ADD COLUMN internal_quote TEXT NOT NULL DEFAULT '0';
ALTER TABLE settle_fills ADD COLUMN internal_fee TEXT NOT NULL DEFAULT '0';
ALTER TABLE settles ADD COLUMN reorgs INTEGER NOT NULL DEFAULT 0;  -- times a reorg took its block away
ALTER TABLE settle_txs ADD COLUMN cancel INTEGER NOT NULL DEFAULT 0; -- 1: a no-op taking the nonce back

CREATE TABLE hedges (
    tx_hash      BLOB NOT NULL,
    log_index    INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    block_time   INTEGER NOT NULL,
    market       INTEGER NOT NULL,
    is_buy       INTEGER NOT NULL,            -- the desk buys
    size         TEXT NOT NULL,
    quote        TEXT NOT NULL,
    oracle_price TEXT NOT NULL,               -- the mark when the loop booked it
    gas          INTEGER NOT NULL,
    booked_at    REAL NOT NULL,
    PRIMARY KEY (tx_hash, log_index)
);
CREATE INDEX hedges_block ON hedges (block_number);

CREATE TABLE samples (
    step         INTEGER NOT NULL,
    market       INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    time         INTEGER NOT NULL,
    oracle_price TEXT NOT NULL,
    amm_mid      TEXT NOT NULL,
    inventory    TEXT NOT NULL,
    desk_cash    TEXT NOT NULL,
    fee_cash     TEXT NOT NULL,
    at           REAL NOT NULL,
    PRIMARY KEY (step, market)
);
CREATE INDEX samples_block ON samples (block_number);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,                  -- deployment: the chain id and Settlement the journal belongs to
    value TEXT NOT NULL
);
"""

# Protocol v2 logs one FillsSettled per market run, several fills a log: a fill is identified in
# its transaction by its position in the batch, no longer by a log of its own.
_V3 = """
ALTER TABLE fills RENAME COLUMN log_index TO fill_index;
"""

# The one reason vocabulary (``defi_int.reasons``): what the desk saw at receipt and the planner's
# latest trace are kept with every order, and the reason codes older versions wrote are respelled.
_V4 = """
ALTER TABLE orders ADD COLUMN receipt TEXT;             -- JSON: what the desk saw when the order arrived
ALTER TABLE orders ADD COLUMN trace TEXT;               -- JSON: the latest batch's trace of the order
ALTER TABLE orders ADD COLUMN score TEXT;               -- JSON: the toxicity model's score at the keeper's intake
CREATE TABLE model_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),        -- one row: the toxicity model's latest checkpoint
    step     INTEGER NOT NULL,                          -- the loop's sample step it was taken at
    saved_at REAL NOT NULL,
    state    BLOB NOT NULL                              -- ``Scorer.state()``
);
UPDATE orders SET reason_code = CASE
    WHEN reason_code LIKE 'chain:%' THEN CASE substr(reason_code, 7)
        WHEN 'OrderExpired' THEN 'expired' WHEN 'OrderIsCancelled' THEN 'cancelled'
        WHEN 'OrderAlreadyFilled' THEN 'already_filled' WHEN 'Overfill' THEN 'overfill'
        WHEN 'InsufficientMargin' THEN 'insufficient_margin' WHEN 'InventoryCapExceeded' THEN 'inventory_cap'
        WHEN 'LimitPriceExceeded' THEN 'limit_not_met' WHEN 'PriceOutsideBand' THEN 'outside_band'
        WHEN 'WorseThanAmm' THEN 'amm_better' WHEN 'AmmNotAllowed' THEN 'amm_not_allowed'
        WHEN 'AmmLimitExceeded' THEN 'amm_limit_not_met' WHEN 'InsufficientLiquidity' THEN 'amm_liquidity'
        WHEN 'PoolNotInitialized' THEN 'no_pool' WHEN 'StalePrice' THEN 'stale_oracle'
        WHEN 'SettlementPaused' THEN 'paused' WHEN 'Paused' THEN 'paused' WHEN 'FeeAboveMax' THEN 'fee_above_max'
        WHEN 'InvalidSigner' THEN 'bad_signature' WHEN 'InvalidSignatureLength' THEN 'bad_signature_length'
        WHEN 'InvalidSignatureS' THEN 'bad_signature_s' WHEN 'InvalidSignatureV' THEN 'bad_signature_v'
        WHEN 'UnknownMarket' THEN 'unknown_market' WHEN 'MarketNotListed' THEN 'market_not_listed'
        WHEN 'AmountOutOfRange' THEN 'amount_out_of_range' WHEN 'EmptyFill' THEN 'empty_fill'
        ELSE 'chain_reverted' END
    WHEN reason_code IN ('wrong-signer', 'bad-signature') THEN 'bad_signature'
    WHEN reason_code = 'bad-signature-length' THEN 'bad_signature_length'
    WHEN reason_code = 'high-s' THEN 'bad_signature_s'
    WHEN reason_code = 'bad-v' THEN 'bad_signature_v'
    WHEN reason_code = 'trader-book-full' THEN 'resting_cap'
    WHEN reason_code = 'book-full' THEN 'book_full'
    WHEN reason_code = 'already-filled' THEN 'already_filled'
    WHEN reason_code = 'unknown-market' THEN 'unknown_market'
    WHEN reason_code = 'empty-order' THEN 'empty_order'
    ELSE reason_code END
WHERE reason_code IS NOT NULL;
"""

# The counterfactual audit (``keeper.audit``): the orders whose legs a batch's re-match changed,
# the plan's legs and the re-match's, for the execution report's audits.
_V5 = """
CREATE TABLE counterfactuals (
    id                INTEGER PRIMARY KEY,
    block_number      INTEGER NOT NULL,      -- the block of the view the batch was planned on
    market            INTEGER NOT NULL,
    digest            BLOB NOT NULL,
    trader            TEXT NOT NULL,
    is_buy            INTEGER NOT NULL,
    variant           TEXT NOT NULL,         -- permuted | no_skew
    mark              TEXT NOT NULL,         -- decimal: the batch's oracle mark (0: none)
    internal          TEXT NOT NULL,         -- decimal: the plan's internal size, price, AMM size, quote
    internal_price    TEXT NOT NULL,
    amm               TEXT NOT NULL,
    amm_quote         TEXT NOT NULL,
    cf_internal       TEXT NOT NULL,         -- decimal: the re-match's
    cf_internal_price TEXT NOT NULL,
    cf_amm            TEXT NOT NULL,
    cf_amm_quote      TEXT NOT NULL
);
"""

# The desk as the simulator books it: the liquidator's transactions go through the settle stages
# (``kind``), and the Vault's funding and liquidation events are booked by block.
_V6 = """
ALTER TABLE settles ADD COLUMN kind TEXT NOT NULL DEFAULT 'settle';  -- settle | liquidation
ALTER TABLE samples ADD COLUMN insurance_cash TEXT NOT NULL DEFAULT '0';

CREATE TABLE settle_closes (
    settle_id INTEGER NOT NULL REFERENCES settles (id),
    position  INTEGER NOT NULL,
    account   TEXT NOT NULL,                 -- the account liquidated
    market    INTEGER NOT NULL,
    size      TEXT NOT NULL,                 -- base units to close at most
    PRIMARY KEY (settle_id, position)
);

CREATE TABLE funding (
    tx_hash      BLOB NOT NULL,
    log_index    INTEGER NOT NULL,
    position     INTEGER NOT NULL,           -- the charge's place in its FundingSettled
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    account      TEXT NOT NULL,
    market       INTEGER NOT NULL,
    amount       TEXT NOT NULL,              -- decimal collateral units; +: the account paid
    booked_at    REAL NOT NULL,
    PRIMARY KEY (tx_hash, log_index, position)
);
CREATE INDEX funding_block ON funding (block_number);
CREATE INDEX funding_account ON funding (account, block_number);

CREATE TABLE liquidations (
    tx_hash      BLOB NOT NULL,
    log_index    INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   BLOB NOT NULL,
    block_time   INTEGER NOT NULL,
    account      TEXT NOT NULL,
    market       INTEGER NOT NULL,
    liquidator   TEXT NOT NULL,
    size         TEXT NOT NULL,              -- signed as the position was
    to_desk      TEXT NOT NULL,
    to_amm       TEXT NOT NULL,
    amm_quote    TEXT NOT NULL,
    mark         TEXT NOT NULL,
    penalty      TEXT NOT NULL,
    bad_debt     TEXT NOT NULL,
    uncovered    TEXT NOT NULL,
    booked_at    REAL NOT NULL,
    PRIMARY KEY (tx_hash, log_index)
);
CREATE INDEX liquidations_block ON liquidations (block_number);
"""

#: Migration ``i`` brings a file from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: str) -> sqlite3.Connection:
    """A connection to the journal at ``path`` with the journal's pragmas (autocommit; see ``transaction``)."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{path}: cannot open the journal: {exc}") from exc
    if str(mode).lower() != "wal" and path != ":memory:":
        conn.close()
        raise JournalError(f"{path}: the journal needs WAL mode, SQLite gave {mode!r}")
    return conn


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: str, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Brings the file to ``len(migrations)``, one transaction per migration; returns the version."""
    known = len(migrations)
    try:
        current = version(conn)
        if current > known:
            raise JournalVersionError(path, current, known)
        for target in range(current + 1, known + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if version(conn) >= target:  # another process migrated meanwhile
                    conn.execute("ROLLBACK")
                    continue
                for statement in _statements(migrations[target - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return version(conn)
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{path}: cannot migrate the journal: {exc}") from exc


def _statements(script: str) -> list[str]:
    """Splits a migration into statements (``executescript`` would commit on its own)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise JournalError(f"an incomplete statement in a migration: {buffer.strip()[:60]!r}")
    return statements
