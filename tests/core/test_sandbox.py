"""The sandbox exchange, driven by the real ccxt async clients with real signing."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import ccxt.async_support as ccxt
import pytest

from backfuture_core.sandbox import DemoKey, Sandbox, demo_keys, shared_sandbox

KEYS = {k.label.removesuffix(" (demo)"): k for k in demo_keys()}
DAY_MS = 86_400_000


# ----------------------------------------------------------------------------- helpers
def mexc_client(sb: Sandbox, key: DemoKey, **config: Any) -> ccxt.mexc:
    base = sb.base_url("mexc")
    ex = ccxt.mexc(
        {"apiKey": key.api_key, "secret": key.secret, "enableRateLimit": False, **config}
    )
    ex.urls["api"] = {
        "spot": {"public": base, "private": base},
        "spot2": {"public": base + "/open/api/v2", "private": base + "/open/api/v2"},
        "contract": {"public": base + "/api/v1/contract", "private": base + "/api/v1/private"},
        "broker": {"private": base + "/api/v3/broker"},
    }
    ex.timeout_on_exit = 0  # ccxt sleeps 250 ms in close() by default
    return ex


def kucoin_client(
    sb: Sandbox, key: DemoKey, cls: type[ccxt.kucoin] = ccxt.kucoin, **config: Any
) -> ccxt.kucoin:
    options = {"uta": False, "hf": False}
    if cls is ccxt.kucoin:
        options["fetchMarkets"] = {"types": ["spot"], "fetchTickersFees": False}
    ex = cls(
        {
            "apiKey": key.api_key,
            "secret": key.secret,
            "password": key.passphrase,
            "enableRateLimit": False,
            "options": options,
            **config,
        }
    )
    for name in ex.urls["api"]:
        ex.urls["api"][name] = sb.base_url("kucoin")
    ex.timeout_on_exit = 0
    return ex


def run_with(ex: ccxt.Exchange, scenario: Callable[[], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        try:
            return await scenario()
        finally:
            await ex.close()

    return asyncio.run(main())


def expect_error(
    ex: ccxt.Exchange, call: Callable[[], Awaitable[Any]], exc: type, code: str
) -> str:
    """Run one call, assert it raises `exc` whose message carries the exchange's `code`."""

    async def scenario() -> None:
        await call()

    with pytest.raises(exc) as info:
        run_with(ex, scenario)
    assert code in str(info.value)
    return str(info.value)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=7) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sb" in request.fixturenames:
        sandbox = request.getfixturevalue("sb")
        sandbox.clear_faults()
        sandbox.clear_requests()


# -------------------------------------------------------------------------- the world
def test_demo_keys_are_deterministic_and_hide_secrets() -> None:
    keys = demo_keys()
    assert keys == demo_keys()
    assert {k.exchange for k in keys} == {"mexc", "kucoin", "okx", "bitget"}
    assert len({k.api_key for k in keys}) == len(keys)
    for key in keys:
        assert key.secret not in repr(key)
        assert key.passphrase is None or key.passphrase not in repr(key)
        assert "(demo)" in key.label
        assert key.note
    assert all(k.passphrase for k in keys if k.exchange == "kucoin")
    with pytest.raises(ValueError, match="account"):
        DemoKey("x", "mexc", "k", "s", account="nope")


def test_start_is_fast_and_stop_is_clean() -> None:
    sandbox = Sandbox(port=0)
    started = time.perf_counter()
    sandbox.start()
    assert time.perf_counter() - started < 0.5
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.base_url("kucoin") == sandbox.url + "/kucoin"
    sandbox.stop()
    assert not sandbox.running
    sandbox.stop()  # idempotent


def test_shared_sandbox_is_one_running_instance() -> None:
    first = shared_sandbox()
    assert first is shared_sandbox()
    assert first.running


