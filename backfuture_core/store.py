"""SQLite storage through sqlite-utils: one handle per script run, migrations, explicit writes.

Open with `open_db(path)` at the start of each run (cheap) and never share the handle between
threads: SQLite refuses cross-thread use, and a cached handle breaks on the real server.
Every write goes through `write(db)`, a `BEGIN IMMEDIATE` transaction, because a deferred BEGIN
that later writes fails at once with SQLITE_BUSY instead of waiting for the busy timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from backfuture_core.errors import DatabaseCorrupt, StorageError

MIGRATIONS = Migrations("backfuture")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the database at `path`, apply pragmas and migrations.

    Raises:
        DatabaseCorrupt: the file is not a usable SQLite database.
        StorageError: the folder cannot be created or the file cannot be opened.
    """
    path = Path(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fresh = not path.exists()
        if fresh:
            # Pre-create the file 0600 so the database and its WAL/SHM never get looser modes.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(str(path), timeout=5.0)
    except OSError as exc:
        raise StorageError(f"Cannot open the database in {path.parent}: {exc.strerror}.") from exc
    db = Database(conn)
    try:
        db.execute("PRAGMA busy_timeout = 5000")
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA secure_delete = ON")
        if not fresh and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise DatabaseCorrupt(f"The database {path} failed its integrity check.")
        if MIGRATIONS.pending(db):
            with write(db):
                MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseCorrupt(
            f"{path} is not a readable BackFuture database ({exc}). Nothing was changed."
        ) from exc
    return db


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One user action = one `BEGIN IMMEDIATE` transaction; nested calls become savepoints."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.conn.execute("COMMIT")


def audit(db: Database, action: str, *, connection_id: int | None = None, detail: str = "") -> None:
    """Record an action (never a secret) in the audit log."""
    db.execute(
        "INSERT INTO audit_log (at, action, connection_id, detail) VALUES (?, ?, ?, ?)",
        [now_iso(), action, connection_id, detail],
    )


def audit_log(db: Database, limit: int = 100) -> list[dict]:
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))


def _script(db: Database, sql: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


@MIGRATIONS()
def m001_vault_connections_audit(db: Database) -> None:
    _script(
        db,
        """
        CREATE TABLE vault_meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            vault_id TEXT NOT NULL,
            format_version INTEGER NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('keyfile', 'passphrase')),
            kdf TEXT,
            kdf_memory_kib INTEGER,
            kdf_iterations INTEGER,
            kdf_lanes INTEGER,
            salt BLOB,
            normalization TEXT,
            wrapped_dek BLOB NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE connections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            exchange TEXT NOT NULL,
            market TEXT NOT NULL CHECK (market IN ('spot', 'futures', 'both')),
            key_hint TEXT NOT NULL,
            api_key_enc BLOB,
            secret_enc BLOB,
            passphrase_enc BLOB,
            api_base_url TEXT,
            proxy TEXT,
            note TEXT NOT NULL DEFAULT '',
            is_demo INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'untested',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_tested_at TEXT
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            connection_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
        """,
    )


@MIGRATIONS()
def m002_reports(db: Database) -> None:
    _script(
        db,
        """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            tested_at TEXT NOT NULL,
            status TEXT NOT NULL,
            error_category TEXT,
            duration_ms INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX reports_by_connection ON reports (connection_id, id);
        """,
    )


@MIGRATIONS()
def m003_portfolio_strategy(db: Database) -> None:
    _script(
        db,
        """
        CREATE TABLE balance_snapshots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            taken_at TEXT NOT NULL,
            total_usdt REAL,
            body TEXT NOT NULL
        );
        CREATE INDEX snapshots_by_connection ON balance_snapshots (connection_id, taken_at);
        CREATE TABLE market_cache (
            cache_key TEXT PRIMARY KEY,
            fetched_at REAL NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE candle_cache (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            timeframe TEXT NOT NULL,
            ts INTEGER NOT NULL,
            open REAL, high REAL, low REAL, close REAL, volume REAL,
            PRIMARY KEY (exchange, symbol, timeframe, ts)
        ) WITHOUT ROWID;
        CREATE TABLE strategies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            params TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (connection_id, name_key)
        );
        """,
    )


@MIGRATIONS()
def m004_settled_activity(db: Database) -> None:
    """Closed orders and fills never change: kept, so a refresh asks only for what is new."""
    _script(
        db,
        """
        CREATE TABLE activity_rows (
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            market TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('orders', 'trades')),
            row_id TEXT NOT NULL,
            time_ms INTEGER,
            body TEXT NOT NULL,
            PRIMARY KEY (connection_id, market, kind, row_id)
        );
        CREATE INDEX activity_rows_by_time ON activity_rows (connection_id, time_ms);
        CREATE TABLE activity_coverage (
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            market TEXT NOT NULL,
            kind TEXT NOT NULL,
            symbol TEXT NOT NULL,
            covered_from INTEGER NOT NULL,
            covered_until INTEGER NOT NULL,
            PRIMARY KEY (connection_id, market, kind, symbol)
        );
        """,
    )
