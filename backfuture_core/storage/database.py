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
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from backfuture_core.storage import atomic, faults
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


def _is_checked(key: tuple[str, int, int]) -> bool:
    with _checked_lock:
        return key in _checked


def _mark_checked(key: tuple[str, int, int]) -> None:
    with _checked_lock:
        _checked.add(key)


def open_db(path: Path | str) -> Database:
    """Open BackFuture's database at `path` (creating it, complete, if there is none), apply
    pragmas and migrations.

    A file that is not BackFuture's database is refused and left byte-identical: a folder, an
    empty file, a file that is not SQLite, an SQLite database of another program (never
    migrated), a damaged database. The integrity check runs on the first open of each database
    file in this process.

    Raises a `StorageError` subclass that says what is wrong and what to do (see `faults`).
    """
    path = Path(path)
    try:
        if not path.exists() and not path.is_symlink():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _create(path)
        info = path.stat()
        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    except OSError as exc:
        raise faults.from_os(exc, path) from exc
    except sqlite3.Error as exc:
        raise faults.from_sqlite(exc, path) or faults.unavailable(path, str(exc)) from exc
    if not stat.S_ISREG(info.st_mode):
        raise faults.not_a_file(path)
    if info.st_size == 0:
        raise faults.empty(path)
    if not writable:  # found before anything is written; SQLite itself would open it read-only
        raise faults.read_only(path)
    key = (str(path.resolve()), info.st_dev, info.st_ino)
    conn = sqlite3.connect(str(path), timeout=5.0)
    try:
        db = Database(conn)
        db.execute("PRAGMA busy_timeout = 5000")
        _require_backfuture(db, path)
        # Checked before anything writes (switching to WAL rewrites the header).
        if not _is_checked(key) and not check_integrity(db):
            raise faults.damaged(path, "failed its integrity check")
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode = WAL")
        _pragmas(db)
        _migrate(db)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            fault = faults.from_sqlite(exc, path)
            raise fault or faults.damaged(path, f"cannot be read ({exc})") from exc
        raise
    _mark_checked(key)
    return db


def _pragmas(db: Database) -> None:
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")


def _migrate(db: Database) -> None:
    if MIGRATIONS.pending(db):
        with write(db):
            MIGRATIONS.apply(db)


def _require_backfuture(db: Database, path: Path) -> None:
    """Refuse a database BackFuture did not create: it records its migrations under its own
    name (`MIGRATIONS`), and it never leaves a database without them (see `_create`)."""
    if MIGRATIONS.applied(db):
        return
    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    raise faults.foreign(path) if tables else faults.empty(path)


def _create(path: Path) -> None:
    """Create the database complete or not at all: the schema is built in a temporary file of
    the same folder, which then gets the database's name (`atomic.publish`, never over a file
    another process created meanwhile). So BackFuture never leaves an empty or half-made
    database behind, and `open_db` can refuse every such file as not its own."""
    temp = atomic.temp_path(path)
    os.close(atomic.create_private(temp))  # 0600 before SQLite writes (its journal copies it)
    try:
        db = Database(sqlite3.connect(str(temp)))
        try:
            _pragmas(db)
            _migrate(db)
        finally:
            db.close()
        atomic.fsync_path(temp)
        if atomic.publish(temp, path):
            _mark_checked((str(path.resolve()), *_device_inode(path)))
    finally:
        temp.unlink(missing_ok=True)
        temp.with_name(temp.name + "-journal").unlink(missing_ok=True)


def _device_inode(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def _db_path(db: Database) -> Path:
    """The file behind a handle (for messages)."""
    try:
        row = db.conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        row = None
    return Path(row[2]) if row and row[2] else Path("backfuture.db")


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One user action = one `BEGIN IMMEDIATE` transaction; nested calls become savepoints.

    A fault of the disk or the file (full, read-only, I/O error) rolls the whole action back and
    is raised as the `StorageError` that explains it; other SQLite errors are raised as they are.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        else:
            db.conn.execute("COMMIT")
    except sqlite3.Error as exc:
        fault = faults.from_sqlite(exc, _db_path(db))
        if fault is None:
            raise
        if db.conn.in_transaction:  # a failed COMMIT leaves the transaction open
            db.rollback()
        raise fault from exc


def audit(db: Database, action: str, *, connection_id: int | None = None, detail: str = "") -> None:
    """Record an action (never a secret) in the audit log."""
    db.table("audit_log").insert(
        {"at": now_iso(), "action": action, "connection_id": connection_id, "detail": detail}
    )


def audit_log(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The latest actions, newest first."""
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))