# ------------------------------------------------------------------------------ MEXC
def test_mexc_spot_end_to_end(sb: Sandbox) -> None:
    ex = mexc_client(sb, KEYS["MEXC Withdrawal Enabled"])

    async def scenario() -> None:
        markets = await ex.load_markets()
        assert {"BTC/USDT", "ETH/BTC", "MX/USDT", "BTC/USDT:USDT"} <= set(markets)
        assert not any("ZZZ" in symbol for symbol in markets)

        balance = await ex.fetch_balance()
        assert balance["total"]["USDT"] == pytest.approx(12_450.371842)
        assert balance["total"]["ZZZ"] == 1500  # held, but no market anywhere
        assert balance["XRP"]["total"] < 0.001  # dust
        assert balance["USDT"]["used"] > 0  # an open buy order locks quote

        tickers = await ex.fetch_tickers()
        btc = tickers["BTC/USDT"]
        assert btc["bid"] < btc["last"] < btc["ask"]
        assert btc["low"] <= btc["last"] <= btc["high"]

        hourly = await ex.fetch_ohlcv("BTC/USDT", "1h", limit=24)
        assert len(hourly) == 24
        assert all(b[0] - a[0] == 3_600_000 for a, b in itertools.pairwise(hourly))
        assert all(c[3] <= min(c[1], c[4]) <= max(c[1], c[4]) <= c[2] for c in hourly)
        assert hourly[-1][4] == pytest.approx(btc["last"], rel=0.002)
        since = ex.milliseconds() - 10 * DAY_MS
        daily = await ex.fetch_ohlcv("ETH/USDT", "1d", since=since, limit=5)
        assert len(daily) == 5
        assert daily[0][0] >= since
        minutes = await ex.fetch_ohlcv("SOL/USDT", "1m", limit=3)
        assert len(minutes) == 3

        open_orders = await ex.fetch_open_orders("ETH/USDT")
        assert {o["side"] for o in open_orders} == {"buy", "sell"}
        assert any(o["filled"] > 0 for o in open_orders)

        since = ex.milliseconds() - 30 * DAY_MS
        orders = await ex.fetch_orders("BTC/USDT", since=since)
        assert orders
        assert all(since <= o["timestamp"] <= since + 7 * DAY_MS for o in orders)
        closed = await ex.fetch_closed_orders("BTC/USDT", since=since)
        assert {o["status"] for o in closed} <= {"closed", "canceled", "open"}
        trades = await ex.fetch_my_trades("BTC/USDT")
        assert trades
        assert all(t["symbol"] == "BTC/USDT" for t in trades)

        info = await ex.spot_private_get_apikeyinfo({"accessKey": ex.apiKey})
        assert info["accessKey"] == ex.apiKey
        assert "SPOT_WITHDRAW_WRITE" in info["permissions"].split(",")
        assert info["ipWhiteList"] == "127.0.0.1"
        assert info["status"] == "VALID"

    run_with(ex, scenario)


def test_mexc_key_info_of_an_unrestricted_key(sb: Sandbox) -> None:
    ex = mexc_client(sb, KEYS["MEXC No IP Restriction"])
    info = run_with(ex, lambda: ex.spot_private_get_apikeyinfo({"accessKey": ex.apiKey}))
    assert info["ipWhiteList"] == ""
    assert info["permissions"] == "SPOT_ACCOUNT_READ,SPOT_DEAL_READ,SPOT_DEAL_WRITE"


def test_mexc_load_markets_needs_withdraw_read_unless_currencies_are_skipped(sb: Sandbox) -> None:
    key = KEYS["MEXC Spot Main"]
    ex = mexc_client(sb, key)  # ccxt's fetch_currencies calls capital/config/getall
    expect_error(ex, ex.load_markets, ccxt.AuthenticationError, "700007")
    ex = mexc_client(sb, key)
    ex.has["fetchCurrencies"] = False

    async def scenario() -> None:
        await ex.load_markets()
        balance = await ex.fetch_balance()
        assert balance["total"]["BTC"] == pytest.approx(0.42156)

    run_with(ex, scenario)


def test_mexc_futures_account_and_positions(sb: Sandbox) -> None:
    ex = mexc_client(sb, KEYS["MEXC Futures"])
    ex.has["fetchCurrencies"] = False

    async def scenario() -> None:
        assets = await ex.contract_private_get_account_assets()
        usdt = next(a for a in assets["data"] if a["currency"] == "USDT")
        assert usdt["equity"] == pytest.approx(usdt["cashBalance"] + usdt["unrealized"], abs=1e-3)
        positions = await ex.fetch_positions()
        assert {p["side"] for p in positions} == {"long", "short"}
        assert {p["marginMode"] for p in positions} == {"isolated", "cross"}
        for p in positions:
            assert p["contracts"] > 0
            assert p["leverage"] > 1
            assert p["liquidationPrice"] > 0
        swap = await ex.fetch_balance({"type": "swap"})
        assert swap["USDT"]["free"] > 0

    run_with(ex, scenario)


