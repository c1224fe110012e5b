"""One connection's failure never breaks the rest: "Test all" through `run_saved` and the CLI's
`test --connection`, each fault on one connection of the demo (the sandbox on loopback).

Each case asserts the message (by the connection's name, never its id), that every other
connection was tested and its report saved, and that the damaged row was left as it was."""

from __future__ import annotations

import pytest

from backfuture_core import cli, demo
from backfuture_core.diagnostics.reports import latest_report
from backfuture_core.diagnostics.run import failure_message
from backfuture_core.diagnostics.saved import run_saved
from backfuture_core.models import Status
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import open_db, write

VICTIM = "MEXC No IP Restriction (demo)"

# How the victim's row is damaged: SQL run with its id (?) and another connection's id (?).
DAMAGE = {
    "truncated secret": "UPDATE connections SET secret_enc = substr(secret_enc, 1, 5) WHERE id = ?",
    "no API key": "UPDATE connections SET api_key_enc = NULL WHERE id = ?",
    "flipped byte": "UPDATE connections SET secret_enc = "
    "CAST(substr(secret_enc, 1, 20) || X'00' || substr(secret_enc, 22) AS BLOB) WHERE id = ?",
    "empty secret": "UPDATE connections SET secret_enc = X'' WHERE id = ?",
    "unknown format": "UPDATE connections SET api_key_enc = CAST(X'7F' || api_key_enc AS BLOB) "
    "WHERE id = ?",
    "re-pointed exchange": "UPDATE connections SET exchange = 'kucoin' WHERE id = ?",
}


def row_bytes(db, conn_id: int) -> tuple:
    return tuple(db.execute("SELECT * FROM connections WHERE id = ?", [conn_id]).fetchone())


@pytest.fixture
def demo_db(db, vault):
    demo.start_demo(db, vault)
    return db


def by_name(db) -> dict[str, core.Connection]:
    return {c.name: c for c in core.list_connections(db)}


def assert_no_internal_id(text: str) -> None:
    assert "connection 1" not in text.lower()
    assert not any(f"connection {n}" in text.lower() for n in range(10))


@pytest.mark.parametrize("sql", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_row_fails_alone_by_its_name(demo_db, vault, sql):
    victim = by_name(demo_db)[VICTIM]
    with write(demo_db):
        demo_db.execute(sql, [victim.id])
    damaged = row_bytes(demo_db, victim.id)

    outcomes = {
        o.connection.name: o
        for o in run_saved(demo_db, vault, demo.resolved(by_name(demo_db).values()))
    }

    assert set(outcomes) == set(demo.DEMO_LABELS)
    hit = outcomes[VICTIM]
    assert hit.report.status is Status.FAILED
    assert VICTIM in failure_message(hit.report)
    assert "damaged" in failure_message(hit.report)
    assert_no_internal_id(failure_message(hit.report))
    for name, outcome in outcomes.items():  # every report saved, the others really tested
        assert outcome.saved
        assert latest_report(demo_db, outcome.connection.id) == outcome.report
        if name != VICTIM:
            assert not failure_message(outcome.report)
    assert by_name(demo_db)["MEXC Spot Main (demo)"].status is Status.ONLINE
    # The damaged row only got its status; its stored keys are byte for byte as they were.
    columns = [d[0] for d in demo_db.execute("SELECT * FROM connections").description]
    after = dict(zip(columns, row_bytes(demo_db, victim.id), strict=True))
    before = dict(zip(columns, damaged, strict=True))
    for column in ("api_key_enc", "secret_enc", "passphrase_enc", "name", "exchange", "version"):
        assert after[column] == before[column]


def test_a_connection_deleted_before_its_test_is_said_so_and_the_others_are_saved(
    demo_db, vault, settings
):
    listed = demo.resolved(core.list_connections(demo_db))  # the page's list, then...
    other_tab = open_db(settings.db_path)
    gone = by_name(other_tab)[VICTIM]
    core.delete_connection(other_tab, gone.id, version=gone.version)  # ...another tab deletes
    other_tab.close()

    outcomes = {o.connection.name: o for o in run_saved(demo_db, vault, listed)}

    assert "deleted in another tab" in outcomes[VICTIM].not_saved
    assert "not saved" in outcomes[VICTIM].not_saved
    rest = [o for name, o in outcomes.items() if name != VICTIM]
    assert len(rest) == len(demo.DEMO_LABELS) - 1
    assert all(o.saved and latest_report(demo_db, o.connection.id) == o.report for o in rest)


def test_a_connection_deleted_while_the_tests_run_does_not_stop_the_others(
    demo_db, vault, settings
):
    """Every key is loaded and every test has left; a report is saved as it arrives. Another
    tab deletes a connection whose report has not arrived yet: before the fix, saving it
    raised sqlite3.IntegrityError and the later reports were lost."""
    outcomes = run_saved(demo_db, vault, demo.resolved(core.list_connections(demo_db)))
    first = next(outcomes)
    other_tab = open_db(settings.db_path)
    victim = next(c for c in core.list_connections(other_tab) if c.id != first.connection.id)
    core.delete_connection(other_tab, victim.id, version=victim.version)
    other_tab.close()

    rest = {o.connection.name: o for o in outcomes}

    assert "deleted in another tab" in rest[victim.name].not_saved
    saved = [first, *(o for o in rest.values() if o.connection.id != victim.id)]
    assert len(saved) == len(demo.DEMO_LABELS) - 1
    assert all(o.saved and latest_report(demo_db, o.connection.id) == o.report for o in saved)


# --- The command line: test --connection NAME ---------------------------------------------------


@pytest.fixture
def cli_demo(app_env, monkeypatch):
    monkeypatch.delenv("BACKFUTURE_MASTER_PASSPHRASE", raising=False)
    db = open_db(app_env.db_path)
    from backfuture_core.security.vault import open_vault

    demo.start_demo(db, open_vault(db, app_env))
    yield db
    db.close()


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("sql", DAMAGE.values(), ids=DAMAGE.keys())
def test_cli_a_damaged_connection_exits_1_naming_it(cli_demo, capsys, sql):
    victim = by_name(cli_demo)[VICTIM]
    with write(cli_demo):
        cli_demo.execute(sql, [victim.id])
    keys_before = row_bytes(cli_demo, victim.id)[6:9]

    code, out, err = run_cli(capsys, "test", "--connection", VICTIM)

    assert code == cli.EXIT_FAILED
    assert f"{VICTIM}: Failed" in out
    assert f"The saved keys of {VICTIM} are damaged" in out
    assert_no_internal_id(out + err)
    assert "Traceback" not in err
    assert latest_report(cli_demo, victim.id).status is Status.FAILED  # the failure is saved
    assert row_bytes(cli_demo, victim.id)[6:9] == keys_before


def test_cli_a_missing_connection_exits_2_naming_it(cli_demo, capsys):
    code, out, err = run_cli(capsys, "test", "--connection", "Nobody")
    assert code == cli.EXIT_USAGE
    assert "Nobody: No connection has that name." in err
    assert out == ""


def test_cli_healthy_connection_still_online_beside_a_damaged_one(cli_demo, capsys):
    victim = by_name(cli_demo)[VICTIM]
    with write(cli_demo):
        cli_demo.execute(DAMAGE["truncated secret"], [victim.id])
    code, out, _ = run_cli(capsys, "test", "--connection", "mexc spot main (demo)")
    assert code == cli.EXIT_OK
    assert "Online" in out
