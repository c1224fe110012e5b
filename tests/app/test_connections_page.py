"""The Connections page through app.py: add, list, edit, replace keys, delete; no leaks."""

from __future__ import annotations

import logging

import pytest

from backfuture_core.storage import connections as core
from backfuture_core.storage.database import open_db
from tests.app.conftest import in_order, open_page, rendered_text, session_state_text

CANARY_SECRET = "CANARYsecret7f3a9c2e1b"
CANARY_KEY = "mx0vglCANARYkey5d8e"
CANARY_PASS = "CANARYpass42xq"


def add(at, name="MEXC Spot Main", key=CANARY_KEY, secret=CANARY_SECRET, exchange=None, **extra):
    if exchange:
        at.selectbox(key="add.exchange").set_value(exchange).run()
    at.text_input(key="add.name").input(name)
    at.text_input(key="add.api_key").input(key)
    at.text_input(key="add.secret").input(secret)
    for field, value in extra.items():
        at.text_input(key=f"add.{field}").input(value)
    return at.button(key="FormSubmitter:add.form-Save connection").click().run()


def connections_table(at):
    """The connections list (the only dataframe with a 'Connection' column)."""
    return next(d.value for d in at.dataframe if "Connection" in d.value.columns)


@pytest.fixture
def page(app):
    return open_page(app, "connections")


def test_page_shows_form_and_guidance(page):
    assert not page.exception
    labels = {w.label for w in page.text_input}
    assert {"Connection name", "API Key", "Secret Key", "API base URL", "Proxy"} <= labels
    assert "Passphrase" not in labels  # MEXC needs none
    text = rendered_text(page)
    for expected in ("Withdraw", "IP whitelist", "MEXC Spot Main", "KuCoin Futures Conservative"):
        assert expected in text
    assert page.info[0].value.startswith("No connections yet")


def test_passphrase_field_only_for_kucoin(page):
    page.selectbox(key="add.exchange").set_value("kucoin").run()
    assert "Passphrase" in {w.label for w in page.text_input}
    assert not page.exception


def test_add_lists_masked_key_and_empties_secret_fields(page, app_env):
    at = add(page)
    assert not at.exception
    assert "…5d8e" in at.success[0].value
    assert [link.label for link in at.get("page_link")] == ["Run a connection test"]
    table = connections_table(at)
    row = table.iloc[0]
    assert (row["Connection"], row["Exchange"], row["API Key"], row["Status"]) == (
        "MEXC Spot Main",
        "MEXC",
        "…5d8e",
        "⚪ Untested",
    )
    assert at.text_input(key="add.secret").value == ""
    assert at.text_input(key="add.api_key").value == ""


def test_kucoin_without_passphrase_rejected_nothing_stored(page, app_env):
    at = add(page, name="KuCoin Main", exchange="kucoin")
    assert not at.exception
    assert any("Passphrase" in e.value for e in at.error)
    db = open_db(app_env.db_path)
    assert core.list_connections(db) == []
    db.close()


def test_bad_input_message_beside_form(page):
    at = add(page, name="x" * 10, key="short")
    assert any("too short" in e.value for e in at.error)
    assert not at.exception


