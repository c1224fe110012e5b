"""Storage faults, as a matrix: each one ends in a message that says what is wrong and what to
do (one of our errors, never a raw exception), and changes no file where nothing should change.

Start-up faults are opened the way the app and the CLI open the data (`open_db`, then
`open_vault`). A read-only data folder is made by the kernel, not simulated: the process that
meets it runs as an unprivileged user (root may write anywhere). A disk that fills during a
session is SQLite's own SQLITE_FULL: `PRAGMA max_page_count` caps the database at its size.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backfuture_core import cli
from backfuture_core.config import Settings
from backfuture_core.diagnostics.reports import latest_report, save_report
from backfuture_core.diagnostics.run import failure_report
from backfuture_core.errors import (
    BackfutureError,
    CorruptedRecord,
    DatabaseCorrupt,
    DatabasePathInvalid,
    DiskFull,
    EmptyDatabase,
    ExchangeError,
    ForeignDatabase,
    KeyfileDamaged,
    KeyfileInsecure,
    KeyfileMissing,
    NotADatabase,
    StorageReadOnly,
)
from backfuture_core.security import vault as vaults
from backfuture_core.security.vault import open_vault, set_passphrase, vault_mode
from backfuture_core.storage import atomic, faults
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import audit, open_db, write
from tests.conftest import FAST_KDF
from tests.core.test_connections import GOOD

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0


def files_state(root: Path) -> dict[str, str]:
    """Every entry under `root`: files by content hash, folders and modes as they are."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        kind = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        state[str(path.relative_to(root))] = f"{kind} {oct(info.st_mode)} {info.st_uid}"
    return state


def install(settings: Settings) -> None:
    """A working BackFuture: database, keyfile, one saved connection."""
    db = open_db(settings.db_path)
    core.add_connection(db, open_vault(db, settings), core.ConnectionForm(**GOOD))
    db.close()


def start(settings: Settings) -> None:
    """Open the data as app.py and the CLI do at start-up."""
    db = open_db(settings.db_path)
    try:
        open_vault(db, settings)
    finally:
        db.close()


def replace_file(path: Path, data: bytes) -> None:
    """New content as a new file (a new inode: this process has not checked it yet)."""
    temp = path.with_name("replacement")
    temp.write_bytes(data)
    os.chmod(temp, 0o600)
    os.replace(temp, path)


# --- Start-up faults ---------------------------------------------------------------------------


def garbage(s: Settings) -> None:
    s.data_dir.mkdir(parents=True)
    s.db_path.write_bytes(b"this is not sqlite" * 100)