def test_mexc_order_placement_and_cancellation(sb: Sandbox) -> None:
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    ex.has["fetchCurrencies"] = False

    async def scenario() -> None:
        await ex.load_markets()
        order = await ex.create_order("BTC/USDT", "limit", "buy", 0.001, 10_000)
        assert order["id"].startswith("C02__")
        assert order["id"] in {o["id"] for o in await ex.fetch_open_orders("BTC/USDT")}
        canceled = await ex.cancel_order(order["id"], "BTC/USDT")
        assert canceled["status"] == "canceled"
        with pytest.raises(ccxt.BadRequest, match="-2011"):
            await ex.cancel_order(order["id"], "BTC/USDT")

    run_with(ex, scenario)


def test_mexc_contract_clock_skew(sb: Sandbox) -> None:
    key = KEYS["MEXC Futures"]
    sb.set_fault("clock_skew", key=key.api_key, ms=20_000)
    ex = mexc_client(sb, key)
    expect_error(ex, ex.contract_private_get_account_assets, ccxt.BadRequest, "513")


def test_mexc_order_needs_trading_permission(sb: Sandbox) -> None:
    ex = mexc_client(sb, KEYS["MEXC Read Only"])
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"}
    expect_error(ex, lambda: ex.spot_private_post_order(params), ccxt.AuthenticationError, "700007")


IP_REFUSALS = {
    "700006": "IP [127.0.0.1] not in the ip white list",
    "400006": "the current client IP is: 127.0.0.1.",
}


@pytest.mark.parametrize(
    ("label", "change", "exc", "code"),
    [
        ("MEXC Spot Main", {"apiKey": "mx0vglUNKNOWNKEY00000000"}, ccxt.BadRequest, "10072"),
        ("MEXC Spot Main", {"secret": "wrong-secret"}, ccxt.AuthenticationError, "700002"),
        ("MEXC Wrong IP", {}, ccxt.BadRequest, "700006"),
        ("KuCoin Withdrawal Enabled", {"apiKey": "000000000000000000000000"}, ccxt.AuthenticationError, "400003"),
        ("KuCoin Withdrawal Enabled", {"password": "wrong-passphrase"}, ccxt.AuthenticationError, "400004"),
        # ccxt sends the passphrase HMAC'ed with the secret (key version 2), so a wrong secret
        # already fails the passphrase check, which KuCoin makes before the signature check.
        ("KuCoin Withdrawal Enabled", {"secret": "wrong-secret"}, ccxt.AuthenticationError, "400004"),
        ("KuCoin Wrong IP", {}, ccxt.AuthenticationError, "400006"),
    ],
)  # fmt: skip
def test_spot_auth_errors(sb: Sandbox, label: str, change: dict, exc: type, code: str) -> None:
    key = KEYS[label]
    if key.exchange == "mexc":
        ex = mexc_client(sb, key, **change)
        call = ex.spot_private_get_account
    else:
        ex = kucoin_client(sb, key, **change)
        call = ex.private_get_accounts
    message = expect_error(ex, call, exc, code)
    if code in IP_REFUSALS:
        assert IP_REFUSALS[code] in message


def test_mexc_missing_permission(sb: Sandbox) -> None:
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    expect_error(ex, ex.spot_private_get_capital_config_getall, ccxt.AuthenticationError, "700007")
    assert sb.requests[-1].status == 403


def test_mexc_clock_skew(sb: Sandbox) -> None:
    sb.set_fault("clock_skew", ms=60_000)
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    expect_error(ex, ex.spot_private_get_account, ccxt.InvalidNonce, "700003")
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    server_time = run_with(ex, ex.fetch_time)
    assert server_time - time.time() * 1000 == pytest.approx(60_000, abs=5_000)


@pytest.mark.parametrize(
    ("label", "change", "exc", "code"),
    [
        ("MEXC Futures", {"secret": "wrong-secret"}, ccxt.AuthenticationError, "602"),
        ("MEXC Futures", {"apiKey": "mx0vglUNKNOWNKEY00000000"}, ccxt.BadRequest, "10072"),
        ("MEXC Wrong IP", {}, ccxt.PermissionDenied, "406"),
        ("MEXC Spot Main", {}, ccxt.PermissionDenied, "701"),
    ],
)
def test_mexc_contract_auth_errors(
    sb: Sandbox, label: str, change: dict, exc: type, code: str
) -> None:
    ex = mexc_client(sb, KEYS[label], **change)
    message = expect_error(ex, ex.contract_private_get_account_assets, exc, code)
    assert '"success":false' in message