def test_canary_secret_appears_nowhere(page, app_env, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    streamlit_logger = logging.getLogger("streamlit")
    streamlit_logger.addHandler(caplog.handler)
    try:
        at = add(page, name="KuCoin Main", exchange="kucoin", passphrase=CANARY_PASS)
        at.run()  # one more rerun after the submit, still on the Connections page
        state = session_state_text(at)
        shown = rendered_text(at)
        at = open_page(at, "overview")
        shown += rendered_text(at)
    finally:
        streamlit_logger.removeHandler(caplog.handler)
    assert not at.exception
    out, err = capfd.readouterr()
    files = b"".join(p.read_bytes() for p in app_env.data_dir.iterdir() if p.is_file())
    for canary in (CANARY_SECRET, CANARY_PASS, CANARY_KEY):
        for probe in (canary, canary[:8], canary[-8:]):
            assert probe not in shown
            assert probe not in state
            assert probe not in caplog.text
            assert probe not in out + err
        assert canary.encode() not in files


def test_name_is_plain_text_not_markdown(page):
    payload = "**bold** [x](javascript:alert(1)) <img src=x>"
    at = add(page, name=payload)
    assert not at.exception
    assert connections_table(at).iloc[0]["Connection"] == payload
    for md in at.markdown:
        assert payload not in md.value


def test_edit_rename(page):
    at = add(page)
    at.text_input(key="edit.name.1").set_value("MEXC Futures Main")
    at.selectbox(key="edit.market.1").set_value("both")
    at.button(key="FormSubmitter:edit.form.1-Save changes").click().run()
    assert not at.exception
    row = connections_table(at).iloc[0]
    assert (row["Connection"], row["Market"]) == ("MEXC Futures Main", "Spot and futures")
    assert at.success[0].value == "Changes saved."


def test_edit_rejects_bad_url(page):
    at = add(page)
    at.text_input(key="edit.url.1").set_value("not-a-url")
    at.button(key="FormSubmitter:edit.form.1-Save changes").click().run()
    assert any("full URL" in e.value for e in at.error)
    assert not at.exception


def test_replace_keys(page, app_env):
    at = add(page)
    at.text_input(key="keys.api_key").input("mx0vglNEWKEYzz99")
    at.text_input(key="keys.secret").input("NEWsecretVALUE123")
    at.button(key="FormSubmitter:keys.form.1-Save new keys").click().run()
    assert not at.exception
    assert connections_table(at).iloc[0]["API Key"] == "…zz99"
    assert at.text_input(key="keys.secret").value == ""
    assert "NEWsecretVALUE123" not in rendered_text(at)


def test_delete_needs_confirmation(page, app_env):
    at = add(page)
    assert at.button(key="delete.button.1").disabled
    at.checkbox(key="delete.confirm.1").check().run()
    at.button(key="delete.button.1").click().run()
    assert not at.exception
    assert "delete its API key on the exchange" in at.success[0].value
    assert at.info[0].value.startswith("No connections yet")


# --- Two tabs ------------------------------------------------------------------------------------


def second_tab():
    """Another browser tab: its own session on the same data folder."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    return open_page(AppTest.from_file(APP, default_timeout=60).run(), "connections")


def stored(settings) -> dict:
    db = open_db(settings.db_path)
    try:
        return {
            row["id"]: dict(row)
            for row in db.query("SELECT * FROM connections ORDER BY id")  # every column, bytes too
        }
    finally:
        db.close()


def edit_note(at, note):
    at.text_area(key="edit.note.1").set_value(note)
    return at.button(key="FormSubmitter:edit.form.1-Save changes").click().run()


def confirm_delete(at):
    return at.checkbox(key="delete.confirm.1").check().run()


def delete_one(at):
    return confirm_delete(at).button(key="delete.button.1").click().run()


def tab_b_renames(at):
    at.text_input(key="edit.name.1").set_value("Renamed in B")
    return at.button(key="FormSubmitter:edit.form.1-Save changes").click().run()


def tab_b_replaces_keys(at):
    at.text_input(key="keys.api_key").input("mx0vglNEWKEYzz99")
    at.text_input(key="keys.secret").input("NEWsecretVALUE123")
    return at.button(key="FormSubmitter:keys.form.1-Save new keys").click().run()


TAB_A = {"A edits the note": lambda at: edit_note(at, "A's note"), "A deletes": delete_one}
TAB_B = {
    "B renames": tab_b_renames,
    "B replaces keys": tab_b_replaces_keys,
    "B deletes": lambda at: at.button(key="delete.button.1").click().run(),  # confirmed before
}


@pytest.mark.parametrize("b_action", TAB_B.values(), ids=TAB_B.keys())
@pytest.mark.parametrize("a_action", TAB_A.values(), ids=TAB_A.keys())
def test_a_stale_tab_changes_nothing_and_says_why(page, app_env, a_action, b_action):
    tab_a = add(page)
    tab_b = confirm_delete(second_tab())  # B shows the connection as it is now...
    tab_a = a_action(tab_a)  # ...then A changes or deletes it
    assert not tab_a.exception
    before = stored(app_env)

    tab_b = b_action(tab_b)

    assert not tab_b.exception
    shown = " ".join(e.value for e in tab_b.error) + " ".join(w.value for w in tab_b.warning)
    deleted = not before
    if deleted:
        assert "deleted in another tab" in shown
    else:
        assert "This connection changed in another tab: reload the page." in shown
        assert before[1]["note"] == "A's note"
    assert stored(app_env) == before  # nothing overwritten, nothing deleted


def test_an_edit_writes_only_what_this_tab_changed(page, app_env):
    tab_a = add(page)
    tab_a = edit_note(tab_a, "A's note")
    tab_a = tab_b_renames(tab_a)  # the same tab, up to date: only the name is written
    assert not tab_a.error
    row = stored(app_env)[1]
    assert (row["name"], row["note"], row["version"]) == ("Renamed in B", "A's note", 3)


def test_the_managed_connection_deleted_elsewhere_is_said_by_its_name(page, app_env):
    tab_a = add(page)
    tab_a = add(tab_a, name="Second", key="mx0vglSECOND0000")
    tab_b = second_tab()
    tab_a = delete_one(tab_a)  # "MEXC Spot Main", the one B shows, sorted first
    tab_b.run()
    assert any("deleted in another tab" in w.value for w in tab_b.warning)
    assert "MEXC Spot Main" in [t.value for t in tab_b.text]
    assert not tab_b.exception


# --- The list first, the form in an expander, renames and long names ----------------------


def test_the_list_comes_first_and_the_form_waits_in_an_expander(page):
    assert page.expander[0].label == "Add a connection"
    at = add(page)
    assert not at.exception
    elements = list(in_order(at.main))
    order = [getattr(e, "key", None) or e.type for e in elements]
    assert order.index("dataframe") < order.index("add.name")  # the list, then the form
    guide = next(  # the guide's permission table
        i
        for i, e in enumerate(elements)
        if "Required API permissions" in str(getattr(e, "value", ""))
    )
    assert order.index("add.name") < guide < order.index("manage.id")  # the guide below the form


def test_a_rename_shows_at_once_in_the_manage_box(page):
    at = add(page)
    at.text_input(key="edit.name.1").set_value("Renamed Main")
    at = at.button(key="FormSubmitter:edit.form.1-Save changes").click().run()
    assert not at.exception
    box = at.selectbox(key="manage.id")
    assert box.options == ["Renamed Main"]
    assert box.value == 1
    assert at.text_input(key="edit.name.1").value == "Renamed Main"


def test_an_over_long_name_is_kept_and_refused_with_its_length(page):
    long_name = "N" * 200
    at = add(page, name=long_name)
    assert not at.exception
    assert at.text_input(key="add.name").value == long_name  # kept, never cut or emptied
    assert any("The connection name is 200 characters; use at most 64" in e.value for e in at.error)
    assert not at.dataframe  # nothing was saved


def test_an_over_long_rename_is_kept_and_refused_with_its_length(page):
    at = add(page)
    at.text_input(key="edit.name.1").set_value("R" * 100)
    at = at.button(key="FormSubmitter:edit.form.1-Save changes").click().run()
    assert any("is 100 characters; use at most 64" in e.value for e in at.error)
    assert at.text_input(key="edit.name.1").value == "R" * 100
    assert connections_table(at).iloc[0]["Connection"] == "MEXC Spot Main"
