"""What a storage failure means to the user: SQLite and file-system errors -> `StorageError`.

SQLite says why it failed in its result code (`sqlite3.Error.sqlite_errorcode`, whose low byte
is the primary code: SQLITE_READONLY, SQLITE_FULL, ...), never reliably in its text ("disk I/O
error" can mean a full disk). Each fault of the disk or the file becomes its own `StorageError`
subclass whose text says what is wrong and what to do. Any other SQLite error (a constraint, a
misuse) is not translated: it is a bug to fix, not a state to explain.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from backfuture_core.errors import (
    DatabaseCorrupt,
    DatabasePathInvalid,
    DiskFull,
    EmptyDatabase,
    ForeignDatabase,
    NotADatabase,
    StorageError,
    StorageReadOnly,
    StorageUnavailable,
)

UNCHANGED = "Nothing was changed."
READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def read_only(path: Path) -> StorageReadOnly:
    return StorageReadOnly(
        f"BackFuture cannot write to its database {path}: the file or its folder "
        f"{path.parent} is read-only (or belongs to another user, or the disk is mounted "
        "read-only). Make both writable for the user running BackFuture, or set "
        f"BACKFUTURE_DATA_DIR to a writable folder, then try again. {UNCHANGED}"
    )


def disk_full(path: Path) -> DiskFull:
    return DiskFull(
        f"The disk that holds BackFuture's data ({path.parent}) is full, so this change was "
        "not saved; your data is as it was before. Free some disk space, then try again."
    )


def not_a_database(path: Path) -> NotADatabase:
    return NotADatabase(
        f"{path} is not a database file: it holds something else, or it was overwritten. "
        f"{UNCHANGED} Restore backfuture.db from your backup, or move this file away to start "
        "BackFuture with no data."
    )


def damaged(path: Path, what: str = "is damaged") -> DatabaseCorrupt:
    return DatabaseCorrupt(
        f"The database {path} {what}. {UNCHANGED} Restore backfuture.db from your backup."
    )


def foreign(path: Path) -> ForeignDatabase:
    return ForeignDatabase(
        f"{path} is an SQLite database, but not BackFuture's: it has none of BackFuture's "
        f"records. BackFuture refused to open it so as not to alter it. {UNCHANGED} Set "
        "BACKFUTURE_DATA_DIR to BackFuture's own data folder, or move this file away."
    )


def empty(path: Path) -> EmptyDatabase:
    return EmptyDatabase(
        f"The database file {path} is empty. BackFuture creates its database complete or not "
        "at all, so an empty file was truncated or made by another program. Restore "
        "backfuture.db from your backup; if there is nothing to keep (a new install), delete "
        f"the file and start again. {UNCHANGED}"
    )


def not_a_file(path: Path) -> DatabasePathInvalid:
    return DatabasePathInvalid(
        f"{path} is a folder (or another kind of entry), not BackFuture's database file. Move "
        "it away, or set BACKFUTURE_DATA_DIR to the folder that holds backfuture.db. "
        f"{UNCHANGED}"
    )


def not_a_folder(folder: Path) -> DatabasePathInvalid:
    return DatabasePathInvalid(
        f"BackFuture's data folder {folder} is not a folder: a file (or part of its path) has "
        "that name. Move that file away, or set BACKFUTURE_DATA_DIR to another folder. "
        f"{UNCHANGED}"
    )


def unavailable(path: Path, reason: str) -> StorageUnavailable:
    return StorageUnavailable(
        f"BackFuture could not open or read its database {path} ({reason}). Check that the "
        "disk is mounted and healthy and that the user running BackFuture may use the folder "
        f"{path.parent}, then start again. {UNCHANGED}"
    )


def from_sqlite(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """The storage fault behind a SQLite error, or None when it is not one (a bug, raised raw)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    name = getattr(exc, "sqlite_errorname", None) or "unknown"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return read_only(path)
    if code == sqlite3.SQLITE_FULL:
        return disk_full(path)
    if code == sqlite3.SQLITE_NOTADB:
        return not_a_database(path)
    if code == sqlite3.SQLITE_CORRUPT:
        return damaged(path)
    if code == sqlite3.SQLITE_CANTOPEN:
        return unavailable(path, "it cannot be opened")
    if code == sqlite3.SQLITE_IOERR:
        return unavailable(path, f"the disk reported an input/output error, {name}")
    return None


def from_os(exc: OSError, path: Path) -> StorageError:
    """The storage fault behind a file-system error met while creating the data folder or file."""
    if exc.errno in READ_ONLY_ERRNOS:
        return read_only(path)
    if exc.errno in FULL_ERRNOS:
        return disk_full(path)
    if exc.errno == errno.EISDIR:
        return not_a_file(path)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return not_a_folder(path.parent)
    return unavailable(path, exc.strerror or type(exc).__name__)


def keyfile_not_created(exc: OSError, folder: Path) -> StorageError:
    """Why the keyfile could not be created in `folder` (nothing is left behind then)."""
    if exc.errno in FULL_ERRNOS:
        return DiskFull(
            f"The disk that holds the keyfile folder {folder} is full, so the keyfile could not "
            "be created; nothing was left behind. Free some disk space, then start again."
        )
    if exc.errno in READ_ONLY_ERRNOS:
        return StorageReadOnly(
            f"BackFuture cannot create its keyfile in {folder}: the folder is read-only for the "
            "user running BackFuture. Make it writable, or set BACKFUTURE_KEY_DIR to a folder "
            "of your own, then start again. Nothing was left behind."
        )
    return StorageUnavailable(
        f"BackFuture could not create its keyfile in {folder} ({exc.strerror or exc}). Check "
        "the disk and the folder, then start again. Nothing was left behind."
    )
