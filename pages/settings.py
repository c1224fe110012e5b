"""Settings: security mode (keyfile or master passphrase), lock, and where the data lives."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from backfuture_core import demo
from backfuture_core.errors import BackfutureError
from backfuture_core.formatting import MISSING, format_time
from backfuture_core.security import vault as vaults
from backfuture_core.storage.database import audit_log
from pages import _ui

st.title("Settings")
context = _ui.ctx()
_ui.require_vault()
passphrase_mode = context.mode == "passphrase"


def change_security(action: str) -> None:
    state = st.session_state
    fields = ("sec.current", "sec.new", "sec.confirm")
    current, new, confirm = (state.get(k, "") for k in fields)
    for key in fields:
        state[key] = ""  # passphrases never stay in session state
    try:
        if action != "remove" and new != confirm:
            state["sec.message"] = ("error", "The two new passphrases do not match.")
            return
        with _ui.callback_db() as db:
            vault = _ui.callback_vault(db)
            if action == "remove":
                vaults.remove_passphrase(db, state["settings"], vault, current)
                state.pop("vault", None)
            else:
                vaults.set_passphrase(db, state["settings"], vault, new, current or None)
                state["vault"] = vault
        done = {
            "set": "Master passphrase set.",
            "change": "Master passphrase changed.",
            "remove": "Master passphrase removed; the keyfile protects your keys.",
        }
        state["sec.message"] = ("success", done[action])
    except BackfutureError as exc:
        state["sec.message"] = ("error", str(exc))


st.subheader("Security")
if passphrase_mode:
    st.write("Mode: **master passphrase**. Every new browser session starts locked.")
    if st.button("Lock now", icon=":material/lock:", key="sec.lock"):
        st.session_state.pop("vault", None)
        st.rerun()
else:
    st.write(
        "Mode: **keyfile**. Keys are encrypted with a key stored apart from the database. "
        "This protects copies of the database, not this computer; set a master passphrase "
        "to require it at every new session."
    )

action = st.radio(
    "Passphrase",
    ["change", "remove"] if passphrase_mode else ["set"],
    format_func={
        "set": "Set a master passphrase",
        "change": "Change the master passphrase",
        "remove": "Remove the master passphrase",
    }.get,
    key="sec.action",
    horizontal=True,
)
with st.form("sec.form"):
    if passphrase_mode:
        st.text_input("Current passphrase", type="password", key="sec.current")
    if action != "remove":
        st.text_input(
            "New passphrase",
            type="password",
            key="sec.new",
            help="At least 12 characters. It cannot be recovered if lost.",
        )
        st.text_input("Repeat new passphrase", type="password", key="sec.confirm")
    st.form_submit_button("Apply", on_click=change_security, args=(action,))
if message := st.session_state.pop("sec.message", None):
    (st.success if message[0] == "success" else st.error)(message[1])

st.subheader("Where your data lives")
st.dataframe(
    pd.DataFrame(
        [
            ("Data folder", str(context.settings.data_dir)),
            ("Database", str(context.settings.db_path)),
            ("Keyfile", str(context.settings.keyfile_path)),
        ],
        columns=["Item", "Path"],
    ),
    hide_index=True,
    key="settings.paths",
)
st.caption("Back up the database and the keyfile separately; either alone cannot reveal keys.")

st.subheader("Exchanges")
st.number_input(
    "Exchange deadline (seconds)", min_value=0.5, max_value=60.0, step=0.5,
    value=context.settings.exchange_deadline_s, key="settings.exchange_deadline",
    on_change=lambda: st.session_state.update(settings=replace(
        st.session_state["settings"], exchange_deadline_s=st.session_state["settings.exchange_deadline"]
    )),
    help="How long a page waits for an exchange before it shows that connection as not "
    "answering, with its last good data (BACKFUTURE_EXCHANGE_DEADLINE_S sets the default).",
)  # fmt: skip

st.subheader("Demo")
_ui.demo_flash()
if demo.has_demo(context.db):
    st.write("Demo connections use BackFuture's built-in sandbox exchange; no real funds.")
    if st.button("Remove demo connections", icon=":material/delete:", key="settings.remove_demo"):
        st.session_state["settings.confirm_remove"] = True
    if st.session_state.get("settings.confirm_remove"):
        connections, strategies = demo.demo_counts(context.db)
        saved = (
            f" and the {strategies} strategies saved on them (a strategy belongs to its connection)"
            if strategies
            else " (no strategy is saved on them)"
        )
        st.warning(
            f"Remove {connections} demo connections{saved}? Your own connections are kept.",
            icon=":material/delete:",
        )
        yes, cancel = st.columns(2)
        if yes.button("Yes, remove them", type="primary", key="settings.remove_demo_confirm"):
            st.session_state.pop("settings.confirm_remove", None)
            removed = demo.remove_demo(context.db)
            st.session_state["demo.flash"] = f"{removed} demo connections removed."
            st.rerun()
        if cancel.button("Cancel", key="settings.remove_demo_cancel"):
            st.session_state.pop("settings.confirm_remove", None)
            st.rerun()
else:
    st.write("Add demo connections to explore every page offline, with a sandbox exchange.")
    _ui.start_demo_button("settings.start_demo")

st.subheader("Activity")
log = audit_log(context.db, limit=50)
if log:
    rows = [
        {"When": format_time(e["at"], seconds=True), "Action": e["action"].capitalize(),
         "Detail": e["detail"] or MISSING}
        for e in log
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="settings.log")
else:
    st.caption("No activity yet.")
