"""Shared setup of the Balances and Orders page tests: the demo connections and opening a page
on one of them (or on all)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from backfuture_core.demo import start_demo
from backfuture_core.sandbox import demo_keys, shared_sandbox
from backfuture_core.storage.connections import ConnectionForm, add_connection, list_connections
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


# --- One dead exchange, one malformed answer ---------------------------------------------------

DEAD = "Dead Exchange"
# Its category: not reached by the page's deadline, or its own call timed out just before.
NOT_ANSWERING = ("Exchange not reached", "Exchange unavailable")
MEXC_FUTURES = "MEXC Futures (demo)"


@pytest.fixture
def dead_url():
    """A loopback listener that accepts connections (the kernel completes the handshake) and
    never answers: an exchange that cannot be reached in time."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def add_user_connection(db, vault, label: str, name: str, base_url: str) -> int:
    """A user connection with the demo key `label`'s values, at `base_url`."""
    key = next(k for k in demo_keys() if k.label == label)
    form = ConnectionForm(
        exchange=key.exchange, name=name, api_key=key.api_key, secret=key.secret,
        passphrase=key.passphrase or "", market=key.market, api_base_url=base_url,
    )  # fmt: skip
    return add_connection(db, vault, form).id


@pytest.fixture
def malformed(ids, db, vault):
    """The demo connections plus a MEXC futures one whose every answer is malformed JSON."""
    key = next(k for k in demo_keys() if k.label == MEXC_FUTURES)
    sandbox = shared_sandbox()
    conn_id = add_user_connection(db, vault, MEXC_FUTURES, "Broken", sandbox.base_url("mexc"))
    sandbox.set_fault("malformed_json", key=key.api_key)
    yield conn_id
    sandbox.clear_faults()
