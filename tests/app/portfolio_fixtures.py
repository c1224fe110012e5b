"""Shared setup of the Balances and Orders page tests: the demo connections and opening a page
on one of them (or on all)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from backfuture_core.demo import start_demo
from backfuture_core.storage.connections import list_connections
from tests.app.conftest import open_page

KUCOIN, MEXC_MAIN = "KuCoin Futures Conservative (demo)", "MEXC Spot Main (demo)"
WRONG_IP = "MEXC Wrong IP (demo)"


@pytest.fixture
def ids(app, db, vault) -> dict[str, int]:
    """Demo connections by name (the app's database is the test's `db`)."""
    start_demo(db, vault)
    return {c.name: c.id for c in list_connections(db)}


def open_on(app: AppTest, page: str, connection_id: int | None = None) -> AppTest:
    """`page` ("balances", "orders"), on one connection (None: all connections, the default)."""
    if connection_id is not None:
        app.session_state[f"{page}.connection"] = connection_id
    at = open_page(app, page)
    assert not at.exception
    return at
