"""Unlock page: every new browser session starts here in passphrase mode."""

import streamlit as st

from backfuture_core.errors import BackfutureError, VaultLocked, WrongMasterKey
from backfuture_core.security.vault import open_vault
from pages import _ui

WRONG_PASSPHRASE = "Wrong master passphrase: BackFuture stayed locked and nothing was changed."  # noqa: S105

st.title("Unlock BackFuture")
context = _ui.ctx()


def unlock() -> None:
    passphrase = st.session_state.get("unlock.passphrase", "")
    st.session_state["unlock.passphrase"] = ""  # never keep the passphrase in session state
    try:
        with _ui.callback_db() as db:
            st.session_state["vault"] = open_vault(db, st.session_state["settings"], passphrase)
        st.session_state.pop("unlock.error", None)
    except WrongMasterKey:
        st.session_state["unlock.error"] = WRONG_PASSPHRASE
    except BackfutureError as exc:
        st.session_state["unlock.error"] = str(exc)


if context.mode == "passphrase":
    st.write("Your saved API keys are encrypted with your master passphrase.")
    with st.form("unlock.form"):
        st.text_input("Master passphrase", type="password", key="unlock.passphrase")
        st.form_submit_button("Unlock", type="primary", on_click=unlock)
    if message := st.session_state.get("unlock.error"):
        st.error(message, icon=":material/error:")
elif context.vault_error and not isinstance(context.vault_error, VaultLocked):
    _ui.show_error(context.vault_error)
    st.info(f"Keyfile location: {context.settings.keyfile_path}")
