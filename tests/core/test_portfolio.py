"""Portfolio: balances, valuation, positions, orders and the caches, end to end against the
sandbox exchange over loopback with the real ccxt clients (plus the pure helpers)."""

from __future__ import annotations

import json
import math
import socket
import time
import urllib.request

import pandas as pd
import pytest

from backfuture_core.config import Settings
from backfuture_core.errors import ExchangeError, page_message
from backfuture_core.exchanges.mexc import swap_balance
from backfuture_core.exchanges.paging import Paging
from backfuture_core.market_data import markets as market_cache
from backfuture_core.portfolio.activity import fetch_activity
from backfuture_core.portfolio.background import Wait
from backfuture_core.portfolio.balances_view import balance_table, refresh_balances
from backfuture_core.portfolio.export import csv_bytes
from backfuture_core.portfolio.fetch import fetch_each
from backfuture_core.portfolio.history import latest_values, value_history
from backfuture_core.portfolio.holdings import fetch_portfolios
from backfuture_core.portfolio.orders_view import filter_orders, refresh_orders
from backfuture_core.portfolio.paging import page_through
from backfuture_core.portfolio.results import Activity, Portfolio
from backfuture_core.portfolio.rows import (
    BALANCE_COLUMNS,
    ORDER_COLUMNS,
    POSITION_COLUMNS,
    TABLE_COLUMNS,
    balance_rows,
    liquidation_distance_pct,
    order_rows,
    position_rows,
)
from backfuture_core.portfolio.valuation import (
    NO_PRICE,
    PRICED_BTC,
    PRICED_STABLE,
    PRICED_USDT,
    usdt_prices,
    valuation_symbols,
)
from backfuture_core.sandbox import DemoKey, Sandbox, demo_keys
from backfuture_core.security.vault import open_vault
from backfuture_core.session_cache import ResultCache, keep_last_good
from backfuture_core.storage.connections import ConnectionForm, add_connection
from backfuture_core.storage.database import now_iso, open_db, write
from backfuture_core.values import DAY_MS
from tests.conftest import FAST_KDF

KEYS = {k.label: k for k in demo_keys()}
MEXC_MAIN, KUCOIN_MAIN = "MEXC Spot Main (demo)", "KuCoin Spot Read Only (demo)"
MEXC_FUTURES, KUCOIN_FUTURES = "MEXC Futures (demo)", "KuCoin Futures Conservative (demo)"
MARKETS_PATHS = {"mexc": "/api/v3/exchangeInfo", "kucoin": "/api/v2/symbols"}
TICKER_PATHS = {"mexc": "/api/v3/ticker/24hr", "kucoin": "/api/v1/market/allTickers"}


