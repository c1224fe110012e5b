"""Store: migrations, pragmas, unique names, concurrent writers, corrupt files."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from backfuture_core.errors import DatabaseCorrupt
from backfuture_core.storage import database
from backfuture_core.storage.database import audit, open_db, write
from backfuture_core.storage.migrations import MIGRATIONS


def test_migrations_idempotent(settings):
    first = open_db(settings.db_path)
    tables = set(first.table_names())
    applied = [m.name for m in MIGRATIONS.applied(first)]
    first.close()
    second = open_db(settings.db_path)
    assert set(second.table_names()) == tables
    assert [m.name for m in MIGRATIONS.applied(second)] == applied
    assert {"connections", "vault_meta", "audit_log", "reports", "strategies"} <= tables
    second.close()


def test_pragmas(db):
    pragma = lambda name: db.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == 5000


def test_database_file_is_private(db, settings):
    assert settings.db_path.stat().st_mode & 0o077 == 0


def _insert(db, name: str) -> None:
    db.execute(
        "INSERT INTO connections (name, name_key, exchange, market, key_hint, created_at, "
        "updated_at) VALUES (?, ?, 'mexc', 'spot', '…abcd', '', '')",
        [name, name.casefold()],
    )


def test_unique_names_case_insensitive(db):
    with write(db):
        _insert(db, "MEXC Spot Main")
    with pytest.raises(sqlite3.IntegrityError), write(db):
        _insert(db, "mexc spot main")
    assert db.execute("SELECT count(*) FROM connections").fetchone()[0] == 1


def test_failed_write_rolls_back_whole_action(db):
    with pytest.raises(RuntimeError), write(db):
        _insert(db, "one")
        audit(db, "connection added")
        raise RuntimeError("boom")
    assert db.execute("SELECT count(*) FROM connections").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_two_threads_with_their_own_handles(settings):
    open_db(settings.db_path).close()
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            handle = open_db(settings.db_path)
            for i in range(50):
                with write(handle):
                    count = handle.execute("SELECT count(*) FROM connections").fetchone()[0]
                    _insert(handle, f"{prefix}-{i}-{count}")
            handle.close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = open_db(settings.db_path)
    assert check.execute("SELECT count(*) FROM connections").fetchone()[0] == 100
    check.close()


def test_handle_refuses_other_threads(db):
    failures = []
    thread = threading.Thread(target=lambda: failures.append(_try(db)))
    thread.start()
    thread.join()
    assert isinstance(failures[0], sqlite3.ProgrammingError)


def _try(db):
    try:
        db.execute("SELECT 1")
    except sqlite3.ProgrammingError as exc:
        return exc
    return None


def test_not_a_database_is_reported_and_untouched(settings):
    settings.data_dir.mkdir(parents=True)
    settings.db_path.write_bytes(b"this is not sqlite" * 100)
    before = settings.db_path.read_bytes()
    with pytest.raises(DatabaseCorrupt, match="Nothing was changed"):
        open_db(settings.db_path)
    assert settings.db_path.read_bytes() == before


def _plain_sqlite_file(path, *, corrupt: bool = False) -> None:
    """A BackFuture database with a filler table that this process has never opened (made at
    another path, then copied to a new file), optionally with a damaged page that only the
    integrity check notices."""
    source = path.parent.parent / "elsewhere" / path.name
    open_db(source).close()
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO filler (body) VALUES (?)", [("x" * 500,)] * 100)
    conn.execute("CREATE INDEX filler_body ON filler (body)")
    conn.commit()
    page_size, pages = (
        conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count")
    )
    conn.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source.read_bytes())
    if corrupt:
        data = bytearray(path.read_bytes())
        last = (pages - 1) * page_size
        data[last : last + page_size // 2] = b"\xff" * (page_size // 2)
        path.write_bytes(bytes(data))


@pytest.fixture
def integrity_checks(monkeypatch):
    """Counts the integrity checks open_db runs (the check itself still runs)."""
    calls: list[str] = []
    real = database.check_integrity

    def counted(db):
        calls.append("check")
        return real(db)

    monkeypatch.setattr(database, "check_integrity", counted)
    return calls


def test_integrity_checked_once_per_process_and_file(settings, integrity_checks):
    _plain_sqlite_file(settings.db_path)
    for _ in range(3):
        handle = open_db(settings.db_path)
        assert handle.execute("SELECT count(*) FROM filler").fetchone()[0] == 100
        handle.close()
    assert integrity_checks == ["check"]


def test_new_database_needs_no_integrity_check(settings, integrity_checks):
    open_db(settings.db_path).close()
    open_db(settings.db_path).close()
    assert integrity_checks == []


def test_damaged_database_refused_at_first_open_and_after(settings, integrity_checks):
    _plain_sqlite_file(settings.db_path, corrupt=True)
    before = settings.db_path.read_bytes()
    for _ in range(2):  # a refused file is not remembered as checked
        with pytest.raises(DatabaseCorrupt, match="integrity check"):
            open_db(settings.db_path)
    assert integrity_checks == ["check", "check"]
    assert settings.db_path.read_bytes() == before


def test_table_methods_inside_write_do_not_commit_on_their_own(db):
    with pytest.raises(RuntimeError), write(db):
        db.table("audit_log").insert({"at": "", "action": "one", "detail": ""})
        db.table("audit_log").update(1, {"action": "two"})
        assert db.conn.in_transaction
        raise RuntimeError("boom")
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
