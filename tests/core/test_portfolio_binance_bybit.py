"""Balances and Orders on the Binance and Bybit demo connections, against the sandbox with the
real ccxt clients: the holdings match the sandbox's account, positions and orders are listed."""

from __future__ import annotations

import time

import pytest

from backfuture_core.errors import ExchangeError
from backfuture_core.portfolio.activity import fetch_activity
from backfuture_core.portfolio.holdings import fetch_portfolios
from backfuture_core.sandbox import Sandbox, demo_keys
from backfuture_core.storage.connections import ConnectionForm, add_connection
from backfuture_core.values import DAY_MS

KEYS = {k.label: k for k in demo_keys()}
LABELS = ["Binance Spot Main (demo)", "Bybit Unified Futures (demo)"]


@pytest.fixture(scope="module")
def sb():
    with Sandbox() as sandbox:
        yield sandbox


def connect(db, vault, sb, label):
    key = KEYS[label]
    form = ConnectionForm(
        exchange=key.exchange, name=key.label, api_key=key.api_key, secret=key.secret,
        passphrase=key.passphrase or "", market=key.market, api_base_url=sb.base_url(key.exchange),
    )  # fmt: skip
    return key, add_connection(db, vault, form)


def one(outcomes):
    (outcome,) = outcomes
    if isinstance(outcome, ExchangeError):
        pytest.fail(f"the exchange call failed: {outcome.message}")
    return outcome


@pytest.mark.parametrize("label", LABELS)
def test_balances_match_the_account(db, vault, sb, label):
    key, conn = connect(db, vault, sb, label)
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    world = sb.world.account(key.exchange, key.account)
    spot = portfolio.balances
    held = {a: v for a, v in world.balances.items() if v}
    rows = dict(zip(spot["asset"], spot["total"], strict=True))
    for asset, total in held.items():
        assert rows[asset] >= total * 0.999  # a Unified wallet adds the futures cash to USDT
    assert portfolio.total_usdt > 0


def test_bybit_positions_are_listed(db, vault, sb):
    key, conn = connect(db, vault, sb, "Bybit Unified Futures (demo)")
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    world = sb.world.account(key.exchange, key.account)
    assert len(portfolio.positions) == len(world.positions)


@pytest.mark.parametrize("label", LABELS)
def test_orders_and_fills_are_listed(db, vault, sb, label):
    key, conn = connect(db, vault, sb, label)
    now = int(time.time() * 1000)
    activity = one(fetch_activity(db, vault, [conn], since_ms=now - 30 * DAY_MS, until_ms=now))
    world = sb.world.account(key.exchange, key.account)
    orders = activity.orders
    open_ids = set(orders.loc[orders["status"] == "open", "order_id"])
    assert open_ids == {o.id for o in world.open_orders}
    assert len(orders[orders["status"] != "open"]) > 0
    assert len(activity.trades) > 0


def test_bybit_unified_wallet_is_counted_once(db, vault, sb):
    key, conn = connect(db, vault, sb, "Bybit Unified Futures (demo)")
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    world = sb.world.account(key.exchange, key.account)
    usdt = portfolio.balances[portfolio.balances["asset"] == "USDT"]["total"].sum()
    assert usdt == pytest.approx(world.balances["USDT"] + world.futures_cash)
