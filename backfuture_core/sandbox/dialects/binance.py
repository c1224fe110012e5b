"""The Binance dialect: routes, signing and fault replies of the spot (``/api/v3``), wallet
(``/sapi/v1``) and USD-M futures (``/fapi``) APIs.

Written from Binance's API documentation (reference/exchanges.md section 3.1), independently of
backfuture_core.exchanges. Signed ("USER_DATA") calls carry ``X-MBX-APIKEY`` and every parameter
in the query string (or the form body), ending with
``signature = hex(HMAC_SHA256(secret, query + body before &signature))``; the request is valid
when ``timestamp < serverTime + 1000`` and ``serverTime - timestamp <= recvWindow`` (default
5000, at most 60000).
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import (
    OneTableDialect,
    Private,
    Public,
    RouteTable,
    check_recv_window,
    hex_signed,
)
from backfuture_core.sandbox.dialects.binance_account import BinanceAccount
from backfuture_core.sandbox.dialects.binance_errors import ERRORS
from backfuture_core.sandbox.dialects.binance_market import BinanceMarket
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Request
from backfuture_core.sandbox.world import World

RECV_WINDOW = 5_000
RECV_WINDOW_MAX = 60_000
SIGNED = "hmac"
READ, FUTURES = "enableReading", "enableFutures"


class BinanceDialect(OneTableDialect):
    # the spot, wallet and futures APIs share the codes the sandbox serves
    name, errors, key_header = "binance", ERRORS, "X-MBX-APIKEY"

    def route_table(self, world: World) -> RouteTable:
        market, account = BinanceMarket(world), BinanceAccount(world)
        v3, fapi = "/api/v3/", "/fapi/"
        return {
            ("GET", v3 + "ping"): Public(market.ping),
            ("GET", v3 + "time"): Public(market.time),
            ("GET", v3 + "exchangeInfo"): Public(market.exchange_info),
            ("GET", v3 + "ticker/24hr"): Public(market.ticker_24hr),
            ("GET", v3 + "klines"): Public(market.klines),
            ("GET", "/sapi/v1/account/apiRestrictions"): Private(account.api_restrictions, SIGNED),
            ("GET", v3 + "account"): Private(account.account, SIGNED, READ),
            ("GET", v3 + "openOrders"): Private(account.open_orders, SIGNED, READ),
            ("GET", v3 + "allOrders"): Private(account.all_orders, SIGNED, READ),
            ("GET", v3 + "myTrades"): Private(account.my_trades, SIGNED, READ),
            ("GET", fapi + "v1/time"): Public(market.time),
            ("GET", fapi + "v1/ping"): Public(market.ping),
            ("GET", fapi + "v1/exchangeInfo"): Public(market.futures_exchange_info),
            ("GET", fapi + "v1/ticker/24hr"): Public(market.futures_ticker_24hr),
            ("GET", fapi + "v1/klines"): Public(market.futures_klines),
            ("GET", fapi + "v3/account"): Private(account.futures_account, SIGNED, FUTURES),
            ("GET", fapi + "v2/account"): Private(account.futures_account, SIGNED, FUTURES),
            ("GET", fapi + "v3/positionRisk"): Private(account.position_risk, SIGNED, FUTURES),
            ("GET", fapi + "v2/positionRisk"): Private(account.position_risk, SIGNED, FUTURES),
            ("GET", fapi + "v1/leverageBracket"): Private(
                account.leverage_bracket, SIGNED, FUTURES
            ),
            ("GET", fapi + "v1/openOrders"): Private(account.no_rows, SIGNED, FUTURES),
            ("GET", fapi + "v1/allOrders"): Private(account.no_rows, SIGNED, FUTURES),
            ("GET", fapi + "v1/userTrades"): Private(account.no_rows, SIGNED, FUTURES),
        }

    def authenticate(self, req: Request, route: Private) -> DemoKey:
        api_key = req.headers.get("X-MBX-APIKEY")
        key = self.signing_key(api_key, ERRORS, missing="api_key_format", unknown="invalid_key")
        if not key.allows_ip(req.remote):  # Binance refuses the IP before the signature
            raise ERRORS("ip")
        total = req.raw_query + req.body
        payload, _, signature = total.rpartition("signature=")
        payload = payload.removesuffix("&")
        if not hex_signed(key.secret, payload, signature):
            raise ERRORS("signature")
        check_recv_window(
            req,
            ERRORS,
            default=RECV_WINDOW,
            maximum=RECV_WINDOW_MAX,
            missing="missing",
            name="timestamp",
        )
        return self.admit(key, req, route.permission, ERRORS)
