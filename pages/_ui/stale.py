"""Stale tabs: a picked connection that another tab deleted, and notices about it.

A picker whose chosen connection disappears falls back to another one without a word; the
pages remember what they showed last (`remember_shown`) so that the next run can say that the
connection is gone (`deleted_since_shown`) instead of acting on a different one.
"""

from __future__ import annotations

import streamlit as st

from backfuture_core.models import Connection


def remember_shown(key: str, conn: Connection) -> None:
    """Remember the connection this run showed under `key` (its id and name)."""
    st.session_state[key] = (conn.id, conn.name)


def deleted_since_shown(key: str, current: dict[int, Connection]) -> str | None:
    """The name of the connection shown last under `key` when it is no longer in `current`."""
    shown = st.session_state.get(key)
    if shown is None or shown[0] in current:
        return None
    return str(shown[1])


def show_gone(name: str, consequence: str) -> None:
    """Say that connection `name` was deleted elsewhere; names are user text, so plain text."""
    with st.container(border=True):
        st.warning(
            f"This connection was deleted in another tab or window. {consequence}",
            icon=":material/warning:",
        )
        st.text(name)
