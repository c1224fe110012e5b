"""Shared setup of the Balances and Orders page tests: the demo connections and opening a page
on one of them (or on all)."""

from __future__ import annotations

from dataclasses import replace

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


# Generous for a loaded machine; the dead-exchange tests inject a short one.
DEADLINE_S = 30.0


def with_deadline(app: AppTest, seconds: float) -> AppTest:
    """The session's settings with `seconds` as the exchange deadline (as the environment's
    BACKFUTURE_EXCHANGE_DEADLINE_S would set it)."""
    app.session_state["settings"] = replace(
        app.session_state["settings"], exchange_deadline_s=seconds
    )
    return app


def waiting(at: AppTest) -> bool:
    return any(c.value.startswith("Waiting for an answer") for c in at.caption)


def settled(at: AppTest) -> AppTest:
    """The page once every answer is in: a run after the first paint waits for the answers
    still out, up to the deadline (the browser's page polls for them instead)."""
    return at.run() if waiting(at) else at


def open_on(
    app: AppTest,
    page: str,
    connection_id: int | None = None,
    *,
    deadline_s: float = DEADLINE_S,
    settle: bool = True,
) -> AppTest:
    """`page` ("balances", "orders"), on one connection (None: all connections, the default),
    with every answer in (unless not `settle`)."""
    with_deadline(app, deadline_s)
    if connection_id is not None:
        app.session_state[f"{page}.connection"] = connection_id
    at = open_page(app, page)
    assert not at.exception
    return settled(at) if settle else at
