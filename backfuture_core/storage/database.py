"""Opening the SQLite database and writing to it: one handle per script run, explicit writes.

Open with `open_db(path)` at the start of each run (cheap) and never share the handle between
threads: SQLite refuses cross-thread use, and a cached handle breaks on the real server.
Every write goes through `write(db)`, a `BEGIN IMMEDIATE` transaction, because a deferred BEGIN
that later writes fails at once with SQLITE_BUSY instead of waiting for the busy timeout.
sqlite-utils' table methods (`db.table(...).insert/update/delete`) are safe inside `write`:
within an open transaction they use savepoints and never commit on their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from backfuture_core.errors import DatabaseCorrupt, StorageError
from backfuture_core.storage.migrations import MIGRATIONS

# Database files whose integrity this process has checked: (resolved path, device, inode).
# `PRAGMA quick_check` reads the whole file (tens of ms on a large database), and a page opens
# the database on every rerun and callback; once per process and file is enough.
_checked: set[tuple[str, int, int]] = set()
_checked_lock = threading.Lock()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def dumps(value: object) -> str:
    """Compact JSON for a stored body (anything not JSON-native becomes its str())."""
    return json.dumps(value, separators=(",", ":"), default=str)


def check_integrity(db: Database) -> bool:
    """Run SQLite's quick check over the whole file: True when it reports no damage."""
    return bool(db.execute("PRAGMA quick_check").fetchone()[0] == "ok")


def _file_key(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return (str(path.resolve()), info.st_dev, info.st_ino)


def _is_checked(key: tuple[str, int, int]) -> bool:
    with _checked_lock:
        return key in _checked


def _mark_checked(key: tuple[str, int, int]) -> None:
    with _checked_lock:
        _checked.add(key)


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the database at `path`, apply pragmas and migrations.

    The integrity check runs on the first open of each database file in this process.

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
        key = _file_key(path)
        conn = sqlite3.connect(str(path), timeout=5.0)
    except OSError as exc:
        raise StorageError(f"Cannot open the database in {path.parent}: {exc.strerror}.") from exc
    db = Database(conn)
    try:
        db.execute("PRAGMA busy_timeout = 5000")
        # Checked before anything writes (switching to WAL rewrites the header).
        if not fresh and not _is_checked(key) and not check_integrity(db):
            raise DatabaseCorrupt(
                f"The database {path} failed its integrity check. Nothing was changed."
            )
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA secure_delete = ON")
        if MIGRATIONS.pending(db):
            with write(db):
                MIGRATIONS.apply(db)
    except DatabaseCorrupt:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseCorrupt(
            f"{path} is not a readable BackFuture database ({exc}). Nothing was changed."
        ) from exc
    _mark_checked(key)
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
    db.table("audit_log").insert(
        {"at": now_iso(), "action": action, "connection_id": connection_id, "detail": detail}
    )


def audit_log(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The latest actions, newest first."""
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))
