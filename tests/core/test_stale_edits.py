"""Two tabs: every change carries the version it was based on. A change based on an older
version is refused and overwrites nothing; a change to a connection deleted elsewhere says so;
an edit writes only the fields it changes; a connection test never makes a form stale."""

from __future__ import annotations

import pytest

from backfuture_core.diagnostics.reports import save_report
from backfuture_core.errors import NotFound, StaleEdit
from backfuture_core.models import Check, CheckState, ConnectionReport, Status
from backfuture_core.storage import connections as core
from tests.core.test_connections import form

STALE = "This connection changed in another tab: reload the page."
GONE = "deleted in another tab"


@pytest.fixture
def conn(db, vault):
    return core.add_connection(db, vault, form(note="first note"))


def row(db, conn_id):
    return db.execute("SELECT * FROM connections WHERE id = ?", [conn_id]).fetchone()


# Each action a stale tab can take, given the version it was based on.
ACTIONS = {
    "edit name": lambda db, vault, c, v: core.update_connection(db, c, version=v, name="Renamed"),
    "edit note": lambda db, vault, c, v: core.update_connection(db, c, version=v, note="B's note"),
    "replace keys": lambda db, vault, c, v: core.replace_keys(
        db, vault, c, version=v, api_key="mx0vglNEWKEY9876", secret="NEWSECRET123"
    ),
    "delete": lambda db, vault, c, v: core.delete_connection(db, c, version=v),
}


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_a_change_based_on_an_old_version_is_refused_and_overwrites_nothing(
    db, vault, conn, action
):
    tab_b_version = conn.version  # tab B renders the connection...
    tab_a = core.update_connection(db, conn.id, version=conn.version, note="A's note")  # A saves
    before = row(db, conn.id)
    with pytest.raises(StaleEdit) as caught:
        action(db, vault, conn.id, tab_b_version)
    assert str(caught.value) == STALE
    assert row(db, conn.id) == before  # ciphertexts, note, name, version: all as A left them
    assert core.get_connection(db, conn.id).note == "A's note" == tab_a.note


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_a_change_to_a_connection_deleted_elsewhere_says_so(db, vault, conn, action):
    core.delete_connection(db, conn.id, version=conn.version)  # tab A deletes
    with pytest.raises(NotFound, match=GONE):
        action(db, vault, conn.id, conn.version)
    assert core.list_connections(db) == []


def test_an_edit_writes_only_the_fields_it_changes(db, vault, conn):
    renamed = core.update_connection(db, conn.id, version=conn.version, name="Renamed")
    assert (renamed.name, renamed.note, renamed.market) == ("Renamed", "first note", conn.market)
    assert renamed.version == conn.version + 1
    unchanged = core.update_connection(db, conn.id, version=renamed.version)
    assert unchanged == renamed  # nothing changed, nothing written


def test_every_change_raises_the_version_and_a_test_does_not(db, vault, conn):
    keys = core.replace_keys(
        db, vault, conn.id, version=conn.version, api_key="mx0vglNEWKEY9876", secret="NEWSECRET1"
    )
    assert keys.version == conn.version + 1
    checks = (Check("reachable", CheckState.PASS),)
    save_report(db, conn.id, ConnectionReport(Status.ONLINE, checks, tested_at="now"))
    tested = core.get_connection(db, conn.id)
    assert (tested.status, tested.version) == (Status.ONLINE, keys.version)
    core.delete_connection(db, conn.id, version=tested.version)  # still current after the test
    assert core.list_connections(db) == []


def test_a_report_for_a_deleted_connection_is_refused_by_name(db, vault, conn):
    core.delete_connection(db, conn.id, version=conn.version)
    with pytest.raises(NotFound, match=GONE):
        save_report(db, conn.id, ConnectionReport(Status.ONLINE, (), tested_at="now"))
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