# ---------------------------------------------------------------------------- KuCoin
def test_kucoin_spot_end_to_end(sb: Sandbox) -> None:
    ex = kucoin_client(sb, KEYS["KuCoin Withdrawal Enabled"])

    async def scenario() -> None:
        markets = await ex.load_markets(False, {"marginables": False})
        assert {"BTC/USDT", "KCS/USDT", "ETH/BTC"} <= set(markets)
        balance = await ex.fetch_balance()
        assert balance["total"]["USDT"] == pytest.approx(12_450.371842)
        assert balance["total"]["ZZZ"] == 1500
        tickers = await ex.fetch_tickers()
        assert tickers["ETH/USDT"]["last"] > 0
        candles = await ex.fetch_ohlcv("ETH/USDT", "15m", limit=10)
        assert len(candles) == 10
        assert all(b[0] - a[0] == 900_000 for a, b in itertools.pairwise(candles))
        assert candles[-1][4] == pytest.approx(tickers["ETH/USDT"]["last"], rel=0.002)
        open_orders = await ex.fetch_open_orders("ETH/USDT")
        assert len(open_orders) == 2
        since = ex.milliseconds() - 6 * DAY_MS
        closed = await ex.fetch_closed_orders("BTC/USDT", since=since)
        assert all(o["status"] in ("closed", "canceled") for o in closed)
        assert all(o["timestamp"] >= since for o in closed)
        trades = await ex.fetch_my_trades("ETH/USDT", since=ex.milliseconds() - 7 * DAY_MS)
        assert all(t["symbol"] == "ETH/USDT" for t in trades)
        info = await ex.private_get_user_api_key()
        assert info["data"]["permission"] == "General,Spot,Withdrawal"
        assert info["data"]["ipWhitelist"] != ""
        assert info["data"]["apiVersion"] == 3

    run_with(ex, scenario)


def test_kucoin_default_load_markets_makes_the_implicit_calls(sb: Sandbox) -> None:
    key = KEYS["KuCoin Futures Conservative"]
    ex = ccxt.kucoin(
        {
            "apiKey": key.api_key,
            "secret": key.secret,
            "password": key.passphrase,
            "enableRateLimit": False,
        }
    )
    for name in ex.urls["api"]:
        ex.urls["api"][name] = sb.base_url("kucoin")
    markets = run_with(ex, ex.load_markets)
    assert "BTC/USDT" in markets
    assert "BTC/USDT:USDT" in markets
    paths = {r.path for r in sb.requests}
    assert {
        "/api/ua/v1/account/mode",
        "/api/v3/currencies",
        "/api/v2/symbols",
        "/api/v3/margin/symbols",
        "/api/v1/isolated/symbols",
        "/api/v1/market/allTickers",
        "/api/v1/contracts/active",
        "/api/v1/hf/accounts/opened",
    } <= paths
    assert all(r.status == 200 for r in sb.requests)


def test_kucoin_futures_positions_and_overview(sb: Sandbox) -> None:
    ex = kucoin_client(sb, KEYS["KuCoin Futures Conservative"], ccxt.kucoinfutures)

    async def scenario() -> None:
        positions = await ex.fetch_positions()
        assert {p["symbol"] for p in positions} == {
            "BTC/USDT:USDT",
            "ETH/USDT:USDT",
            "SOL/USDT:USDT",
        }
        short = next(p for p in positions if p["side"] == "short")
        assert short["marginMode"] == "cross"
        assert short["liquidationPrice"] > short["entryPrice"]
        for p in positions:
            assert p["unrealizedPnl"] is not None
            assert p["markPrice"] > 0
        overview = await ex.futuresPrivateGetAccountOverview({"currency": "USDT"})
        data = overview["data"]
        assert data["currency"] == "USDT"
        assert data["accountEquity"] == pytest.approx(
            data["marginBalance"] + data["unrealisedPNL"], abs=1e-6
        )
        balance = await ex.fetch_balance()
        assert balance["total"]["USDT"] == pytest.approx(data["accountEquity"], rel=1e-3)

    run_with(ex, scenario)


