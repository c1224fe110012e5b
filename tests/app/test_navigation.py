"""Every registered page runs from app.py without an exception (the meta-test); pages also
run on their own, and the unlock gate holds either way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from backfuture_core.security.vault import set_passphrase
from backfuture_core.storage.connections import ConnectionForm, add_connection
from backfuture_core.storage.database import open_db
from pages._ui import run_context
from tests.app.conftest import APP, open_page, page_path, rendered_text


def registered_pages() -> list[str]:
    tree = ast.parse(Path(APP).read_text())
    return [
        str(node.args[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "Page"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_only_existing_pages_registered():
    root = Path(APP).parent
    pages = registered_pages()
    assert "pages/overview.py" in pages
    assert all((root / page).is_file() for page in pages)


@pytest.mark.parametrize("page", [p for p in registered_pages() if "unlock" not in p])
def test_page_runs(app, page):
    at = open_page(app, Path(page).stem)
    assert not at.exception
    assert at.title


def test_overview_empty_state_explains_connecting(app):
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "Create a new API key" in text
    assert "Disable withdrawal permission" in text


def test_start_demo_from_overview(app):
    at = app.button(key="overview.start_demo").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Demo started: 9 demo connections")
    names = at.dataframe[0].value["Connection"].tolist()
    assert "MEXC Spot Main (demo)" in names
    assert "Bybit Unified Futures (demo)" in names
    at = open_page(at, "settings")
    at.button(key="settings.remove_demo").click().run()
    assert not at.exception
    assert "Remove 9 demo connections" in at.warning[0].value  # asks first
    assert "strateg" in at.warning[0].value  # and says what happens to their strategies
    at.button(key="settings.remove_demo_cancel").click().run()
    assert not at.warning
    at.button(key="settings.remove_demo").click().run()
    at.button(key="settings.remove_demo_confirm").click().run()
    assert not at.exception
    assert "9 demo connections removed" in at.success[0].value


# --- Pages on their own: the run context opens lazily, the unlock gate still holds ----------

PASSPHRASE = "correct horse battery staple"
SECRET_NAME = "Locked Away Account"


@pytest.fixture
def locked(app_env, db, vault):
    """Passphrase mode with one saved connection: every new session starts locked."""
    form = ConnectionForm("mexc", SECRET_NAME, "mx0vglLOCKEDkey000111", "lockedSECRET222333")
    add_connection(db, vault, form)
    set_passphrase(db, app_env, vault, PASSPHRASE)
    return app_env


@pytest.mark.parametrize("page", ["connections", "settings"])  # overview links to pages
def test_page_runs_on_its_own(app_env, page):
    at = AppTest.from_file(page_path(page), default_timeout=60).run()
    assert not at.exception
    assert at.title


def test_handle_opened_by_a_page_is_closed_after_its_run(app_env, monkeypatch):
    opened, closed = [], []

    def tracked_open_db(path):
        db = open_db(path)
        real_close = db.close

        def close():
            closed.append(db)
            real_close()

        monkeypatch.setattr(db, "close", close)
        opened.append(db)
        return db

    monkeypatch.setattr(run_context, "open_db", tracked_open_db)
    at = AppTest.from_file(page_path("settings"), default_timeout=60).run()
    assert not at.exception
    at.button(key="settings.start_demo").click().run()  # st.rerun: a second run, same thread
    assert not at.exception
    assert opened
    assert all(any(db is c for c in closed) for db in opened)


@pytest.mark.parametrize("page", ["overview", "connections", "balances"])
def test_locked_page_on_its_own_stops_with_the_reason(locked, page):
    at = AppTest.from_file(page_path(page), default_timeout=60).run()
    assert not at.exception
    assert "master passphrase" in at.error[0].value
    assert not at.dataframe
    assert SECRET_NAME not in rendered_text(at)


def test_locked_session_opening_a_page_gets_the_unlock_page(locked):
    # Before its first run the session is not yet locked to the unlock page: as a person
    # opening the page's URL, it asks for the Connections page.
    at = AppTest.from_file(APP, default_timeout=60).switch_page("pages/connections.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Unlock BackFuture"]
    assert SECRET_NAME not in rendered_text(at)
    at.text_input(key="unlock.passphrase").input(PASSPHRASE)
    at.button(key="FormSubmitter:unlock.form-Unlock").click().run()
    assert not at.exception
    # AppTest asks for the page by its file before the first run, not by its address as a
    # browser does: the e2e test checks that a link to /balances lands on Balances.
    assert [t.value for t in at.title] == ["BackFuture"]
    assert SECRET_NAME in rendered_text(at)
