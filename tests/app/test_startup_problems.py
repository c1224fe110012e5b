"""Start-up problems through app.py: a page that says what is wrong and what to do, never
Streamlit's error, and no file changed."""

from __future__ import annotations

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from backfuture_core.security.vault import open_vault
from backfuture_core.storage.database import open_db
from pages._ui import run_context
from tests.app.conftest import APP
from tests.core.test_storage_faults import files_state


def garbage(s) -> None:
    s.data_dir.mkdir(parents=True)
    s.db_path.write_bytes(b"not a database" * 200)


def foreign(s) -> None:
    s.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(s.db_path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def folder(s) -> None:
    s.db_path.mkdir(parents=True)


@pytest.mark.parametrize(
    ("make_fault", "message"),
    [
        (garbage, "is not a database file"),
        (foreign, "not BackFuture's"),
        (folder, "is a folder"),
    ],
)
def test_storage_fault_is_a_page(app_env, tmp_path, make_fault, message):
    make_fault(app_env)
    before = files_state(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["BackFuture cannot start"]
    assert message in at.error[0].value
    at.button(key="startup.retry").click().run()  # still refused, still no change
    assert [t.value for t in at.title] == ["BackFuture cannot start"]
    assert files_state(tmp_path) == before


def test_keyfile_that_is_a_folder_is_named_on_the_unlock_page(app_env, tmp_path):
    db = open_db(app_env.db_path)
    open_vault(db, app_env)
    db.close()
    app_env.keyfile_path.unlink()
    app_env.keyfile_path.mkdir(mode=0o700)
    before = files_state(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "is a folder" in at.error[0].value
    assert files_state(tmp_path) == before


def test_handle_is_closed_when_opening_the_vault_fails(app_env, monkeypatch):
    handles = []
    real_open_db = run_context.open_db

    def recording_open_db(path):
        handles.append(real_open_db(path))
        return handles[-1]

    def broken_open_vault(db, settings, passphrase=None):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(run_context, "open_db", recording_open_db)
    monkeypatch.setattr(run_context, "open_vault", broken_open_vault)
    AppTest.from_file(APP, default_timeout=60).run()
    assert handles
    for handle in handles:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            handle.execute("SELECT 1")
