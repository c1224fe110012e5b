"""Market data: candle paging, the on-disk cache, pairs and balance helpers, a backtest over fetched
candles; end to end against the sandbox."""

from __future__ import annotations

import contextlib
import time

import pytest

from backfuture_core.market_data import candles, markets, pairs
from backfuture_core.models import Connection, Credentials, Market, Secret
from backfuture_core.storage.connections import ConnectionForm, add_connection
from backfuture_core.storage.database import open_db
from backfuture_core.strategy import run as backtest_run
from backfuture_core.strategy.params import StrategyParams

H = 3_600_000
BASE = 1_750_000_000_000 // H * H
NOW = BASE + 123_456  # mid-candle: the candle opening at BASE is not complete


def conn(**changes) -> Connection:
    values = {"id": 1, "name": "X", "exchange": "mexc", "market": Market.SPOT, "key_hint": "…abcd"}
    return Connection(**{**values, **changes})


CREDS = Credentials(Secret("k" * 10), Secret("s" * 10))


class FakeAdapter:
    """Serves hourly candles from `listed` on; like the exchange, at most `limit` per call,
    the earliest ones at or after `since`."""

    def __init__(self, listed: int = 0, now: int = NOW, offset: int = 0):
        self.listed, self.now, self.offset, self.calls = listed, now, offset, []

    async def fetch_ohlcv(self, symbol, timeframe, since, limit, market):
        self.calls.append((symbol, timeframe, since, limit, market))
        step = candles.TIMEFRAMES[timeframe]
        first = max(since, self.listed)
        first = -(-(first - self.offset) // step) * step + self.offset
        end = min(since + limit * step, self.now)
        return [
            [ts, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 10.0]
            for i, ts in enumerate(range(first, end, step))
        ][:limit]


@pytest.fixture
def fake(monkeypatch):
    adapter = FakeAdapter()

    @contextlib.asynccontextmanager
    async def open_adapter(connection, credentials, **options):
        yield adapter

    monkeypatch.setattr(markets, "create_adapter", open_adapter)
    monkeypatch.setattr(candles, "now_ms", lambda: NOW)
    monkeypatch.setattr(backtest_run, "now_ms", lambda: NOW)
    return adapter


def fetch(db, since, until, connection=None, timeframe="1h"):
    return candles.fetch_candles_sync(
        db, connection or conn(), CREDS, "BTC/USDT", timeframe, since, until
    )


def test_plan_aligns_and_skips_the_incomplete_candle(db):
    plan = candles.plan_candles(db, conn(), "BTC/USDT", "1h", NOW - 3 * H, NOW, now=NOW)
    assert plan.start == BASE - 2 * H  # the first candle opening at or after `since`
    assert plan.end == BASE  # the candle opening then is still open
    assert plan.runs == [(plan.start, plan.end)]
    assert candles.plan_candles(db, conn(), "BTC/USDT", "1h", NOW, NOW + H, now=NOW).runs == []


def test_pagination_then_cache_hit(db, fake):
    since = BASE - 1200 * H
    frame = fetch(db, since, NOW)
    assert len(frame) == 1200
    assert len(fake.calls) == 3  # 500 + 500 + 200 (MEXC's page size)
    assert [c[3] for c in fake.calls] == [500, 500, 200]
    assert list(frame.columns) == ["timestamp", "open", "high", "low", "close", "volume"]
    assert frame["timestamp"].is_monotonic_increasing
    assert frame["timestamp"].diff().dropna().eq(H).all()
    assert frame.attrs["requests"] == 3
    again = fetch(db, since, NOW)
    assert len(fake.calls) == 3
    assert again.attrs == {"requests": 0, "from_cache": 1200}
    assert again.equals(frame)


def test_only_missing_ranges_are_fetched(db, fake):
    middle = fetch(db, BASE - 60 * H, BASE - 40 * H)
    assert len(middle) == 20
    fake.calls.clear()
    frame = fetch(db, BASE - 100 * H, NOW)
    assert len(frame) == 100
    ranges = [(since, limit) for _, _, since, limit, _ in fake.calls]
    start = BASE - 100 * H
    assert ranges == [(start, 40), (start + 60 * H, 40)]


def test_kucoin_pages_are_bigger(db, fake):
    fetch(db, BASE - 2000 * H, NOW, connection=conn(exchange="kucoin"))
    assert [c[3] for c in fake.calls] == [1500, 500]


def test_times_without_candles_are_remembered(db, fake):
    fake.listed = BASE - 30 * H
    frame = fetch(db, BASE - 700 * H, NOW)
    assert len(frame) == 30
    calls = len(fake.calls)
    assert fetch(db, BASE - 700 * H, NOW).attrs["requests"] == 0
    assert len(fake.calls) == calls


def test_candles_opening_off_the_hour_are_cached_too(db, fake):
    fake.offset = H // 2  # e.g. daily candles of an exchange that opens them at 08:00
    frame = fetch(db, BASE - 10 * H, BASE - H)
    assert len(frame) == 9
    assert (frame["timestamp"] % H == H // 2).all()
    assert fetch(db, BASE - 10 * H, BASE - H).attrs["requests"] == 0
    # The candle opening at BASE - 30 min is still open: never cached, asked for again.
    assert len(fetch(db, BASE - 10 * H, NOW)) == 9


def test_cache_survives_a_new_database_handle(settings, fake):
    first = open_db(settings.db_path)
    fetch(first, BASE - 50 * H, NOW)
    first.close()
    second = open_db(settings.db_path)
    try:
        assert len(fetch(second, BASE - 50 * H, NOW)) == 50
    finally:
        second.close()
    assert len(fake.calls) == 1


def test_demo_and_other_base_urls_never_share_the_cache(db, fake):
    fetch(db, BASE - 10 * H, NOW)
    fetch(db, BASE - 10 * H, NOW, connection=conn(is_demo=True))
    fetch(db, BASE - 10 * H, NOW, connection=conn(api_base_url="http://127.0.0.1:1/mexc"))
    assert len(fake.calls) == 3
    assert markets.cache_source(conn(is_demo=True)) == "mexc:demo"


def test_unknown_timeframe_refused(db):
    with pytest.raises(ValueError, match="Unsupported timeframe"):
        fetch(db, 0, NOW, timeframe="7m")


def test_backtest_pair_replays_with_and_without_recovery(db, fake):
    params = StrategyParams(pairs=("BTC/USDT",))
    run = backtest_run.backtest_pair_sync(
        db, conn(), CREDS, params, "BTC/USDT", days=7, timeframe="1h", initial_balance=1000
    )
    assert len(run.candles) == 7 * 24
    assert run.with_recovery.params.recovery_enabled
    assert not run.without_recovery.params.recovery_enabled
    table = backtest_run.comparison_frame(run)
    assert list(table.columns) == ["Metric", "With Recovery Mode", "Without Recovery Mode"]
    assert "Deals saved by Recovery Mode" in table["Metric"].tolist()


def test_group_pairs_usual_quotes_first():
    groups = pairs.group_pairs(
        ["ETH/BTC", "SOL/USDT", "BTC/USDT", "A/EUR", "B/EUR", "C/TRY", "bad-symbol", "X/USDC"]
    )
    assert list(groups) == ["USDT", "USDC", "BTC", "EUR", "TRY"]
    assert groups["USDT"] == ["BTC/USDT", "SOL/USDT"]


def test_market_pairs_and_balance_helpers():
    markets = {
        "BTC/USDT": {"symbol": "BTC/USDT", "spot": True, "type": "spot"},
        "OLD/USDT": {"symbol": "OLD/USDT", "spot": True, "type": "spot", "active": False},
        "BTC/USDT:USDT": {"symbol": "BTC/USDT:USDT", "swap": True, "linear": True},
        "BTC/USD:BTC": {"symbol": "BTC/USD:BTC", "swap": True, "linear": False},
    }
    assert pairs.market_pairs(markets, "spot") == ["BTC/USDT"]
    assert pairs.market_pairs(markets, "futures") == ["BTC/USDT:USDT"]
    assert pairs.free_amount({"free": {"USDT": 12.5}}, "USDT") == 12.5
    assert pairs.free_amount({"free": {"BTC": 1}}, "USDT") == 0.0
    assert pairs.free_amount({"USDT": {"free": "3"}}, "USDT") == 3.0
    assert pairs.pair_for_market("BTC/USDT", "futures") == "BTC/USDT:USDT"
    assert pairs.pair_for_market("BTC/USDT:USDT", "spot") == "BTC/USDT"
    assert candles.candle_symbol("ETH/USDC:USDC") == "ETH/USDC"
    both = conn(market=Market.BOTH)
    assert pairs.market_options(both) == ["spot", "futures"]
    assert pairs.market_options(conn(market=Market.FUTURES)) == ["futures"]
    assert pairs.quote_of(["ETH/BTC"], {"USDT": [], "BTC": []}) == "BTC"
    assert pairs.quote_of([], {"USDT": []}) == "USDT"


# --- End to end: the real adapter, ccxt and the sandbox exchange on loopback ------------------


@pytest.fixture(scope="module")
def sandbox():
    from backfuture_core.sandbox import Sandbox

    with Sandbox(port=0) as sb:
        yield sb


def sandbox_connection(db, vault, sb, exchange="mexc"):
    from backfuture_core.sandbox import demo_keys

    key = next(k for k in demo_keys() if k.exchange == exchange and "Wrong IP" not in k.label)
    form = ConnectionForm(
        exchange=key.exchange,
        name=f"{exchange} sandbox",
        api_key=key.api_key,
        secret=key.secret,
        passphrase=key.passphrase or "",
        market=key.market,
        api_base_url=sb.base_url(key.exchange),
    )
    connection = add_connection(db, vault, form)
    from backfuture_core.storage.connections import load_credentials

    return connection, load_credentials(db, vault, connection.id)


def candle_requests(sb):
    return [r for r in sb.requests if r.path in ("/api/v3/klines", "/api/v1/market/candles")]


@pytest.mark.parametrize("exchange", ["mexc", "kucoin"])
def test_sandbox_pages_and_caches(db, vault, settings, sandbox, exchange):
    connection, creds = sandbox_connection(db, vault, sandbox, exchange)
    now = int(time.time() * 1000)
    since = now - 40 * 24 * H  # 960 hourly candles: 2 pages on MEXC, 1 on KuCoin
    sandbox.clear_requests()
    frame = candles.fetch_candles_sync(db, connection, creds, "BTC/USDT", "1h", since, now)
    assert 955 <= len(frame) <= 960
    assert frame["timestamp"].diff().dropna().eq(H).all()
    assert (frame["high"] >= frame["low"]).all()
    assert len(candle_requests(sandbox)) == (2 if exchange == "mexc" else 1)
    sandbox.clear_requests()
    db.close()
    fresh = open_db(settings.db_path)
    try:
        again = candles.fetch_candles_sync(fresh, connection, creds, "BTC/USDT", "1h", since, now)
    finally:
        fresh.close()
    assert candle_requests(sandbox) == []
    assert again["timestamp"].tolist() == frame["timestamp"].tolist()
    assert again["close"].tolist() == frame["close"].tolist()


def test_sandbox_pairs_balance_and_price(db, vault, sandbox):
    connection, creds = sandbox_connection(db, vault, sandbox, "mexc")
    sandbox.clear_requests()
    groups = pairs.available_pairs_sync(db, connection, creds, "spot")
    assert next(iter(groups)) == "USDT"
    assert "BTC/USDT" in groups["USDT"]
    balance = pairs.quote_balance_sync(db, connection, creds, "spot", "USDT")
    assert balance > 0
    price = candles.last_price_sync(db, connection, creds, "BTC/USDT")
    assert price > 0
    # Pairs, balance and candles came from three page actions: one market download for all.
    downloads = [r for r in sandbox.requests if r.path.endswith("/api/v3/exchangeInfo")]
    assert len(downloads) == 1
