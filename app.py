"""BackFuture entrypoint: page config, per-run context, the unlock gate, navigation (or the
page that says why the data cannot be used)."""

import streamlit as st

from backfuture_core.errors import StorageError
from pages import _ui
from pages._ui.run_context import startup_problem

st.set_page_config(page_title="BackFuture", page_icon=":material/insights:", layout="wide")

PAGES = {
    "Dashboard": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    ],
    "Exchange accounts": [
        st.Page("pages/connections.py", title="Connections", icon=":material/link:"),
        st.Page("pages/connection_test.py", title="Connection test", icon=":material/rule:"),
    ],
    "Portfolio": [
        st.Page("pages/balances.py", title="Balances", icon=":material/account_balance_wallet:"),
        st.Page("pages/orders.py", title="Orders", icon=":material/receipt_long:"),
    ],
    "Strategy": [st.Page("pages/strategy.py", title="Strategy", icon=":material/tune:")],
    "Settings": [
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
}
UNLOCK = st.Page("pages/unlock.py", title="Unlock", icon=":material/lock:")

try:
    try:
        context = _ui.bootstrap()
    except StorageError as exc:
        # The data cannot be used (read-only, full, not BackFuture's...): say so, change nothing.
        navigation = st.navigation([startup_problem(exc)])
    else:
        # Locked (passphrase mode) or a key problem: the unlock page is the only page.
        navigation = st.navigation([UNLOCK] if context.vault is None else PAGES)
    navigation.run()
finally:
    _ui.close()
