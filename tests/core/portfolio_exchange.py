"""Balances and Orders on one exchange's demo connections against the sandbox, as tests a
module imports (pytest collects them there) after setting the ``exchange`` fixture: the
healthy spot demo key and the futures demo key of that exchange."""

from __future__ import annotations

import time

import pytest

from backfuture_core.config import Settings
from backfuture_core.portfolio.activity import fetch_activity
from backfuture_core.portfolio.holdings import fetch_portfolios
from backfuture_core.portfolio.results import Activity, Portfolio
from backfuture_core.sandbox import Sandbox, demo_keys
from backfuture_core.security.vault import open_vault
from backfuture_core.storage.connections import ConnectionForm, add_connection
from backfuture_core.storage.database import open_db
from backfuture_core.values import DAY_MS
from tests.conftest import FAST_KDF

KEYS = {k.label.removesuffix(" (demo)"): k for k in demo_keys()}


@pytest.fixture(scope="module")
def sb():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def saved(tmp_path, sb, exchange):
    """A database with the exchange's spot and futures demo keys saved as connections."""
    settings = Settings(data_dir=tmp_path / "data", key_dir=tmp_path / "keys", kdf=FAST_KDF)
    db = open_db(settings.db_path)
    vault = open_vault(db, settings)
    conns = []
    for label in (f"{exchange} Spot Main", f"{exchange} Futures"):
        key = KEYS[label]
        form = ConnectionForm(
            exchange=key.exchange, name=key.label, api_key=key.api_key, secret=key.secret,
            passphrase=key.passphrase or "", market=key.market,
            api_base_url=sb.base_url(key.exchange),
        )  # fmt: skip
        conns.append(add_connection(db, vault, form))
    yield db, vault, conns
    db.close()


def test_balances_are_valued_and_futures_positions_shown(saved):
    db, vault, conns = saved
    spot, futures = fetch_portfolios(db, vault, conns)
    assert isinstance(spot, Portfolio), spot
    assert isinstance(futures, Portfolio), futures
    assets = set(spot.balances["asset"])
    assert {"USDT", "BTC", "ETH"} <= assets
    assert spot.total_usdt > 10_000
    assert "ZZZ" in spot.unpriced  # held, listed nowhere
    assert len(futures.positions) == 3
    assert futures.total_usdt > spot.total_usdt / 10


def test_orders_and_fills_of_the_last_week(saved):
    db, vault, conns = saved
    now = int(time.time() * 1000)
    spot, futures = fetch_activity(
        db, vault, conns, since_ms=now - 7 * DAY_MS, until_ms=now, pairs=["BTC/USDT", "ETH/USDT"]
    )
    assert isinstance(spot, Activity), spot
    assert len(spot.orders) >= 5  # the five open orders at least
    assert not spot.trades.empty
    assert isinstance(futures, Activity), futures
