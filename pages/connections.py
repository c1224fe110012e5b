"""Connections: add (keys encrypted at once), list, edit, replace keys, delete."""

import streamlit as st

from backfuture_core.exchanges.registry import ROADMAP, SUPPORTED
from backfuture_core.models import Market
from backfuture_core.portfolio.accounts import accounts_of
from backfuture_core.storage import connections as core
from backfuture_core.storage.key_fingerprints import shared_key_warning, shared_keys
from backfuture_core.validation import destination_note
from pages import _ui
from pages._ui.connection_actions import delete, edit_base, replace_keys, save_connection, save_edit

NAMES = {e.id: e.name for e in SUPPORTED.values()}
MARKETS = {m.value: m.label for m in Market}

st.title("Connections")
context = _ui.ctx()
vault = _ui.require_vault()


st.subheader("Your connections")
conns = core.list_connections(context.db)  # read after the callbacks: a rename shows at once
if saved_id := st.session_state.pop("add.saved", None):
    saved = core.get_connection(context.db, saved_id)
    st.success(
        f"Connection saved. API Key {saved.key_hint}; the Secret Key is stored "
        "encrypted and will not be shown again. Next: run a connection test.",
        icon=":material/check_circle:",
    )
    st.page_link("pages/connection_test.py", label="Run a connection test", icon=":material/rule:")
if flash := st.session_state.pop("manage.flash", None):
    st.success(flash, icon=":material/check_circle:")
if error := st.session_state.pop("manage.error", None):  # stale or deleted: our text, no name
    st.error(error, icon=":material/error:")
if conns:
    accounts = accounts_of(context.db, conns).notes()
    st.dataframe(
        _ui.connections_frame(conns, NAMES, accounts=accounts),
        hide_index=True,
        column_config=_ui.connections_column_config(),
        key="connections.table",
    )
    for group in shared_keys(context.db, vault):
        st.warning(shared_key_warning(group), icon=":material/key:")
else:
    st.session_state.pop("manage.shown", None)
    st.info("No connections yet. Add one with the form below.", icon=":material/info:")

with st.expander("Add a connection", expanded=not conns, icon=":material/add_link:"):
    exchange = st.selectbox(
        "Exchange",
        list(NAMES),
        format_func=NAMES.get,
        key="add.exchange",
        help="More exchanges are on the way: " + ", ".join(ROADMAP) + ".",
    )
    needs_passphrase = SUPPORTED[exchange].requires_passphrase
    with st.form("add.form"):
        # No max_chars: an over-long paste is kept and refused with its length, never cut.
        st.text_input("Connection name", key="add.name", placeholder="e.g. MEXC Spot Main")
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
    st.divider()
    _ui.guidance()

if not conns:
    st.stop()
st.subheader("Manage a connection")
by_id = {c.id: c for c in conns}
if not error and (gone := _ui.deleted_since_shown("manage.shown", by_id)):
    _ui.show_gone(gone, "Nothing was changed.")
selected = st.selectbox(
    "Manage connection",
    list(by_id),
    key="manage.id",
    format_func=lambda i: _ui.connection_label(by_id[i]),
)
conn = by_id[selected]
_ui.remember_shown("manage.shown", conn)
if f"edit.name.{conn.id}" not in st.session_state:  # the form is built now, from this version
    st.session_state[f"edit.base.{conn.id}"] = edit_base(conn)
edit_tab, keys_tab, delete_tab = st.tabs(["Edit", "Replace keys", "Delete"])
edit_tab.caption(
    destination_note(NAMES[conn.exchange], conn.api_base_url, conn.proxy, demo=conn.is_demo)
)
with edit_tab:
    with st.form(f"edit.form.{conn.id}"):
        st.text_input("Connection name", value=conn.name, key=f"edit.name.{conn.id}")
        st.selectbox(
            "Market",
            list(MARKETS),
            index=list(MARKETS).index(conn.market.value),
            format_func=MARKETS.get,
            key=f"edit.market.{conn.id}",
        )
        st.text_input("API base URL", value=conn.api_base_url or "", key=f"edit.url.{conn.id}")
        st.text_input("Proxy", value=conn.proxy or "", key=f"edit.proxy.{conn.id}")
        st.text_area("Note", value=conn.note, max_chars=500, key=f"edit.note.{conn.id}")
        st.form_submit_button("Save changes", on_click=save_edit, args=(conn.id,))
    _ui.show_problems(st.session_state.pop("edit.problems", {}))

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
        st.form_submit_button("Save new keys", on_click=replace_keys, args=(conn.id, conn.version))
    _ui.show_problems(st.session_state.get("keys.problems", {}))

with delete_tab:
    st.warning(
        "Deleting removes the connection, its test history and its strategies from "
        "BackFuture. Also delete the API key on the exchange if you no longer use it.",
        icon=":material/delete:",
    )
    confirm = st.checkbox("I understand, delete this connection", key=f"delete.confirm.{conn.id}")
    st.button(
        "Delete connection",
        type="primary",
        disabled=not confirm,
        key=f"delete.button.{conn.id}",
        on_click=delete,
        args=(conn.id, conn.version),
    )
