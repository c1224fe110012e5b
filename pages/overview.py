"""Overview: the connection summary, or how to get started when there is none."""

import streamlit as st

from backfuture_core.exchanges.registry import SUPPORTED
from backfuture_core.portfolio import history as portfolio
from backfuture_core.portfolio.accounts import accounts_of
from backfuture_core.storage import connections as core
from pages import _ui

NAMES = {e.id: e.name for e in SUPPORTED.values()}

st.title("BackFuture")
st.caption(
    "Your exchange accounts, connected through limited API keys. Funds never leave the exchange."
)
context = _ui.ctx()
_ui.require_vault()  # a locked session sees no connection (app.py's gate holds here too)
conns = core.list_connections(context.db)
_ui.demo_flash()

if not conns:
    st.subheader("Connect your first exchange")
    st.write(
        "BackFuture works through an exchange connection via API: your funds stay on the "
        "exchange, and BackFuture receives only the permissions you grant the API key."
    )
    st.page_link("pages/connections.py", label="Add a connection", icon=":material/add_link:")
    st.write(
        "No exchange at hand? The demo adds connections to BackFuture's built-in sandbox "
        "exchange, so every page works offline and each test outcome can be seen."
    )
    _ui.start_demo_button("overview.start_demo")
    _ui.guidance()
    st.stop()

counts = {s: sum(c.status == s for c in conns) for s in _ui.STATUS_BADGES}
columns = st.columns(len(counts))
for column, (status, count) in zip(columns, counts.items(), strict=True):
    column.metric(_ui.STATUS_BADGES[status][0], count)
st.dataframe(
    _ui.connections_frame(
        conns, NAMES, portfolio.latest_values(context.db), accounts_of(context.db, conns).notes()
    ),
    hide_index=True,
    key="overview.table",
    column_config={"Value (USDT)": st.column_config.NumberColumn(format="%.2f")},
)
st.caption("Values are from each connection's latest balance refresh (Balances page).")
