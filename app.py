"""BackFuture entrypoint: page config, per-run context, the unlock gate, navigation (or the
page that says why the data cannot be used)."""

import sys

if "sqlite_utils" not in sys.modules and not {"pandas", "numpy"} & set(sys.modules):
    # sqlite-utils imports pandas and numpy (over half a second) only to map their values to
    # column types, which BackFuture never inserts: hide them while it loads, so that pages
    # which do not need them (the empty Overview, Unlock) paint without them. Pages that need
    # pandas import it themselves.
    for name in ("pandas", "numpy"):
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in ("pandas", "numpy"):
            del sys.modules[name]

import streamlit as st

from backfuture_core.errors import StorageError
from pages import _ui
from pages._ui.run_context import startup_problem

# The icon is an emoji: nothing loads from a font CDN (the app must work offline).
st.set_page_config(page_title="BackFuture", page_icon="📈", layout="wide")

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


def locked_pages() -> list[st.Page]:
    """While locked, every page's address shows the unlock page: once unlocked, the session
    stays at the address it asked for (a link to /balances lands on Balances)."""
    paths = [page.url_path for section in PAGES.values() for page in section]
    return [UNLOCK] + [
        st.Page("pages/unlock.py", title="Unlock", icon=":material/lock:", url_path=path)
        for path in paths
        if path  # the default page's address is the unlock page's own
    ]


try:
    try:
        context = _ui.bootstrap()
    except StorageError as exc:
        # The data cannot be used (read-only, full, not BackFuture's...): say so, change nothing.
        navigation = st.navigation([startup_problem(exc)])
    else:
        # Locked (passphrase mode) or a key problem: every address shows the unlock page.
        locked = context.vault is None
        navigation = st.navigation(
            locked_pages() if locked else PAGES, position="hidden" if locked else "sidebar"
        )
    navigation.run()
finally:
    _ui.close()
