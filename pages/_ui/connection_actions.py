"""The Connections page's actions, run as widget callbacks before the page: add, edit (only
the fields changed, on the version the form showed), replace keys and delete. Secrets leave
session state as soon as they are stored or refused."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from backfuture_core.errors import BackfutureError, ValidationError
from backfuture_core.models import Connection
from backfuture_core.storage import connections as core
from pages._ui.run_context import callback_db, callback_vault

EDIT_KEYS = {"name": "edit.name", "market": "edit.market", "api_base_url": "edit.url",
             "proxy": "edit.proxy", "note": "edit.note"}  # fmt: skip


def save_connection() -> None:
    state = st.session_state
    fields = {
        f.name: state.get(f"add.{f.name}") or "" for f in dataclasses.fields(core.ConnectionForm)
    }
    try:
        with callback_db() as db:
            saved = core.add_connection(db, callback_vault(db), core.ConnectionForm(**fields))
    except BackfutureError as exc:
        state["add.problems"] = getattr(exc, "problems", {"Save connection": str(exc)})
        return
    # Saved: empty the secret fields (and the rest), so nothing typed stays in session state.
    for key in fields:
        if key not in ("exchange", "market"):
            state[f"add.{key}"] = ""
    state["add.problems"] = {}
    state["add.saved"] = saved.id


def _failed(exc: BackfutureError, problems_key: str) -> None:
    """A form's problems beside it; a stale or deleted connection above the tabs."""
    if isinstance(exc, ValidationError):
        st.session_state[problems_key] = exc.problems
    else:
        st.session_state["manage.error"] = str(exc)


def edit_base(conn: Connection) -> dict[str, Any]:
    """What the edit form was built from: its fields and the version they came from."""
    return {"version": conn.version, "name": conn.name, "market": conn.market.value,
            "api_base_url": conn.api_base_url or "", "proxy": conn.proxy or "", "note": conn.note}  # fmt: skip


def save_edit(conn_id: int) -> None:
    state = st.session_state
    base = state[f"edit.base.{conn_id}"]
    typed = {field: state.get(f"{key}.{conn_id}", "") for field, key in EDIT_KEYS.items()}
    changed = {field: value for field, value in typed.items() if value != base[field]}
    try:  # only what the user changed is written, and only onto the version the form showed
        with callback_db() as db:
            vault = callback_vault(db)  # a new address re-binds the keys
            saved = core.update_connection(
                db, conn_id, version=base["version"], vault=vault, **changed
            )
    except BackfutureError as exc:
        return _failed(exc, "edit.problems")
    state[f"edit.base.{conn_id}"] = edit_base(saved)
    state["edit.problems"] = {}
    state["manage.flash"] = "Changes saved."


def replace_keys(conn_id: int, version: int) -> None:
    state = st.session_state
    values = {k: state.get(f"keys.{k}", "") for k in ("api_key", "secret", "passphrase")}
    for k in values:
        state[f"keys.{k}"] = ""  # the secrets leave session state whatever happens next
    try:
        with callback_db() as db:
            core.replace_keys(db, callback_vault(db), conn_id, version=version, **values)
        state["keys.problems"] = {}
        state["manage.flash"] = "New keys saved. Run a connection test."
    except BackfutureError as exc:
        _failed(exc, "keys.problems")


def delete(conn_id: int, version: int) -> None:
    try:
        with callback_db() as db:
            core.delete_connection(db, conn_id, version=version)
    except BackfutureError as exc:
        return _failed(exc, "")
    st.session_state.pop("manage.shown", None)  # deleted here: not "deleted in another tab"
    st.session_state["manage.flash"] = (
        "Connection deleted. Remember to delete its API key on the exchange too."
    )