def test_kucoin_bad_signature_and_missing_headers(sb: Sandbox) -> None:
    key = KEYS["KuCoin Withdrawal Enabled"]
    ex = kucoin_client(sb, key)
    request = ex.sign("accounts", ["private"], "GET", {"type": "trade"})
    asyncio.run(ex.close())
    tampered = request["url"].replace("type=trade", "type=main")  # signed for another query

    async def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as r:
            return r.status, await r.json()

    status, body = asyncio.run(fetch(tampered, request["headers"]))
    assert (status, body["code"]) == (401, "400005")
    headers = {k: v for k, v in request["headers"].items() if k != "KC-API-SIGN"}
    status, body = asyncio.run(fetch(request["url"], headers))
    assert (status, body["code"]) == (401, "400001")


def test_kucoin_order_placement_and_cancellation(sb: Sandbox) -> None:
    ex = kucoin_client(sb, KEYS["KuCoin Withdrawal Enabled"])

    async def scenario() -> None:
        await ex.load_markets(False, {"marginables": False})
        order = await ex.create_order("ETH/USDT", "limit", "buy", 0.01, 1_000)
        assert order["id"] in {o["id"] for o in await ex.fetch_open_orders("ETH/USDT")}
        await ex.cancel_order(order["id"], "ETH/USDT")
        with pytest.raises(ccxt.OrderNotFound, match="order_not_exist"):
            await ex.cancel_order(order["id"], "ETH/USDT")

    run_with(ex, scenario)
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
    body = {"symbol": "ETH-USDT", "side": "buy", "type": "limit", "price": "1", "size": "1"}
    expect_error(ex, lambda: ex.private_post_orders(body), ccxt.AuthenticationError, "400007")


def test_kucoin_missing_permission_for_futures(sb: Sandbox) -> None:
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"], ccxt.kucoinfutures)
    call = lambda: ex.futuresPrivateGetAccountOverview({"currency": "USDT"})  # noqa: E731
    expect_error(ex, call, ccxt.AuthenticationError, "400007")
    assert sb.requests[-1].status == 403


def test_kucoin_clock_skew_only_for_the_skewed_key(sb: Sandbox) -> None:
    skewed = KEYS["KuCoin Spot Read Only"]
    sb.set_fault("clock_skew", key=skewed.api_key, ms=-30_000)
    ex = kucoin_client(sb, skewed)
    expect_error(ex, ex.private_get_accounts, ccxt.InvalidNonce, "400002")
    ex = kucoin_client(sb, KEYS["KuCoin Withdrawal Enabled"])
    assert run_with(ex, ex.private_get_accounts)["code"] == "200000"


def test_kucoin_bad_candle_type_is_kucoin_400100(sb: Sandbox) -> None:
    async def fetch() -> tuple[int, dict[str, Any]]:
        url = sb.base_url("kucoin") + "/api/v1/market/candles"
        params = {"symbol": "BTC-USDT", "type": "7min"}
        async with aiohttp.ClientSession() as session, session.get(url, params=params) as r:
            return r.status, await r.json()

    status, body = asyncio.run(fetch())
    assert (status, body["code"]) == (400, "400100")
    assert body["msg"] == "Parameter type is invalid."
    assert sb.requests[-1].status == 400


# ---------------------------------------------------------------------- account ids
def test_keys_of_one_account_report_its_id(sb: Sandbox) -> None:
    def mexc_uid(label: str) -> str:
        ex = mexc_client(sb, KEYS[label])
        return str(run_with(ex, ex.spot_private_get_uid)["uid"])

    def kucoin_uid(label: str) -> str:
        ex = kucoin_client(sb, KEYS[label])
        return str(run_with(ex, ex.private_get_user_api_key)["data"]["uid"])

    # Spot Main, No IP Restriction and Read Only are keys of the MEXC "main" account.
    main = {
        mexc_uid(label) for label in ("MEXC Spot Main", "MEXC No IP Restriction", "MEXC Read Only")
    }
    assert len(main) == 1
    futures = mexc_uid("MEXC Futures")  # the "futures" account
    assert futures not in main
    kucoin_main = {
        kucoin_uid(label) for label in ("KuCoin Spot Read Only", "KuCoin Withdrawal Enabled")
    }
    assert len(kucoin_main) == 1
    assert kucoin_uid("KuCoin Futures Conservative") not in kucoin_main
    assert kucoin_main.isdisjoint(main)  # accounts on different exchanges are different
    assert mexc_uid("MEXC Spot Main") == next(iter(main))  # stable from call to call