def _sqlite_file(s: Settings, *statements: str) -> None:
    s.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(s.db_path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def foreign_tables(s: Settings) -> None:
    _sqlite_file(
        s,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "INSERT INTO notes (body) VALUES ('my own notes')",
        "PRAGMA user_version = 7",
    )


def foreign_migrations(s: Settings) -> None:
    """Another program that also uses sqlite-utils migrations (another migration set)."""
    _sqlite_file(
        s,
        "CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)",
        "INSERT INTO _sqlite_migrations VALUES ('otherapp', 'm001_init', '')",
    )


def zero_bytes(s: Settings) -> None:
    s.data_dir.mkdir(parents=True)
    s.db_path.touch()


def empty_sqlite(s: Settings) -> None:
    _sqlite_file(s, "PRAGMA user_version = 1")  # a valid header, no table


def database_is_folder(s: Settings) -> None:
    s.db_path.mkdir(parents=True)


def data_folder_is_file(s: Settings) -> None:
    s.data_dir.parent.mkdir(parents=True, exist_ok=True)
    s.data_dir.write_text("not a folder")


def damaged_pages(s: Settings) -> None:
    install(s)
    data = bytearray(s.db_path.read_bytes())
    page = 4096
    data[-page:] = b"\xff" * page
    replace_file(s.db_path, bytes(data))


def keyfile_missing(s: Settings) -> None:
    install(s)
    s.keyfile_path.unlink()


def keyfile_truncated(s: Settings) -> None:
    install(s)
    s.keyfile_path.write_bytes(s.keyfile_path.read_bytes()[:16])


def keyfile_emptied(s: Settings) -> None:
    install(s)
    s.keyfile_path.write_bytes(b"")


def keyfile_is_folder(s: Settings) -> None:
    install(s)
    s.keyfile_path.unlink()
    s.keyfile_path.mkdir(mode=0o700)


def keyfile_readable(s: Settings) -> None:
    install(s)
    os.chmod(s.keyfile_path, 0o644)


def key_folder_writable(s: Settings) -> None:
    install(s)
    os.chmod(s.key_dir, 0o777)  # noqa: S103 - the fault under test


def keyfile_of_another_user(s: Settings) -> None:
    install(s)
    os.chown(s.keyfile_path, 12345, -1)


def key_folder_of_another_user(s: Settings) -> None:
    install(s)
    os.chown(s.key_dir, 12345, -1)


def vault_record_deleted(s: Settings) -> None:
    install(s)
    conn = sqlite3.connect(s.db_path)
    conn.execute("DELETE FROM vault_meta")
    conn.commit()
    conn.close()


needs_root = pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")

STARTUP_FAULTS = [
    pytest.param(garbage, NotADatabase, "is not a database file", id="not-a-database"),
    pytest.param(foreign_tables, ForeignDatabase, "not BackFuture's", id="foreign-sqlite"),
    pytest.param(foreign_migrations, ForeignDatabase, "not BackFuture's", id="foreign-migrations"),
    pytest.param(zero_bytes, EmptyDatabase, "is empty", id="empty-file"),
    pytest.param(empty_sqlite, EmptyDatabase, "is empty", id="empty-sqlite"),
    pytest.param(database_is_folder, DatabasePathInvalid, "is a folder", id="database-is-folder"),
    pytest.param(data_folder_is_file, DatabasePathInvalid, "not a folder", id="data-is-file"),
    pytest.param(damaged_pages, DatabaseCorrupt, "failed its integrity check", id="damaged"),
    pytest.param(keyfile_missing, KeyfileMissing, "is missing", id="keyfile-missing"),
    pytest.param(keyfile_truncated, KeyfileDamaged, "holds 16 bytes", id="keyfile-truncated"),
    pytest.param(keyfile_emptied, KeyfileDamaged, "holds 0 bytes", id="keyfile-empty"),
    pytest.param(keyfile_is_folder, KeyfileDamaged, "is a folder", id="keyfile-is-folder"),
    pytest.param(keyfile_readable, KeyfileInsecure, "chmod 600", id="keyfile-readable"),
    pytest.param(key_folder_writable, KeyfileInsecure, "chmod 700", id="key-folder-writable"),
    pytest.param(
        keyfile_of_another_user,
        KeyfileInsecure,
        "belongs to another user",
        id="keyfile-other-owner",
        marks=needs_root,
    ),
    pytest.param(
        key_folder_of_another_user,
        KeyfileInsecure,
        "belongs to another user",
        id="key-folder-other-owner",
        marks=needs_root,
    ),
    pytest.param(vault_record_deleted, CorruptedRecord, "vault settings", id="vault-row-gone"),
]


@pytest.mark.parametrize(("make_fault", "error", "message"), STARTUP_FAULTS)
def test_startup_fault_is_named_and_changes_no_file(settings, tmp_path, make_fault, error, message):
    make_fault(settings)
    before = files_state(tmp_path)
    for _ in range(2):  # the same answer every time: nothing was "repaired" in between
        with pytest.raises(BackfutureError) as caught:
            start(settings)
        assert type(caught.value) is error
        assert message in str(caught.value)
    assert files_state(tmp_path) == before


def test_keyfile_of_another_user_is_not_fixed_by_chmod(settings):
    if not IS_ROOT:
        pytest.skip("only root can give a file to another user")
    keyfile_of_another_user(settings)
    with pytest.raises(KeyfileInsecure) as caught:
        start(settings)
    assert "chmod 600" not in str(caught.value)
    assert "Run BackFuture as that user" in str(caught.value)


@pytest.mark.parametrize(
    "make_fault", [garbage, foreign_tables, database_is_folder, keyfile_missing, keyfile_is_folder]
)
def test_cli_exits_2_with_one_message(settings, tmp_path, monkeypatch, capsys, make_fault):
    make_fault(settings)
    monkeypatch.setenv("BACKFUTURE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BACKFUTURE_KEY_DIR", str(settings.key_dir))
    before = files_state(tmp_path)
    code = cli.main(["test", "--connection", GOOD["name"]])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.startswith("error: ")
    assert err.count("\n") == 1  # one message, no traceback
    assert files_state(tmp_path) == before


# --- Read-only data folder, enforced by the kernel -----------------------------------------------

START_AND_REPORT = """
import sys
from backfuture_core.config import Settings
from backfuture_core.errors import BackfutureError
from backfuture_core.security.vault import open_vault
from backfuture_core.storage.database import open_db
settings = Settings.from_env()
try:
    db = open_db(settings.db_path)
    open_vault(db, settings)
except BackfutureError as exc:
    print(type(exc).__name__, exc)
"""


SETPRIV = shutil.which("setpriv")
WITHOUT_OVERRIDE = "-dac_override,-dac_read_search"


@pytest.fixture
def read_only_install(tmp_path):
    """An install whose data folder is read-only (0555). Root may write anywhere, so as root
    the process that meets it runs without the capabilities that override file modes."""
    if IS_ROOT and SETPRIV is None:
        pytest.skip("running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    settings = Settings(tmp_path / "data", tmp_path / "keys", FAST_KDF)
    install(settings)
    os.chmod(settings.data_dir, 0o555)  # noqa: S103 - read-only: the fault under test
    yield settings
    os.chmod(settings.data_dir, 0o700)


def run_unprivileged(settings: Settings, args: list[str]) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "BACKFUTURE_DATA_DIR": str(settings.data_dir),
        "BACKFUTURE_KEY_DIR": str(settings.key_dir),
    }
    drop = [SETPRIV, f"--bounding-set={WITHOUT_OVERRIDE}", f"--inh-caps={WITHOUT_OVERRIDE}"]
    command = [*(drop if IS_ROOT else []), sys.executable, *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_read_only_data_folder_is_named_and_unchanged(read_only_install):
    settings = read_only_install
    before = files_state(settings.data_dir.parent)
    started = run_unprivileged(settings, ["-c", START_AND_REPORT])
    assert started.stdout.startswith("StorageReadOnly "), started.stdout + started.stderr
    assert "read-only" in started.stdout
    cli_run = run_unprivileged(settings, ["-m", "backfuture_core", "test", "--connection", "x"])
    assert cli_run.returncode == cli.EXIT_USAGE
    assert "read-only" in cli_run.stderr
    assert "Traceback" not in cli_run.stderr
    assert files_state(settings.data_dir.parent) == before


# --- A disk that fills during a session ------------------------------------------------------------


def fill_database(db) -> None:
    """Cap the database at its size and fill what is left, as a full disk would."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    for size in (500, 50, 1):
        try:
            while True:
                with write(db):
                    audit(db, "filler", detail="x" * size)
        except DiskFull:
            continue


def add_one(db, settings, vault, conn):
    core.add_connection(db, vault, core.ConnectionForm(**{**GOOD, "name": "Second"}))


def save_one_report(db, settings, vault, conn):
    save_report(db, conn.id, failure_report(conn, ExchangeError("exchange_unavailable")))


def set_master_passphrase(db, settings, vault, conn):
    set_passphrase(db, settings, vault, "correct horse battery staple")


def replace_its_keys(db, settings, vault, conn):
    core.replace_keys(
        db,
        vault,
        conn.id,
        version=conn.version,
        api_key="mx0vglNEWKEY9876",
        secret="NEWsecret0123456789",
    )


def state(db, vault) -> tuple:
    conns = core.list_connections(db)
    keys = [core.load_credentials(db, vault, c.id).api_key.reveal() for c in conns]
    return conns, keys, vault_mode(db), [latest_report(db, c.id) for c in conns]


@pytest.mark.parametrize(
    "action", [add_one, save_one_report, set_master_passphrase, replace_its_keys]
)
def test_disk_full_mid_session_says_so_and_keeps_the_data(settings, tmp_path, action):
    db = open_db(settings.db_path)
    vault = open_vault(db, settings)
    conn = core.add_connection(db, vault, core.ConnectionForm(**GOOD))
    fill_database(db)
    before, files = state(db, vault), files_state(tmp_path)
    with pytest.raises(DiskFull, match="is full, so this change was not saved"):
        action(db, settings, vault, conn)
    assert not db.conn.in_transaction
    assert state(db, vault) == before
    assert files_state(tmp_path) == files
    db.close()
    assert open_vault(open_db(settings.db_path), settings).vault_id == vault.vault_id


def test_read_only_handle_mid_session_says_so(settings, tmp_path, db, vault):
    """SQLite opens a file it may not write read-only (`mode=ro`); a write then fails with
    SQLITE_READONLY, which is what a handle on a read-only file meets."""
    core.add_connection(db, vault, core.ConnectionForm(**GOOD))
    from sqlite_utils import Database

    read_only = Database(sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True))
    files = files_state(tmp_path)
    with pytest.raises(StorageReadOnly, match="read-only"):
        add_one(read_only, settings, vault, None)
    assert [c.name for c in core.list_connections(read_only)] == [GOOD["name"]]
    read_only.close()
    assert files_state(tmp_path) == files


def test_other_sqlite_errors_stay_raw(db):
    """A constraint failure is a bug to fix, not a storage fault: it is not disguised."""
    with pytest.raises(sqlite3.IntegrityError), write(db):
        db.execute("INSERT INTO vault_meta (id) VALUES (2)")


# --- Creating the database and the keyfile: complete or not at all ----------------------------------


class FailingOs:
    """The os module as `storage.atomic` sees it, with the n-th call of one function failing."""

    def __init__(self, name: str, nth: int, error: OSError):
        self.name, self.nth, self.error, self.calls = name, nth, error, 0

    def __getattr__(self, attr):
        real = getattr(os, attr)
        if attr != self.name:
            return real

        def failing(*args, **kwargs):
            self.calls += 1
            if self.calls == self.nth:
                raise self.error
            return real(*args, **kwargs)

        return failing


FULL = OSError(errno.ENOSPC, "No space left on device")
# Each step of creating the keyfile: the temporary file, its content, its fsync, the link to
# its name, the fsync of the folder.
KEYFILE_STEPS = [("open", 1), ("write", 1), ("fsync", 1), ("link", 1), ("fsync", 2)]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.tmp"))


@pytest.mark.parametrize(("function", "nth"), KEYFILE_STEPS)
def test_first_start_failing_at_any_keyfile_step_leaves_a_working_next_start(
    settings, monkeypatch, function, nth
):
    db = open_db(settings.db_path)
    monkeypatch.setattr(atomic, "os", FailingOs(function, nth, FULL))
    with pytest.raises(DiskFull, match="keyfile"):
        open_vault(db, settings)
    monkeypatch.undo()
    key = settings.keyfile_path.read_bytes() if settings.keyfile_path.exists() else None
    assert key is None or len(key) == 32  # never a half keyfile
    assert vault_mode(db) is None  # no wrapped data key was stored without its keyfile
    assert leftovers(settings.key_dir) == []
    vault = open_vault(db, settings)  # the next start works
    core.add_connection(db, vault, core.ConnectionForm(**GOOD))
    db.close()
    again = open_db(settings.db_path)
    reopened = open_vault(again, settings)
    (conn,) = core.list_connections(again)
    assert core.load_credentials(again, reopened, conn.id).secret.reveal() == GOOD["secret"]
    again.close()


def test_first_start_failing_to_store_the_data_key_keeps_the_keyfile(settings, monkeypatch):
    db = open_db(settings.db_path)

    @contextlib.contextmanager
    def write_then_fail(handle):
        with write(handle):  # the real transaction, rolled back by the failure
            yield handle
            raise faults.disk_full(settings.db_path)

    monkeypatch.setattr(vaults, "write", write_then_fail)
    with pytest.raises(DiskFull):
        open_vault(db, settings)
    monkeypatch.undo()
    assert vault_mode(db) is None
    assert len(settings.keyfile_path.read_bytes()) == 32  # durable before the data key
    db.close()
    db = open_db(settings.db_path)  # a new handle: the disk has room again
    key = settings.keyfile_path.read_bytes()
    assert open_vault(db, settings)
    assert settings.keyfile_path.read_bytes() == key  # reused, never replaced
    db.close()


def test_empty_keyfile_left_by_an_old_failed_start_is_replaced(settings):
    """Versions that wrote the keyfile in place left a 0-byte one on a full disk; with no data
    key stored, nothing depends on it, so the next first start makes a real one."""
    settings.key_dir.mkdir(mode=0o700)
    settings.keyfile_path.touch(mode=0o600)
    db = open_db(settings.db_path)
    vault = open_vault(db, settings)
    assert len(settings.keyfile_path.read_bytes()) == 32
    assert open_vault(db, settings).vault_id == vault.vault_id
    db.close()


@pytest.mark.parametrize(("function", "error"), [("open", FULL), ("link", FULL), ("fsync", FULL)])
def test_new_database_is_created_complete_or_not_at_all(settings, monkeypatch, function, error):
    monkeypatch.setattr(atomic, "os", FailingOs(function, 1, error))
    with pytest.raises(DiskFull, match="is full"):
        open_db(settings.db_path)
    monkeypatch.undo()
    assert not settings.db_path.exists()
    assert sorted(p.name for p in settings.data_dir.iterdir()) == []
    db = open_db(settings.db_path)
    assert open_vault(db, settings)
    db.close()
