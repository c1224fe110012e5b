"""Overview, the home page: total value and its history, every connection's status with one
"Test all", and the next step for the state the user is in (or how to get started)."""

import streamlit as st

from backfuture_core.exchanges.registry import SUPPORTED
from backfuture_core.models import Status
from backfuture_core.storage import connections as core
from pages import _ui

NAMES = {e.id: e.name for e in SUPPORTED.values()}
ATTENTION = (Status.UNSAFE, Status.FAILED, Status.WARNING)

st.title("BackFuture")
st.caption(
    "Your exchange accounts, connected through limited API keys. Funds never leave the exchange."
)
context = _ui.ctx()
vault = _ui.require_vault()  # a locked session sees no connection (app.py's gate holds here too)
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


def test_all() -> None:
    """Run every saved connection's test (as the Connection test page does)."""
    from backfuture_core.diagnostics.saved import run_saved  # lazy: ccxt loads on first test

    targets = list(_ui.exchange_connections(context.db).values())
    with st.status(f"Testing {len(targets)} connection(s)…", expanded=False) as progress:
        outcomes = list(run_saved(context.db, vault, targets))  # one failure stops no other
        unsaved = sum(not o.saved for o in outcomes)
        progress.update(
            label=f"Tested {len(outcomes)} connection(s)."
            + (f" {unsaved} result(s) could not be saved." if unsaved else ""),
            state="error" if unsaved else "complete",
        )


value, history = st.columns([1, 2])
run_tests = st.button(
    f"Test all {len(conns)} connections",
    icon=":material/rule:",
    key="overview.test_all",
    type="primary" if any(c.status == Status.UNTESTED for c in conns) else "secondary",
)
if run_tests:
    test_all()
    conns = core.list_connections(context.db)

from pages._ui.home import overview_table, overview_value  # noqa: E402 - pandas, once needed

overview_value(context.db, conns, value, history)

by_status = {s: [c for c in conns if c.status == s] for s in _ui.STATUS_BADGES}
badges = st.columns(len(by_status))
for column, (status, members) in zip(badges, by_status.items(), strict=True):
    label, color, icon = _ui.STATUS_BADGES[status]
    column.markdown(f":{color}-badge[{icon} {label}] **{len(members)}**")

st.subheader("Next step")
for conn in by_status[Status.UNSAFE]:  # names are user text: plain text, never markdown
    st.text(_ui.connection_label(conn))
    _ui.unsafe_banner(conn)
if attention := [c for s in ATTENTION for c in by_status[s]]:
    st.warning(f"{len(attention)} connection(s) need attention:", icon=":material/warning:")
    st.text("\n".join(f"{_ui.connection_label(c)}: {c.status.label}" for c in attention))
    st.page_link(
        "pages/connection_test.py",
        label="See what to fix on Connection test",
        icon=":material/rule:",
    )
elif by_status[Status.UNTESTED]:
    st.info(
        f"{len(by_status[Status.UNTESTED])} connection(s) not tested yet: press "
        f"'Test all {len(conns)} connections' to check each key's permissions.",
        icon=":material/info:",
    )
else:
    st.success("Every connection is online.", icon=":material/check_circle:")
    st.page_link(
        "pages/balances.py", label="See your balances", icon=":material/account_balance_wallet:"
    )

overview_table(context.db, conns, NAMES)
st.caption(
    "Values are from each connection's latest balance refresh (Balances page); "
    "the total counts each exchange account once."
)
