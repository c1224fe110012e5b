"""The Overview's parts that need pandas: total value with its history, and the connections
table. Imported only once there is a connection, so the empty Overview paints without pandas."""

from __future__ import annotations

import streamlit as st
from sqlite_utils import Database
from streamlit.delta_generator import DeltaGenerator

from backfuture_core.charts.portfolio import total_value_figure
from backfuture_core.formatting import MISSING, format_money, format_time
from backfuture_core.models import Connection
from backfuture_core.portfolio.accounts import accounts_of, history_per_account
from backfuture_core.portfolio.history import latest_values, value_history
from pages._ui.connections import connections_frame

OVERVIEW_COLUMNS = ["Connection", "Status", "Value", "Exchange", "Market", "Account", "Last tested"]


def overview_value(
    db: Database, conns: list[Connection], value: DeltaGenerator, chart: DeltaGenerator
) -> None:
    """Total value (each exchange account counted once) and, beside it, its history."""
    accounts = accounts_of(db, conns)
    latest = latest_values(db)
    counted = [latest[c.id] for c in conns if c.id in latest and accounts.counts(c.id)]
    total = format_money(sum(counted), "USDT") if counted else MISSING
    value.metric("Total value", total, help="Each exchange account counted once.")
    if not counted:
        value.caption("No balances yet: open the Balances page to fetch them.")
        return
    value.caption(f"{len(counted)} account(s) with balances.")
    history = history_per_account(value_history(db), accounts)
    chart.plotly_chart(total_value_figure(history), key="overview.history")


def overview_table(db: Database, conns: list[Connection], names: dict[str, str]) -> None:
    """Every connection with its status and value, readable (no raw times, no "None")."""
    values = latest_values(db)
    frame = connections_frame(conns, names, values, accounts_of(db, conns).notes())
    frame["Value"] = [
        format_money(values[c.id], "USDT") if c.id in values else MISSING for c in conns
    ]
    frame["Last tested"] = [
        format_time(c.last_tested_at) if c.last_tested_at else "never" for c in conns
    ]
    st.dataframe(frame[OVERVIEW_COLUMNS], hide_index=True, key="overview.table")
