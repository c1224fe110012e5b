"""The database schema, as numbered sqlite-utils migrations (applied by `database.open_db`).

A schema change is a new `m00N_...` function at the end, never an edit of an applied one.
Each runs inside the `BEGIN IMMEDIATE` transaction that `open_db` opens, so a migration that
fails leaves the database as it was.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("backfuture")


def _script(db: Database, sql: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


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


def _unique_names(db: Database, table: str, scope: str | None) -> None:
    """Recompute `name_key` with today's `validation.name_key`; never lose a row.

    Rows are visited oldest first; a row whose name now looks the same as an earlier row's (in
    the same `scope`, e.g. a strategy's connection) keeps its data and gets a free name, "Main
    (2)", recorded in the audit log.
    """
    from backfuture_core.validation import NAME_MAX, name_key  # the one rule for names

    group = f"{scope}, " if scope else ""
    rows = db.execute(f"SELECT id, {group}name FROM {table} ORDER BY id").fetchall()  # noqa: S608
    db.execute(f"UPDATE {table} SET name_key = 'm005:' || id")  # noqa: S608 - frees every key
    taken: set[tuple[object, str]] = set()
    for row in rows:
        row_id, owner, name = (row[0], row[1], row[2]) if scope else (row[0], None, row[1])
        new_name, number = name, 1
        while (owner, name_key(new_name)) in taken:
            number += 1
            suffix = f" ({number})"
            new_name = name[: NAME_MAX - len(suffix)].rstrip() + suffix
        taken.add((owner, name_key(new_name)))
        db.execute(
            f"UPDATE {table} SET name = ?, name_key = ? WHERE id = ?",  # noqa: S608
            [new_name, name_key(new_name), row_id],
        )
        if new_name != name:
            db.execute(
                "INSERT INTO audit_log (at, action, connection_id, detail) VALUES "
                "(strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), ?, ?, ?)",
                [
                    f"{table[:-1]} renamed",
                    owner if scope else row_id,
                    f"{name!r} looked the same as another name; now {new_name!r}",
                ],
            )


@MIGRATIONS()
def m005_versions_and_lookalike_names(db: Database) -> None:
    """Connections carry a version (a change based on an old one is refused), and names are
    compared by a key under which look-alike names clash."""
    db.execute("ALTER TABLE connections ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    _unique_names(db, "connections", None)
    _unique_names(db, "strategies", "connection_id")


@MIGRATIONS()
def m006_address_bound_keys(db: Database) -> None:
    """Keys become bound to where signed requests go (the API base URL and the proxy).

    Re-encrypting needs the data key, which a migration does not have: each row gets a marker,
    1 (bound to its row only) for the rows that exist, and `storage.connections` re-encrypts
    them with the vault open, the first time any connection's keys are used (nothing is lost:
    a row whose keys do not open keeps its marker and its blobs).
    """
    db.execute("ALTER TABLE connections ADD COLUMN key_binding INTEGER NOT NULL DEFAULT 1")


@MIGRATIONS()
def m007_key_fingerprints(db: Database) -> None:
    """A keyed fingerprint of each connection's API key (security/fingerprint.py), to notice
    one key saved in two connections. Rows saved before stay NULL until the vault is open
    (`storage.key_fingerprints.backfill_fingerprints`)."""
    _script(
        db,
        """
        ALTER TABLE connections ADD COLUMN key_fingerprint TEXT;
        CREATE INDEX connections_by_key_fingerprint ON connections (key_fingerprint);
        """,
    )
