"""The KuCoin dialect: routes, signing and fault replies of KuCoin spot and futures.

Written from KuCoin's API documentation (reference/exchanges.md section 2), independently of
backfuture_core.exchanges. Spot (api.kucoin.com) and futures (api-futures.kucoin.com) paths
share one URL prefix here. The two paths both hosts have (``/api/v1/orders`` and
``/api/v1/fills``) are served as futures when the symbol is a futures contract or the request
carries ccxt's futures partner header (``KC-API-PARTNER: ccxtfutures``); ``/api/v1/timestamp``
and ``/api/v1/status`` answer the same on both.

Signed requests carry ``KC-API-KEY``, ``KC-API-TIMESTAMP``, ``KC-API-PASSPHRASE`` (base64
HMAC-SHA256 of the passphrase with the secret), ``KC-API-KEY-VERSION`` (2 or 3) and
``KC-API-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + path[?query] + body))``,
the query taken URL-decoded.
"""

from __future__ import annotations

from urllib.parse import unquote

from backfuture_core.sandbox.dialects.base import (
    Dialect,
    KeyLookup,
    Private,
    Public,
    Route,
    hmac_b64,
    same_signature,
)
from backfuture_core.sandbox.dialects.kucoin_account import KucoinAccount
from backfuture_core.sandbox.dialects.kucoin_futures import PERPS, KucoinFutures
from backfuture_core.sandbox.dialects.kucoin_market import KucoinMarket
from backfuture_core.sandbox.dialects.kucoin_replies import ERRORS, ok
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import ErrorTable, Reply, Request, nginx_reply, parse_int
from backfuture_core.sandbox.world import World

TIMESTAMP_WINDOW = 5_000
SIGNED_HEADERS = ("KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE")
KEY_VERSIONS = ("2", "3")
FUTURES_PARTNER = "ccxtfutures"
SIGNED = "signed"  # KuCoin has one signing scheme
ORDER_PATH = "/api/v1/orders/"  # DELETE /api/v1/orders/{orderId}
ACCOUNT_MODE = "/api/ua/v1/account/mode"


class KucoinDialect(Dialect):
    name = "kucoin"

    def __init__(self, world: World, keys: KeyLookup) -> None:
        super().__init__(world, keys)
        market, account, futures = KucoinMarket(world), KucoinAccount(world), KucoinFutures(world)
        general, spot = "General", "Spot"
        self.routes = {
            ("GET", "/api/v1/timestamp"): Public(market.timestamp),
            ("GET", "/api/v1/status"): Public(market.status),
            ("GET", "/api/v3/currencies"): Public(market.currencies),
            ("GET", "/api/v2/symbols"): Public(market.symbols),
            ("GET", "/api/v1/market/allTickers"): Public(market.all_tickers),
            ("GET", "/api/v1/market/stats"): Public(market.market_stats),
            ("GET", "/api/v1/market/candles"): Public(market.candles),
            ("GET", "/api/v3/margin/symbols"): Private(market.margin_symbols, SIGNED, general),
            ("GET", "/api/v1/isolated/symbols"): Private(market.isolated_symbols, SIGNED, general),
            ("GET", "/api/v1/user/api-key"): Private(account.api_key_info, SIGNED, general),
            ("GET", "/api/v1/accounts"): Private(account.accounts, SIGNED, general),
            ("GET", "/api/v1/orders"): Private(account.orders, SIGNED, general),
            ("POST", "/api/v1/orders"): Private(account.new_order, SIGNED, spot),
            ("GET", "/api/v1/fills"): Private(account.fills, SIGNED, general),
            ("GET", "/api/v1/hf/accounts/opened"): Private(account.hf_opened, SIGNED, general),
            ("GET", ACCOUNT_MODE): Private(account.account_mode, SIGNED, general),
            ("GET", "/api/v1/contracts/active"): Public(futures.contracts_active),
            ("GET", "/api/v1/ticker"): Public(futures.ticker),
            ("GET", "/api/v1/allTickers"): Public(futures.all_tickers),
            ("GET", "/api/v1/account-overview"): Private(
                futures.account_overview, SIGNED, "Futures"
            ),
            ("GET", "/api/v1/positions"): Private(futures.positions, SIGNED, "Futures"),
        }
        # The paths both hosts serve, as the futures host answers them.
        self.futures_routes: dict[tuple[str, str], Route] = {
            ("GET", "/api/v1/orders"): Private(futures.no_rows, SIGNED, "Futures"),
            ("GET", "/api/v1/fills"): Private(futures.no_rows, SIGNED, "Futures"),
        }
        self.cancel_route = Private(account.cancel_order, SIGNED, spot)

    def route(self, req: Request) -> Route:
        if req.method == "DELETE" and req.path.startswith(ORDER_PATH):
            return self.cancel_route
        futures = self.futures_routes.get((req.method, req.path))
        if futures is not None and self._is_futures(req):
            return futures
        return super().route(req)

    def _is_futures(self, req: Request) -> bool:
        symbol = req.query.get("symbol")
        if symbol:
            return symbol in PERPS
        return req.headers.get("KC-API-PARTNER") == FUTURES_PARTNER

    def errors_for(self, req: Request) -> ErrorTable:
        return ERRORS

    def maintenance(self, req: Request) -> Reply:
        if req.path == "/api/v1/status":
            return ok({"status": "close", "msg": "System maintenance in progress"})
        return nginx_reply(503, 503)

    def account_state(self, req: Request, state: str) -> Reply | None:
        """``unified``: the account is a Unified Trading Account (its mode says so); other
        states are KuCoin's own errors (see the base)."""
        if state == "unified":
            return ok({"selfAccountMode": "UNIFIED"}) if req.path == ACCOUNT_MODE else None
        return super().account_state(req, state)

    # ------------------------------------------------------------------------ auth
    def api_key_of(self, req: Request) -> str | None:
        return req.headers.get("KC-API-KEY")

    def authenticate(self, req: Request, route: Private) -> DemoKey:
        """KuCoin's order of checks: headers, key, version, time, passphrase, signature,
        then IP list and permission."""
        h = req.headers
        if any(not h.get(name) for name in SIGNED_HEADERS):
            raise ERRORS("missing_headers")
        key = self.signing_key(
            h["KC-API-KEY"], ERRORS, missing="missing_headers", unknown="unknown_key"
        )
        if key.passphrase is None:  # never: a KuCoin key has one
            raise ERRORS("unknown_key")
        if h.get("KC-API-KEY-VERSION", "2") not in KEY_VERSIONS:
            raise ERRORS("key_version")
        timestamp = h["KC-API-TIMESTAMP"]
        sent = parse_int(timestamp)
        if sent is None or abs(req.now_ms - sent) > TIMESTAMP_WINDOW:
            raise ERRORS("timestamp")
        if not same_signature(hmac_b64(key.secret, key.passphrase), h["KC-API-PASSPHRASE"]):
            raise ERRORS("passphrase")
        endpoint = req.path + ("?" + unquote(req.raw_query) if req.raw_query else "")
        expected = hmac_b64(key.secret, timestamp + req.method + endpoint + req.body)
        if not same_signature(expected, h["KC-API-SIGN"]):
            raise ERRORS("signature")
        return self.admit(key, req, route.permission, ERRORS)
