"""The Bybit dialect: routes, signing and fault replies of the v5 API (``/v5/...``).

Written from Bybit's v5 documentation (reference/exchanges.md sections 3.8 and 5),
independently of backfuture_core.exchanges. Signed calls carry ``X-BAPI-API-KEY``,
``X-BAPI-TIMESTAMP``, ``X-BAPI-RECV-WINDOW`` and ``X-BAPI-SIGN = hex(HMAC_SHA256(secret,
timestamp + api_key + recv_window + (query string | JSON body)))``; the request is valid when
``server_time - recv_window <= timestamp < server_time + 1000``.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import (
    OneTableDialect,
    Private,
    Public,
    RouteTable,
    hex_signed,
)
from backfuture_core.sandbox.dialects.bybit_account import BybitAccount
from backfuture_core.sandbox.dialects.bybit_errors import ERRORS
from backfuture_core.sandbox.dialects.bybit_market import BybitMarket
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Request, parse_int
from backfuture_core.sandbox.world import World

RECV_WINDOW = 5_000
SIGNED = "v5"
# A permission-like marker of the sandbox: the account is under a compliance review (10024).
RESTRICTED = "Compliance:Restricted"


class BybitDialect(OneTableDialect):
    name, errors, key_header = "bybit", ERRORS, "X-BAPI-API-KEY"

    def route_table(self, world: World) -> RouteTable:
        market, account = BybitMarket(world), BybitAccount(world)
        v5 = "/v5/"
        return {
            ("GET", v5 + "market/time"): Public(market.time),
            ("GET", v5 + "market/instruments-info"): Public(market.instruments),
            ("GET", v5 + "market/tickers"): Public(market.tickers),
            ("GET", v5 + "market/kline"): Public(market.kline),
            ("GET", v5 + "user/query-api"): Private(account.query_api, SIGNED),
            ("GET", v5 + "account/info"): Private(account.account_info, SIGNED),
            ("GET", v5 + "account/wallet-balance"): Private(account.wallet_balance, SIGNED),
            ("GET", v5 + "position/list"): Private(account.positions, SIGNED),
            ("GET", v5 + "order/realtime"): Private(account.open_orders, SIGNED),
            ("GET", v5 + "order/history"): Private(account.order_history, SIGNED),
            ("GET", v5 + "execution/list"): Private(account.executions, SIGNED),
        }

    def authenticate(self, req: Request, route: Private) -> DemoKey:
        api_key = req.headers.get("X-BAPI-API-KEY")
        key = self.signing_key(api_key, ERRORS, missing="invalid_key", unknown="invalid_key")
        sent = req.headers.get("X-BAPI-TIMESTAMP", "")
        window_text = req.headers.get("X-BAPI-RECV-WINDOW", "")
        payload = (
            sent
            + (api_key or "")
            + window_text
            + (req.body if req.method == "POST" else req.raw_query)
        )
        if not hex_signed(key.secret, payload, req.headers.get("X-BAPI-SIGN", "")):
            raise ERRORS("signature")
        timestamp = parse_int(sent)
        window = parse_int(window_text) or RECV_WINDOW
        if timestamp is None or not (req.now_ms - window <= timestamp < req.now_ms + 1000):
            raise ERRORS("timestamp", sent=sent, now=req.now_ms, window=window)
        self.admit(key, req, route.permission, ERRORS)
        if RESTRICTED in key.permissions and route.handler.__name__ != "query_api":
            raise ERRORS("restricted")
        return key