# ---------------------------------------------------------------------------- faults
def test_rate_limit_has_retry_after_and_the_exchange_body(sb: Sandbox) -> None:
    sb.set_fault("rate_limit", retry_after=2, count=1)
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])

    async def scenario() -> None:
        with pytest.raises(ccxt.RateLimitExceeded, match='"code":429'):
            await ex.spot_private_get_account()
        assert ex.last_response_headers["Retry-After"] == "2"
        assert "balances" in await ex.spot_private_get_account()  # count=1: back to normal

    run_with(ex, scenario)
    sb.set_fault("rate_limit", retry_after=1)
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
    expect_error(ex, ex.private_get_accounts, ccxt.RateLimitExceeded, "429000")
    assert sb.requests[-1].status == 429


@pytest.mark.parametrize(
    ("exchange", "status", "html", "code"),
    [("mexc", 502, True, "502 Bad Gateway"), ("mexc", 503, False, '"code":503'),
     ("kucoin", 502, True, "502 Bad Gateway"), ("kucoin", 500, False, "500000")],
)  # fmt: skip
def test_server_errors(sb: Sandbox, exchange: str, status: int, html: bool, code: str) -> None:
    sb.set_fault("server_error", status=status, html=html)
    if exchange == "mexc":
        ex = mexc_client(sb, KEYS["MEXC Spot Main"])
        expect_error(ex, ex.spot_private_get_account, ccxt.ExchangeNotAvailable, code)
    else:
        ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
        expect_error(ex, ex.private_get_accounts, ccxt.ExchangeNotAvailable, code)
    assert sb.requests[-1].status == status


def test_maintenance(sb: Sandbox) -> None:
    sb.set_fault("maintenance")
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    expect_error(ex, ex.spot_private_get_account, ccxt.OnMaintenance, "Under maintenance")
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
    expect_error(ex, ex.private_get_accounts, ccxt.ExchangeNotAvailable, "503")
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
    status = run_with(ex, ex.fetch_status)
    assert status["status"] == "maintenance"
    assert status["info"]["data"]["status"] == "close"


def test_malformed_json_reaches_the_caller_as_text(sb: Sandbox) -> None:
    sb.set_fault("malformed_json")
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    body = run_with(ex, ex.spot_private_get_account)
    assert isinstance(body, str)
    assert body.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
    body = run_with(ex, ex.private_get_user_api_key)
    assert isinstance(body, str)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_timeout_and_quick_stop() -> None:
    with Sandbox() as sandbox:
        sandbox.set_fault("timeout")
        ex = mexc_client(sandbox, KEYS["MEXC Spot Main"], timeout=1_000)
        started = time.perf_counter()
        with pytest.raises(ccxt.RequestTimeout):
            run_with(ex, ex.fetch_time)
        assert time.perf_counter() - started < 3
        started = time.perf_counter()
    assert time.perf_counter() - started < 2  # stop() does not wait for the held request


def test_per_key_fault_affects_only_that_key(sb: Sandbox) -> None:
    main, other = KEYS["MEXC Spot Main"], KEYS["MEXC No IP Restriction"]
    sb.set_fault("server_error", key=main.api_key)
    ex = mexc_client(sb, main)
    expect_error(ex, ex.spot_private_get_account, ccxt.ExchangeNotAvailable, "502")
    ex = mexc_client(sb, other)
    assert "balances" in run_with(ex, ex.spot_private_get_account)
    ex = mexc_client(sb, main)
    assert run_with(ex, ex.fetch_time) > 0  # public requests carry no key


def test_requests_are_recorded(sb: Sandbox) -> None:
    key = KEYS["MEXC Spot Main"]
    ex = mexc_client(sb, key)
    run_with(ex, lambda: ex.spot_private_get_openorders({"symbol": "ETHUSDT"}))
    record = sb.requests[-1]
    assert (record.exchange, record.method, record.path) == ("mexc", "GET", "/api/v3/openOrders")
    assert record.query["symbol"] == "ETHUSDT"
    assert "signature" in record.query
    assert (record.api_key, record.status) == (key.api_key, 200)
    sb.clear_requests()
    assert sb.requests == []