def extra_key(exchange: str, account: str) -> DemoKey:
    """A read-only key on one of the accounts no demo key uses ("empty", "zero")."""
    perms = ("SPOT_ACCOUNT_READ", "SPOT_DEAL_READ") if exchange == "mexc" else ("General",)
    api_key = f"mx0vglTEST0{account.upper():0<14}" if exchange == "mexc" else f"{account}0" * 4
    return DemoKey(
        f"{exchange} {account}", exchange, api_key, f"test-{exchange}-{account}-secret",
        "test-passphrase" if exchange == "kucoin" else None, perms, (), "spot", account,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sb():
    with Sandbox() as sandbox:
        for exchange in ("mexc", "kucoin"):
            for account in ("empty", "zero"):
                sandbox.add_key(extra_key(exchange, account))
        yield sandbox


@pytest.fixture(autouse=True)
def clean_sandbox(request):
    if "sb" in request.fixturenames:
        sandbox = request.getfixturevalue("sb")
        sandbox.clear_faults()
        sandbox.clear_requests()


@pytest.fixture(scope="module")
def market_rows(sb, tmp_path_factory):
    """The sandbox's market lists, downloaded once per module: ccxt spaces MEXC calls after
    its 100-weight contract list by seconds, which every test would otherwise wait for."""
    root = tmp_path_factory.mktemp("markets")
    settings = Settings(data_dir=root / "data", key_dir=root / "keys", kdf=FAST_KDF)
    db = open_db(settings.db_path)
    vault = open_vault(db, settings)
    conns = [connect(db, vault, sb, KEYS[label]) for label in (MEXC_FUTURES, KUCOIN_FUTURES)]
    for outcome in fetch_portfolios(db, vault, conns):
        assert isinstance(outcome, Portfolio)
    rows = db.execute("SELECT cache_key, fetched_at, body FROM market_cache").fetchall()
    db.close()
    return rows


@pytest.fixture
def markets(db, market_rows):
    """This test's database starts with the module's market lists cached."""
    with write(db):
        db.conn.executemany("INSERT OR REPLACE INTO market_cache VALUES (?, ?, ?)", market_rows)


def connect(db, vault, sb: Sandbox, key: DemoKey, name: str | None = None):
    form = ConnectionForm(
        exchange=key.exchange,
        name=name or key.label,
        api_key=key.api_key,
        secret=key.secret,
        passphrase=key.passphrase or "",
        market=key.market,
        api_base_url=sb.base_url(key.exchange),
    )
    return add_connection(db, vault, form)


def one(outcomes):
    (outcome,) = outcomes
    if isinstance(outcome, ExchangeError):
        pytest.fail(f"the exchange call failed: {outcome.message}")
    return outcome


def sandbox_usdt_prices(sb: Sandbox, exchange: str) -> dict[str, float]:
    """The sandbox's own ticker prices, asked for directly (not through ccxt)."""
    if exchange == "mexc":
        url = sb.base_url("mexc") + "/api/v3/ticker/price"
        with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback only
            rows = json.loads(reply.read())
        return {r["symbol"][:-4]: float(r["price"]) for r in rows if r["symbol"].endswith("USDT")}
    url = sb.base_url("kucoin") + "/api/v1/market/allTickers"
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback only
        rows = json.loads(reply.read())["data"]["ticker"]
    return {r["symbol"][:-5]: float(r["last"]) for r in rows if r["symbol"].endswith("-USDT")}


def requests_to(sb: Sandbox, path: str) -> list:
    return [r for r in sb.requests if r.path == path]


# --- Balances and valuation --------------------------------------------------------------------


@pytest.mark.parametrize("label", [MEXC_MAIN, KUCOIN_MAIN])
def test_balances_are_valued_from_one_batched_ticker_call(db, vault, sb, markets, label):
    key = KEYS[label]
    conn = connect(db, vault, sb, key)
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    assert len(requests_to(sb, TICKER_PATHS[key.exchange])) == 1
    prices = sandbox_usdt_prices(sb, key.exchange)

    frame = portfolio.balances
    assert list(frame.columns) == list(BALANCE_COLUMNS)
    world = sb.world.account(key.exchange, key.account)
    assert dict(zip(frame["asset"], frame["total"], strict=True)) == pytest.approx(world.balances)
    assert (frame["free"] + frame["used"]).to_numpy() == pytest.approx(frame["total"].to_numpy())
    rows = frame.set_index("asset")
    for asset in ("BTC", "ETH", "SOL", "XRP"):
        assert rows.loc[asset, "price"] == pytest.approx(prices[asset], rel=2e-3)
        assert rows.loc[asset, "priced_by"] == PRICED_USDT
    assert rows.loc["USDT", "price"] == 1.0
    assert rows.loc["USDC", "price"] == 1.0  # a stablecoin counts 1, not its USDC/USDT ticker
    assert rows.loc["USDC", "priced_by"] == PRICED_STABLE
    # ZZZ trades nowhere: shown, flagged, and left out of the total.
    assert math.isnan(rows.loc["ZZZ", "price"])
    assert math.isnan(rows.loc["ZZZ", "value"])
    assert rows.loc["ZZZ", "priced_by"] == NO_PRICE
    assert portfolio.unpriced == ("ZZZ",)
    priced = frame[frame["priced_by"] != NO_PRICE]
    assert priced["value"].to_numpy() == pytest.approx(
        (priced["total"] * priced["price"]).to_numpy()
    )
    expected_total = sum(
        amount * (1.0 if asset in ("USDT", "USDC") else prices[asset])
        for asset, amount in world.balances.items()
        if asset != "ZZZ"
    )
    assert portfolio.total_usdt == pytest.approx(expected_total, rel=2e-3)
    # The refresh left a snapshot with that total.
    history = value_history(db, [conn.id])
    assert history["total_usdt"].tolist() == [pytest.approx(portfolio.total_usdt)]
    assert latest_values(db) == {conn.id: pytest.approx(portfolio.total_usdt)}


@pytest.mark.parametrize("exchange", ["mexc", "kucoin"])
@pytest.mark.parametrize("account", ["empty", "zero"])
def test_an_empty_or_all_zero_account_is_worth_zero(db, vault, sb, markets, exchange, account):
    conn = connect(db, vault, sb, extra_key(exchange, account))
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    assert portfolio.balances.empty
    assert list(portfolio.balances.columns) == list(BALANCE_COLUMNS)
    assert list(portfolio.positions.columns) == list(POSITION_COLUMNS)
    assert portfolio.total_usdt == 0.0
    assert requests_to(sb, TICKER_PATHS[exchange]) == []  # nothing to price, nothing asked
    table = balance_table(portfolio.balances, hide_dust=True)
    assert table.empty
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert value_history(db, [conn.id])["total_usdt"].tolist() == [0.0]


@pytest.mark.parametrize("label", [MEXC_FUTURES, KUCOIN_FUTURES])
def test_futures_positions_and_futures_balance(db, vault, sb, markets, label):
    key = KEYS[label]
    conn = connect(db, vault, sb, key)
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    account = sb.world.account(key.exchange, key.account)
    states = {s.position.base: s for s in account.position_states(int(time.time() * 1000))}

    positions = portfolio.positions.set_index("symbol")
    assert list(portfolio.positions.columns) == list(POSITION_COLUMNS)
    assert sorted(positions.index) == ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"]
    for base, state in states.items():
        row = positions.loc[f"{base}/USDT:USDT"]
        p = state.position
        assert row["side"] == p.side
        assert row["size"] == pytest.approx(p.qty)
        assert row["entry_price"] == pytest.approx(p.entry)
        assert row["margin_mode"] == p.margin_mode
        assert row["liquidation_price"] == pytest.approx(state.liquidation)
        assert row["mark_price"] == pytest.approx(state.mark, rel=2e-3)
        assert row["notional"] == pytest.approx(p.qty * row["mark_price"], rel=1e-3)
        sign = 1 if p.side == "long" else -1
        assert row["unrealized_pnl"] == pytest.approx(
            (row["mark_price"] - p.entry) * p.qty * sign, rel=0.05, abs=0.5
        )
        assert row["leverage"] == pytest.approx(p.leverage, rel=0.1)
        gap = (row["mark_price"] - row["liquidation_price"]) * sign / row["mark_price"] * 100
        assert row["liquidation_distance_pct"] == pytest.approx(gap)
        assert row["liquidation_distance_pct"] > 0  # no demo position is past liquidation
    futures = portfolio.balances[portfolio.balances["market"] == "futures"].set_index("asset")
    equity = account.futures_cash + sum(s.unrealised for s in states.values())
    assert futures.loc["USDT", "total"] == pytest.approx(equity, rel=1e-3)
    spot = portfolio.balances[portfolio.balances["market"] == "spot"]
    assert dict(zip(spot["asset"], spot["total"], strict=True)) == pytest.approx(account.balances)
    assert portfolio.total_usdt == pytest.approx(portfolio.balances["value"].sum())


def test_connections_are_fetched_together_and_priced_once_per_exchange(db, vault, sb, markets):
    labels = [MEXC_MAIN, "MEXC No IP Restriction (demo)", "MEXC Wrong IP (demo)", KUCOIN_MAIN]
    conns = [connect(db, vault, sb, KEYS[label]) for label in labels]
    main, no_ip, failed, kucoin = fetch_portfolios(db, vault, conns)
    assert isinstance(main, Portfolio)
    assert isinstance(no_ip, Portfolio)
    assert isinstance(kucoin, Portfolio)
    assert len(main.balances) == len(no_ip.balances) == len(kucoin.balances) == 8
    assert main.total_usdt == pytest.approx(no_ip.total_usdt)  # the same account, same prices
    # One failing connection does not hide the others, and leaves no snapshot.
    assert isinstance(failed, ExchangeError)
    assert failed.category.id == "ip_not_allowed"
    snapshots = set(value_history(db)["connection_id"])
    assert snapshots == {main.connection_id, no_ip.connection_id, kucoin.connection_id}
    # Two MEXC connections, one batched MEXC ticker call; KuCoin has its own.
    assert len(requests_to(sb, TICKER_PATHS["mexc"])) == 1
    assert len(requests_to(sb, TICKER_PATHS["kucoin"])) == 1


# --- Keep the last good data, mark it stale ----------------------------------------------------


def test_a_failed_refresh_keeps_the_previous_frame_marked_stale(db, vault, sb, markets):
    key = KEYS[KUCOIN_MAIN]
    conn = connect(db, vault, sb, key)
    session: dict = {}
    cache = ResultCache(session, "balances")
    first = refresh_balances(db, vault, [conn], cache)
    assert first.notices == ()
    assert "Last updated" in first.last_updated
    fetched_at = cache.get(conn.id).fetched_at

    sb.set_fault("maintenance", key=key.api_key)
    again = refresh_balances(db, vault, [conn], cache)  # within the TTL: no call at all
    assert sb.requests
    assert all(r.status == 200 for r in sb.requests)
    stale = refresh_balances(db, vault, [conn], cache, force=True)
    assert any(r.status == 503 for r in sb.requests)

    entry = cache.get(conn.id)
    assert entry.stale
    assert entry.error_category == "exchange_unavailable"
    assert entry.fetched_at == fetched_at  # still the first fetch's time
    pd.testing.assert_frame_equal(stale.balances, first.balances)
    assert stale.total_usdt == first.total_usdt
    (notice,) = stale.notices
    assert notice.level == "warning"
    assert notice.connection == conn.name
    assert "Showing stale data" in notice.text
    # Advice that fits the page, not the connection test's "run the test again" (issue 12).
    unavailable = ExchangeError("exchange_unavailable").message
    assert page_message(unavailable, "exchange_unavailable") in notice.text
    assert stale.totals["state"].tolist() == ["stale"]
    assert again.notices == ()

    sb.clear_faults()
    fresh = refresh_balances(db, vault, [conn], cache, force=True)
    assert fresh.notices == ()
    assert not cache.get(conn.id).stale


def test_a_first_refresh_that_fails_shows_the_error_and_no_data(db, vault, sb, markets):
    conn = connect(db, vault, sb, KEYS["KuCoin Wrong IP (demo)"])
    view = refresh_balances(db, vault, [conn], ResultCache({}, "balances"))
    assert view.balances.empty
    assert list(view.balances.columns) == list(BALANCE_COLUMNS)
    (notice,) = view.notices
    assert notice.level == "error"
    assert notice.text.startswith("IP not allowed")
    assert view.totals["state"].tolist() == ["failed"]


def test_result_cache_ttl_and_keep_last_good():
    now = [1000.0]
    session: dict = {}
    cache = ResultCache(session, "x", ttl_s=60, clock=lambda: now[0])
    calls = []

    def fetch(keys):
        calls.append(list(keys))
        return [f"value {k}" for k in keys]

    assert [e.value for e in cache.refresh(["a", "b"], fetch)] == ["value a", "value b"]
    now[0] += 30
    cache.refresh(["a", "b"], fetch)
    assert calls == [["a", "b"]]  # within the TTL
    now[0] += 31
    cache.refresh(["a"], fetch)
    assert calls[-1] == ["a"]
    failed = cache.refresh(["b"], lambda keys: [ExchangeError("rate_limited")], force=True)[0]
    assert failed.value == "value b"
    assert failed.stale
    assert failed.error == ExchangeError("rate_limited").message
    assert failed.fetched_at == 1000.0
    assert session["x.results"]["b"] is failed  # kept in the session mapping
    nothing = keep_last_good(None, ExchangeError("invalid_key"), now[0])
    assert nothing.value is None
    assert not nothing.stale
    assert nothing.error_category == "invalid_key"


# --- Market cache ------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [MEXC_MAIN, KUCOIN_FUTURES])
def test_market_cache_is_hit_and_survives_a_restart(settings, vault, sb, label):
    key = KEYS[label]
    db = open_db(settings.db_path)
    conn = connect(db, vault, sb, key)
    markets_path = MARKETS_PATHS[key.exchange]
    one(fetch_portfolios(db, vault, [conn]))
    assert len(requests_to(sb, markets_path)) == 1
    rows = db.execute("SELECT cache_key FROM market_cache").fetchall()
    assert len(rows) == (2 if key.market == "both" and key.exchange == "kucoin" else 1)

    sb.clear_requests()
    one(fetch_portfolios(db, vault, [conn]))
    assert requests_to(sb, markets_path) == []
    db.close()

    db = open_db(settings.db_path)  # a restart: a new handle on the same file
    sb.clear_requests()
    portfolio = one(fetch_portfolios(db, vault, [conn]))
    assert requests_to(sb, markets_path) == []
    assert portfolio.total_usdt > 0
    later = time.time() + market_cache.TTL_S + 1
    assert market_cache.read_market_cache(db, [conn], now=later) == {conn.id: {}}  # expired
    db.close()


# --- Orders and fills --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big():
    with Sandbox(order_history={"main": 10_000}) as sandbox:
        yield sandbox


def test_ten_thousand_orders_are_paged_completely(db, vault, big):
    key = KEYS[KUCOIN_MAIN]
    conn = connect(db, vault, big, key)
    now = int(time.time() * 1000)
    since = now - 91 * DAY_MS
    big.clear_requests()
    activity = one(fetch_activity(db, vault, [conn], since_ms=since, until_ms=now))

    orders = activity.orders
    assert list(orders.columns) == list(ORDER_COLUMNS)
    past = orders[orders["status"] != "open"]
    assert len(past) == 10_000
    assert past["order_id"].is_unique
    world = big.world.account("kucoin", "main")
    assert sorted(orders.loc[orders["status"] == "open", "order_id"]) == sorted(
        o.id for o in world.open_orders
    )
    assert len(activity.trades) == len(world.trades(None, None, since, now))
    assert set(past["status"]) == {"closed", "canceled"}
    # Answered requests only: on a loaded machine a request can leave after KuCoin's 5 s
    # timestamp window, get 401 and be re-signed and retried once, as with the real exchange.
    answered = [r for r in big.requests if r.status == 200]
    listing = [r for r in answered if r.path == "/api/v1/orders"]
    assert any(r.query.get("currentPage") == "2" for r in listing)  # pages within a window
    starts = {r.query["startAt"] for r in listing if "startAt" in r.query}
    assert len(starts) == 13  # 91 days in 7-day windows
    spans = [
        int(r.query["endAt"]) - int(r.query["startAt"]) for r in listing if "startAt" in r.query
    ]
    assert max(spans) <= 7 * DAY_MS
    fills = [r for r in answered if r.path == "/api/v1/fills"]
    assert activity.calls == len(listing) + len(fills)

    # Closed orders and fills never change: the next refresh asks only for what is new and
    # shows the same history (from the database), also after a restart.
    reopened = open_db(db.execute("PRAGMA database_list").fetchone()[2])  # a restart
    big.clear_requests()
    later = one(fetch_activity(reopened, vault, [conn], since_ms=since, until_ms=now + 1000))
    again = [r for r in big.requests if r.path in ("/api/v1/orders", "/api/v1/fills")]
    assert len(again) < len(listing) / 5
    assert {r.query.get("startAt") for r in again if "startAt" in r.query} != starts
    assert sorted(later.orders["order_id"]) == sorted(orders["order_id"])
    assert len(later.trades) == len(activity.trades)


def test_mexc_orders_are_asked_per_symbol(db, vault, sb, markets):
    base = KEYS[MEXC_FUTURES]
    key = DemoKey(
        "MEXC spot of the futures account", "mexc", "mx0vglTEST0FUTURESSPOT1", base.secret,
        None, base.permissions, (), "spot", "futures",
    )  # fmt: skip
    sb.add_key(key)
    conn = connect(db, vault, sb, key)
    params = json.dumps({"market": "spot", "pairs": ["DOGE/USDT", "BTC/USDT"]})
    with write(db):
        db.execute(
            "INSERT INTO strategies (connection_id, name, name_key, params, created_at, "
            "updated_at) VALUES (?, 'Doge', 'doge', ?, ?, ?)",
            [conn.id, params, now_iso(), now_iso()],
        )
    now = int(time.time() * 1000)
    since = now - 8 * DAY_MS
    sb.clear_requests()
    activity = one(
        fetch_activity(db, vault, [conn], since_ms=since, until_ms=now, pairs=["LTC/USDT"])
    )

    # The held assets' USDT pairs, the saved strategy's pairs and the user's choice.
    expected = ["BTC/USDT", "DOGE/USDT", "ETH/USDT", "LTC/USDT", "MX/USDT"]
    assert list(activity.symbols) == expected
    history = [r for r in sb.requests if r.path == "/api/v3/allOrders"]
    assert {r.query["symbol"] for r in history} == {s.replace("/", "") for s in expected}
    assert len(history) == 2 * len(expected)  # 8 days in 7-day windows, per symbol
    assert all(int(r.query["endTime"]) - int(r.query["startTime"]) <= 7 * DAY_MS for r in history)
    world = sb.world.account("mexc", "futures")
    past = activity.orders[activity.orders["status"] != "open"]
    expected_ids = {
        o.id
        for base in ("BTC", "ETH", "MX")
        for o in world.orders(base, "USDT", since, now, include_open=False)
    }
    assert set(past["order_id"]) == expected_ids
    assert len(past) > 10  # ~3 orders a day in this world
    open_ids = set(activity.orders.loc[activity.orders["status"] == "open", "order_id"])
    assert open_ids == {o.id for o in world.open_orders}
    trades = {t.id for t in world.trades(None, None, since, now) if t.base != "SOL"}
    assert set(activity.trades["trade_id"]) == trades


def test_futures_orders_on_both_exchanges(db, vault, sb, markets):
    conns = [connect(db, vault, sb, KEYS[label]) for label in (MEXC_FUTURES, KUCOIN_FUTURES)]
    now = int(time.time() * 1000)
    results = fetch_activity(db, vault, conns, since_ms=now - 7 * DAY_MS, until_ms=now)
    for conn, activity in zip(conns, results, strict=True):
        assert isinstance(activity, Activity), conn.name
        markets = set(activity.orders["market"])
        assert markets <= {"spot", "futures"}
        world = sb.world.account(conn.exchange, "futures")
        open_ids = set(activity.orders.loc[activity.orders["status"] == "open", "order_id"])
        assert open_ids == {o.id for o in world.open_orders}
    mexc = results[0]
    assert {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"} <= set(mexc.symbols)
    paths = {r.path for r in sb.requests}
    assert "/api/v1/private/order/list/history_orders" in paths


def test_refresh_orders_asks_again_for_a_new_pair_on_a_per_symbol_exchange(db, vault, sb, markets):
    conn = connect(db, vault, sb, extra_key("mexc", "empty"))
    cache = ResultCache({}, "orders")
    view = refresh_orders(db, vault, [conn], cache, days=1)
    assert "LTC/USDT" in view.listed
    assert cache.get((conn.id, 1)).value.symbols == ()  # nothing held, nothing asked
    assert not any("symbol" in r.query for r in sb.requests if r.path == "/api/v3/allOrders")
    refresh_orders(db, vault, [conn], cache, days=1, pair="LTC/USDT")
    assert any(r.query.get("symbol") == "LTCUSDT" for r in sb.requests)
    assert cache.get((conn.id, 1)).value.symbols == ("LTC/USDT",)
    sb.clear_requests()
    refresh_orders(db, vault, [conn], cache, days=1, pair="LTC/USDT")
    refresh_orders(db, vault, [conn], cache, days=1, pair="NOT/LISTED")
    assert sb.requests == []  # asked already / listed nowhere: the session copy serves


# --- Pure helpers ------------------------------------------------------------------------------


def test_an_asset_without_a_usdt_market_is_priced_through_btc():
    listed = ["ABC/BTC", "BTC/USDT", "ETH/USDT", "ETH/BTC"]
    assert valuation_symbols(["ABC", "ETH", "USDT", "DAI", "NOPE"], listed) == [
        "ABC/BTC",
        "BTC/USDT",
        "ETH/USDT",
    ]
    tickers = {
        "ABC/BTC": {"last": 0.0005},
        "BTC/USDT": {"last": 60_000.0},
        "ETH/USDT": {"last": None, "bid": 2999.0, "ask": 3001.0},
    }
    prices = usdt_prices(["ABC", "ETH", "DAI", "NOPE"], tickers)
    assert prices["ABC"] == (pytest.approx(30.0), PRICED_BTC)
    assert prices["ETH"] == (pytest.approx(3000.0), PRICED_USDT)
    assert prices["DAI"] == (1.0, PRICED_STABLE)
    assert math.isnan(prices["NOPE"][0])
    assert prices["NOPE"][1] == NO_PRICE


def balances(*rows):
    return pd.DataFrame(
        [
            {"connection_id": 1, "connection": "A", "exchange": "mexc", "market": "spot",
             "asset": a, "free": t, "used": 0.0, "total": t, "price": p, "value": t * p,
             "priced_by": s}
            for a, t, p, s in rows
        ],
        columns=list(BALANCE_COLUMNS),
    )  # fmt: skip


def test_balance_table_shares_and_hide_dust():
    frame = balances(
        ("BTC", 0.1, 60_000.0, PRICED_USDT),
        ("USDT", 4000.0, 1.0, PRICED_STABLE),
        ("XRP", 0.001, 0.5, PRICED_USDT),
        ("ZZZ", 10.0, math.nan, NO_PRICE),
    )
    table = balance_table(frame)
    assert table["asset"].tolist() == ["BTC", "USDT", "XRP", "ZZZ"]
    assert table["share"].sum() == pytest.approx(100.0)
    assert table.loc[0, "share"] == pytest.approx(60.0, rel=1e-4)
    hidden = balance_table(frame, hide_dust=True)
    assert hidden["asset"].tolist() == ["BTC", "USDT", "ZZZ"]  # unpriced assets stay visible
    assert hidden.loc[0, "share"] == table.loc[0, "share"]


def test_liquidation_distance_is_measured_against_the_position():
    assert liquidation_distance_pct("long", 100.0, 80.0) == pytest.approx(20.0)
    assert liquidation_distance_pct("short", 100.0, 130.0) == pytest.approx(30.0)
    assert liquidation_distance_pct("long", 100.0, 110.0) == pytest.approx(-10.0)
    assert math.isnan(liquidation_distance_pct("long", 100.0, 0.0))
    assert math.isnan(liquidation_distance_pct("short", math.nan, 120.0))


def test_mexc_swap_balance_counts_position_margin_and_equity():
    raw = {
        "info": {
            "data": [
                {"currency": "USDT", "availableBalance": 900, "frozenBalance": 10,
                 "positionMargin": 100, "equity": 1005},
                {"currency": "BTC", "availableBalance": 0, "frozenBalance": 0,
                 "positionMargin": 0, "equity": 0},
            ]
        }
    }  # fmt: skip
    rows = balance_rows(swap_balance(raw), "futures")
    assert rows == [
        {"market": "futures", "asset": "USDT", "free": 900.0, "used": 110.0, "total": 1005.0}
    ]


class PagedAdapter:
    """Serves `rows` like MEXC allOrders: oldest first from `since`, at most `limit`."""

    def __init__(self, rows):
        self.rows, self.calls = rows, []

    async def call(self, market, method, symbol, since, limit, params):
        self.calls.append((since, params.get("until")))
        found = [r for r in self.rows if since <= r["timestamp"] <= params["until"]]
        return found[:limit]


def test_cursor_paging_survives_rows_sharing_a_timestamp():
    import asyncio

    rows = [{"id": str(i), "timestamp": 1000 + i // 3} for i in range(25)]
    adapter = PagedAdapter(rows)
    plan = Paging("fetch_orders", 5, 10_000)
    calls = [0]
    found = asyncio.run(page_through(adapter, "spot", plan, "X/USDT", 1000, 2000, calls))
    assert {r["id"] for r in found} == {r["id"] for r in rows}
    assert calls[0] == len(adapter.calls) > 5


def test_filters_and_csv_export():
    frame = pd.DataFrame(
        {
            "symbol": ["BTC/USDT", "ETH/USDT", "BTC/USDT"],
            "side": ["buy", "sell", "sell"],
            "status": ["open", "closed", "canceled"],
            "connection": ["=HYPERLINK(1)", "A", "-B"],
            "cost": [-1.5, 2.0, 3.0],
        }
    )
    assert len(filter_orders(frame, pair="BTC/USDT")) == 2
    assert filter_orders(frame, pair="BTC/USDT", side="sell")["status"].tolist() == ["canceled"]
    assert filter_orders(frame, status="closed")["symbol"].tolist() == ["ETH/USDT"]
    text = csv_bytes(frame).decode()
    assert "'=HYPERLINK(1)" in text
    assert "'-B" in text
    assert ",-1.5" in text  # numbers are left alone


# --- One failure never breaks the rest ---------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "answer"),
    [
        (lambda a: balance_rows(a, "futures"), "not a balance"),
        (lambda a: balance_rows(a, "futures"), {"total": "USDT 5"}),
        (lambda a: order_rows(a, "spot"), "not a list"),
        (lambda a: order_rows(a, "spot"), [{"id": "1"}, "not an order"]),
        (lambda a: position_rows(a, {}, {}), {"symbol": "BTC/USDT:USDT"}),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_classified_error(parse, answer):
    with pytest.raises(ExchangeError) as raised:
        parse(answer)
    assert raised.value.category.id == "wrong_address"


def test_an_unexpected_error_stays_on_its_own_connection(db, vault, sb, markets):
    broken = connect(db, vault, sb, KEYS[MEXC_MAIN], name="Broken")
    healthy = connect(db, vault, sb, KEYS[KUCOIN_MAIN])

    async def work(adapter, connection):
        if connection.id == broken.id:
            return {}.get("info").get("data")  # a parser bug: AttributeError on None
        return connection.name

    found = fetch_each(db, vault, [broken, healthy], work)
    assert found[1] == healthy.name
    assert isinstance(found[0], ExchangeError)
    assert found[0].category.id == "unknown"


def test_a_dead_exchange_is_marked_at_the_deadline_and_the_others_are_shown(db, vault, sb, markets):
    with socket.socket() as listener:  # accepts, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        dead_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        key = KEYS[MEXC_MAIN]
        dead = add_connection(
            db, vault, ConnectionForm(exchange=key.exchange, name="Dead", api_key=key.api_key,
                                      secret=key.secret, market=key.market, api_base_url=dead_url),
        )  # fmt: skip
        healthy = connect(db, vault, sb, KEYS[KUCOIN_MAIN])
        cache = ResultCache({}, "balances")
        first = refresh_balances(
            db, vault, [dead, healthy], cache, deadline_s=0.5, wait=Wait.SETTLE
        )
        assert set(first.balances["connection"]) == {healthy.name}
        later = refresh_balances(
            db, vault, [dead, healthy], cache, deadline_s=0.5, wait=Wait.SETTLE
        )
        assert later.waiting == ()
        (notice,) = later.notices
        assert notice.connection == "Dead"
        assert cache.get(dead.id).error_category in ("network_unreachable", "exchange_unavailable")
        assert set(later.balances["connection"]) == {healthy.name}
