"""Connections: add (keys encrypted at once), list, edit, replace keys, delete."""

import dataclasses

import streamlit as st

from backfuture_core.errors import BackfutureError, ValidationError
from backfuture_core.exchanges.registry import ROADMAP, SUPPORTED
from backfuture_core.models import Market
from backfuture_core.storage import connections as core
from backfuture_core.validation import destination_note
from pages import _ui

NAMES = {e.id: e.name for e in SUPPORTED.values()}
MARKETS = {m.value: m.label for m in Market}

st.title("Connections")
context = _ui.ctx()
vault = _ui.require_vault()


def save_connection() -> None:
    state = st.session_state
    fields = {
        f.name: state.get(f"add.{f.name}") or "" for f in dataclasses.fields(core.ConnectionForm)
    }
    try:
        with _ui.callback_db() as db:
            saved = core.add_connection(db, _ui.callback_vault(db), core.ConnectionForm(**fields))
    except BackfutureError as exc:
        state["add.problems"] = getattr(exc, "problems", {"Save connection": str(exc)})
        return
    # Saved: empty the secret fields (and the rest), so nothing typed stays in session state.
    for key in fields:
        if key not in ("exchange", "market"):
            state[f"add.{key}"] = ""
    state["add.problems"] = {}
    state["add.saved"] = saved.id


def replace_keys(conn_id: int) -> None:
    state = st.session_state
    values = {k: state.get(f"keys.{k}", "") for k in ("api_key", "secret", "passphrase")}
    for k in values:
        state[f"keys.{k}"] = ""  # the secrets leave session state whatever happens next
    try:
        with _ui.callback_db() as db:
            core.replace_keys(db, _ui.callback_vault(db), conn_id, **values)
        state["keys.problems"] = {}
        state["manage.flash"] = "New keys saved. Run a connection test."
    except ValidationError as exc:
        state["keys.problems"] = exc.problems


form_col, guide_col = st.columns([3, 2], gap="large")
with form_col:
    st.subheader("Add a connection")
    exchange = st.selectbox(
        "Exchange",
        list(NAMES),
        format_func=NAMES.get,
        key="add.exchange",
        help="More exchanges are on the way: " + ", ".join(ROADMAP) + ".",
    )
    needs_passphrase = SUPPORTED[exchange].requires_passphrase
    with st.form("add.form"):
        st.text_input(
            "Connection name", key="add.name", max_chars=64, placeholder="e.g. MEXC Spot Main"
        )
        st.text_input("API Key", type="password", key="add.api_key")
        st.text_input("Secret Key", type="password", key="add.secret")
        if needs_passphrase:
            st.text_input(
                "Passphrase",
                type="password",
                key="add.passphrase",
                help="The passphrase you set when creating the API key.",
            )
        st.selectbox(
            "Market",
            list(MARKETS),
            format_func=MARKETS.get,
            key="add.market",
            help="Enable only the market you really plan to use.",
        )
        with st.expander("Advanced"):
            st.text_input(
                "API base URL",
                key="add.api_base_url",
                help="Replaces the exchange's REST address (regional domain, gateway): the API "
                "Key and every signed request go there. https:// only (http:// on this computer).",
            )
            st.text_input("Proxy", key="add.proxy", help="HTTP(S) proxy for this connection.")
        st.form_submit_button("Save connection", type="primary", on_click=save_connection)
    _ui.show_problems(st.session_state.get("add.problems", {}))
    if saved_id := st.session_state.pop("add.saved", None):
        saved = core.get_connection(context.db, saved_id)
        st.success(
            f"Connection saved. API Key {saved.key_hint}; the Secret Key is stored "
            "encrypted and will not be shown again. Next: run a connection test.",
            icon=":material/check_circle:",
        )
        st.page_link(
            "pages/connection_test.py", label="Run a connection test", icon=":material/rule:"
        )
with guide_col:
    _ui.guidance()

st.divider()
st.subheader("Your connections")
conns = core.list_connections(context.db)
if flash := st.session_state.pop("manage.flash", None):
    st.success(flash, icon=":material/check_circle:")
if not conns:
    st.info("No connections yet. Add one with the form above.", icon=":material/info:")
    st.stop()
st.dataframe(_ui.connections_frame(conns, NAMES), hide_index=True, key="connections.table")

by_id = {c.id: c for c in conns}
selected = st.selectbox(
    "Manage connection",
    list(by_id),
    key="manage.id",
    format_func=lambda i: _ui.connection_label(by_id[i]),
)
conn = by_id[selected]
edit_tab, keys_tab, delete_tab = st.tabs(["Edit", "Replace keys", "Delete"])
edit_tab.caption(
    destination_note(NAMES[conn.exchange], conn.api_base_url, conn.proxy, demo=conn.is_demo)
)
with edit_tab, st.form(f"edit.form.{conn.id}"):
    name = st.text_input(
        "Connection name", value=conn.name, max_chars=64, key=f"edit.name.{conn.id}"
    )
    market = st.selectbox(
        "Market",
        list(MARKETS),
        index=list(MARKETS).index(conn.market.value),
        format_func=MARKETS.get,
        key=f"edit.market.{conn.id}",
    )
    base_url = st.text_input(
        "API base URL", value=conn.api_base_url or "", key=f"edit.url.{conn.id}"
    )
    proxy = st.text_input("Proxy", value=conn.proxy or "", key=f"edit.proxy.{conn.id}")
    note = st.text_area("Note", value=conn.note, max_chars=500, key=f"edit.note.{conn.id}")
    if st.form_submit_button("Save changes"):
        try:
            core.update_connection(
                context.db,
                conn.id,
                name=name,
                market=market,
                api_base_url=base_url,
                proxy=proxy,
                note=note,
                vault=vault,
            )
            st.session_state["manage.flash"] = "Changes saved."
            st.rerun()
        except ValidationError as exc:
            _ui.show_problems(exc.problems)

with keys_tab:
    st.caption(
        "Paste the new API Key and Secret Key. The old ones are replaced and the "
        "connection must be tested again."
    )
    with st.form(f"keys.form.{conn.id}"):
        st.text_input("API Key", type="password", key="keys.api_key")
        st.text_input("Secret Key", type="password", key="keys.secret")
        if SUPPORTED[conn.exchange].requires_passphrase:
            st.text_input("Passphrase", type="password", key="keys.passphrase")
        st.form_submit_button("Save new keys", on_click=replace_keys, args=(conn.id,))
    _ui.show_problems(st.session_state.get("keys.problems", {}))

with delete_tab:
    st.warning(
        "Deleting removes the connection, its test history and its strategies from "
        "BackFuture. Also delete the API key on the exchange if you no longer use it.",
        icon=":material/delete:",
    )
    confirm = st.checkbox("I understand, delete this connection", key=f"delete.confirm.{conn.id}")
    if st.button(
        "Delete connection", type="primary", disabled=not confirm, key=f"delete.button.{conn.id}"
    ):
        core.delete_connection(context.db, conn.id)
        st.session_state["manage.flash"] = (
            "Connection deleted. Remember to delete its API key on the exchange too."
        )
        st.rerun()