def test_latency_overlaps_and_keep_alive_works(sb: Sandbox) -> None:
    sb.set_fault("latency", seconds=0.2)

    async def scenario() -> list[int]:
        connector = aiohttp.TCPConnector(limit=50)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def get() -> int:
                async with session.get(sb.base_url("mexc") + "/api/v3/time") as response:
                    await response.read()
                    return response.status

            started = time.perf_counter()
            statuses = await asyncio.gather(*(get() for _ in range(40)))
            assert time.perf_counter() - started < 1.5  # 40 x 0.2 s would be 8 s serially
            statuses += [await get() for _ in range(3)]  # reuses pooled connections
            return statuses

    assert asyncio.run(scenario()) == [200] * 43


def test_unknown_paths_get_the_exchange_404(sb: Sandbox) -> None:
    ex = kucoin_client(sb, KEYS["KuCoin Spot Read Only"])
    expect_error(ex, lambda: ex.request("nope", ["public"]), ccxt.NotSupported, "404000")
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    expect_error(ex, lambda: ex.request("nope", ["spot", "public"]), ccxt.ExchangeError, "404")
    ex = mexc_client(sb, KEYS["MEXC Spot Main"])
    call = lambda: ex.request("nope", ["contract", "public"])  # noqa: E731
    expect_error(ex, call, ccxt.ExchangeError, '"success":false')


# ------------------------------------------------------------------- accounts and data
@pytest.mark.parametrize("account", ["empty", "zero"])
def test_empty_and_zero_accounts(sb: Sandbox, account: str) -> None:
    template = KEYS["MEXC Spot Main"]
    key = DemoKey(
        f"MEXC {account} (test)", "mexc", f"mx0vglTEST{account.upper():0<15}", "test-secret",
        permissions=template.permissions, account=account,
    )  # fmt: skip
    sb.add_key(key)
    ex = mexc_client(sb, key)
    body = run_with(ex, ex.spot_private_get_account)
    amounts = [float(b["free"]) + float(b["locked"]) for b in body["balances"]]
    if account == "empty":
        assert amounts == []
    else:
        assert amounts
        assert set(amounts) == {0.0}


def test_order_history_of_ten_thousand_orders() -> None:
    with Sandbox(order_history={"main": 10_000}) as sandbox:
        ex = mexc_client(sandbox, KEYS["MEXC Spot Main"])

        async def scenario() -> int:
            now = ex.milliseconds()
            total = 0
            for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "MXUSDT"):
                start = now - 91 * DAY_MS
                while start < now:
                    end = start + 7 * DAY_MS
                    rows = await ex.spot_private_get_allorders(
                        {"symbol": symbol, "startTime": start, "endTime": end - 1, "limit": 1000}
                    )
                    assert len(rows) < 1000
                    total += sum(1 for r in rows if r["status"] not in ("NEW", "PARTIALLY_FILLED"))
                    start = end
            few = await ex.spot_private_get_allorders(
                {"symbol": "BTCUSDT", "startTime": now - 7 * DAY_MS, "limit": 5}
            )
            assert len(few) == 5
            return total

        assert run_with(ex, scenario) == 10_000


def test_order_history_size_for_every_account() -> None:
    sandbox = Sandbox(order_history=50)
    for name, open_orders in (("main", 5), ("futures", 2), ("empty", 0)):
        account = sandbox.world.account("kucoin", name)
        assert len(account.all_orders(0, 2**62)) == (50 if name != "empty" else 0) + open_orders


def test_fault_arguments_are_checked(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sb.set_fault("earthquake")
    with pytest.raises(ValueError, match="no parameter"):
        sb.set_fault("latency", secs=1)
    with pytest.raises(ValueError, match="count"):
        sb.set_fault("rate_limit", count=0)


def test_candles_are_deterministic_per_seed() -> None:
    async def candles(sandbox: Sandbox) -> list[list[Any]]:
        params = {
            "symbol": "BTCUSDT",
            "interval": "60m",
            "startTime": 1_790_000_000_000,
            "limit": 50,
        }
        async with aiohttp.ClientSession() as session:
            url = sandbox.base_url("mexc") + "/api/v3/klines"
            async with session.get(url, params=params) as response:
                return await response.json()

    with Sandbox(seed=7) as a, Sandbox(seed=7) as b, Sandbox(seed=8) as c:
        first, second, third = (asyncio.run(candles(s)) for s in (a, b, c))
    assert first == second
    assert len(first) == 50
    assert first != third
