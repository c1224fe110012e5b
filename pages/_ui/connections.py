"""Connections as pages show them: labels, the connections table, the connection picker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st
from sqlite_utils import Database
from streamlit.delta_generator import DeltaGenerator

from backfuture_core import demo
from backfuture_core.formatting import format_time
from backfuture_core.models import Connection
from backfuture_core.portfolio.accounts import accounts_of
from backfuture_core.security.vault import Vault
from backfuture_core.storage.connections import list_connections
from backfuture_core.storage.key_fingerprints import shared_key_warnings
from pages._ui.status import status_cell

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "Connection",
    "Exchange",
    "Market",
    "API Key",
    "Status",
    "Demo",
    "Last tested",
    "Created",
    "Updated",
]


def exchange_connections(db: Database) -> dict[int, Connection]:
    """The saved connections by id, ready for exchange work (demo ones pointed at the sandbox)."""
    return {c.id: c for c in demo.resolved(list_connections(db))}


def connection_label(conn: Connection) -> str:
    """Names are user text: this is used only where Streamlit shows plain text (options)."""
    return f"{conn.name} (demo)" if conn.is_demo and "(demo" not in conn.name else conn.name


def connections_frame(
    conns: list[Connection],
    exchange_names: dict[str, str],
    values: dict[int, float] | None = None,
    accounts: dict[int, str] | None = None,
) -> pd.DataFrame:
    """One row per connection; with `values` (id -> USDT), a "Value (USDT)" column after Status;
    with `accounts` (id -> note, `Accounts.notes`), an "Account" column before Demo."""
    import pandas as pd  # lazy: the empty Overview paints without pandas

    rows = [
        [
            connection_label(c),
            exchange_names.get(c.exchange, c.exchange),
            c.market.label,
            c.key_hint,
            status_cell(c.status),
            c.is_demo,
            format_time(c.last_tested_at) if c.last_tested_at else "never",
            format_time(c.created_at),
            format_time(c.updated_at),
        ]
        for c in conns
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if values is not None:
        frame.insert(5, "Value (USDT)", [values.get(c.id, float("nan")) for c in conns])
    if accounts is not None:
        frame.insert(
            frame.columns.get_loc("Demo"), "Account", [accounts.get(c.id, "") for c in conns]
        )
    return frame


def connections_column_config() -> dict[str, Any]:
    """How `connections_frame`'s columns show: the status first among equals, with its legend."""
    return {
        "Connection": st.column_config.TextColumn("Connection", pinned=True),
        "Status": st.column_config.TextColumn(
            "Status",
            help="🟢 Online · 🟠 Warning · 🔴 Unsafe or Failed · ⚪ Untested",
        ),
        "Value (USDT)": st.column_config.NumberColumn("Value (USDT)", format="localized"),
    }


def connection_notes(db: Database, vault: Vault, conn: Connection, conns: list[Connection]) -> None:
    """Under a connection's name: its exchange account among `conns`, and a shared API Key."""
    if note := accounts_of(db, conns).note(conn.id):
        st.caption(note[0].upper() + note[1:] + ".")
    if warning := shared_key_warnings(db, vault).get(conn.id):
        st.warning(warning, icon=":material/key:")


def portfolio_targets(
    conns: dict[int, Connection], column: DeltaGenerator, key: str
) -> list[Connection]:
    """The "All connections" or one-connection picker of Balances and Orders; empty state first.

    `column` is where the picker goes, e.g. one of `st.columns`.
    """
    if not conns:
        st.info(
            "Add a connection first, or start the demo on the Overview.", icon=":material/link:"
        )
        st.stop()
    choice = column.selectbox(
        "Connection",
        [0, *conns],
        key=key,
        format_func=lambda i: "All connections" if i == 0 else connection_label(conns[i]),
    )
    return list(conns.values()) if choice == 0 else [conns[choice]]
