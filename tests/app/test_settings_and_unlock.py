"""Settings (security mode, lock) and the unlock page, through app.py."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backfuture_core.security.vault import vault_mode
from backfuture_core.storage.database import open_db
from tests.app.conftest import APP, open_page, session_state_text

PASSPHRASE = "correct horse battery staple"


def set_passphrase(at, passphrase=PASSPHRASE, confirm=None):
    at = open_page(at, "settings")
    at.text_input(key="sec.new").input(passphrase)
    at.text_input(key="sec.confirm").input(confirm or passphrase)
    return at.button(key="FormSubmitter:sec.form-Apply").click().run()


def test_settings_shows_mode_and_paths(app, app_env):
    at = open_page(app, "settings")
    assert not at.exception
    paths = at.dataframe[0].value
    assert str(app_env.db_path) in paths["Path"].tolist()
    assert any("keyfile" in m.value for m in at.markdown)


def test_set_passphrase_then_new_session_starts_locked(app, app_env):
    at = set_passphrase(app)
    assert not at.exception
    assert at.success[0].value == "Master passphrase set."
    db = open_db(app_env.db_path)
    assert vault_mode(db) == "passphrase"
    db.close()
    assert at.text_input(key="sec.new").value == ""

    fresh = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.value for t in fresh.title] == ["Unlock BackFuture"]
    fresh.text_input(key="unlock.passphrase").input("wrong passphrase!!")
    fresh.button(key="FormSubmitter:unlock.form-Unlock").click().run()
    assert fresh.error[0].value == (
        "Wrong master passphrase: BackFuture stayed locked and nothing was changed."
    )
    fresh.text_input(key="unlock.passphrase").input(PASSPHRASE)
    fresh.button(key="FormSubmitter:unlock.form-Unlock").click().run()
    assert not fresh.exception
    assert [t.value for t in fresh.title] == ["BackFuture"]
    assert not fresh.text_input  # the unlock form is gone
    assert PASSPHRASE not in session_state_text(fresh)


def test_mismatched_confirmation_rejected(app, app_env):
    at = set_passphrase(app, confirm="something else entirely")
    assert "do not match" in at.error[0].value
    db = open_db(app_env.db_path)
    assert vault_mode(db) == "keyfile"
    db.close()


def test_short_passphrase_rejected(app):
    at = set_passphrase(app, passphrase="short")
    assert "at least 12" in at.error[0].value
    assert not at.exception


def test_lock_and_remove_passphrase(app, app_env):
    at = set_passphrase(app)
    at = open_page(at, "settings")
    at.button(key="sec.lock").click().run()
    assert [t.value for t in at.title] == ["Unlock BackFuture"]
    at.text_input(key="unlock.passphrase").input(PASSPHRASE)
    at.button(key="FormSubmitter:unlock.form-Unlock").click().run()
    at = open_page(at, "settings")
    at.radio(key="sec.action").set_value("remove").run()
    at.text_input(key="sec.current").input(PASSPHRASE)
    at.button(key="FormSubmitter:sec.form-Apply").click().run()
    assert not at.exception
    assert "removed" in at.success[0].value
    db = open_db(app_env.db_path)
    assert vault_mode(db) == "keyfile"
    db.close()


def test_missing_keyfile_shows_clear_error(app, app_env):
    app_env.keyfile_path.unlink()
    fresh = AppTest.from_file(APP, default_timeout=60).run()
    assert not fresh.exception
    assert "keyfile" in fresh.error[0].value.lower()
    assert not app_env.keyfile_path.exists()
