"""The OKX dialect: routes, signing and fault replies of OKX's v5 REST API.

Written from OKX's API documentation (reference/exchanges.md section 3.2), independently of
backfuture_core.exchanges. Signed requests carry ``OK-ACCESS-KEY``, ``OK-ACCESS-PASSPHRASE``
(the passphrase in plain text), ``OK-ACCESS-TIMESTAMP`` (ISO 8601 with milliseconds, UTC) and
``OK-ACCESS-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + requestPath[?query] +
body))``, the query exactly as sent. A timestamp more than 30 seconds from the server's time is
refused. Every key reads; "trade" and "withdraw" are the other permissions.
"""

from __future__ import annotations

from datetime import datetime

from backfuture_core.sandbox.dialects.base import (
    OneTableDialect,
    Private,
    RouteTable,
    get_routes,
)
from backfuture_core.sandbox.dialects.okx_account import OkxAccount
from backfuture_core.sandbox.dialects.okx_market import OkxMarket
from backfuture_core.sandbox.dialects.okx_replies import ERRORS
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Request
from backfuture_core.sandbox.world import World

TIMESTAMP_WINDOW = 30_000
SIGNED = "signed"
PREFIX = "/api/v5"
HEADERS = (
    ("OK-ACCESS-KEY", "missing_key"),
    ("OK-ACCESS-SIGN", "missing_sign"),
    ("OK-ACCESS-TIMESTAMP", "missing_timestamp"),
    ("OK-ACCESS-PASSPHRASE", "missing_passphrase"),
)


def _iso_ms(text: str) -> int | None:
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


class OkxDialect(OneTableDialect):
    name, errors, key_header = "okx", ERRORS, "OK-ACCESS-KEY"

    def route_table(self, world: World) -> RouteTable:
        market, account = OkxMarket(world), OkxAccount(world)
        public = {
            "/public/time": market.time,
            "/system/status": market.status,
            "/public/instruments": market.instruments,
            "/market/tickers": market.tickers,
            "/market/ticker": market.ticker,
            "/market/candles": market.candles,
            "/market/history-candles": market.history_candles,
        }
        private = {
            "/account/config": (account.config, None),
            "/account/balance": (account.balance, None),
            "/account/positions": (account.positions, None),
            "/trade/orders-pending": (account.orders_pending, None),
            "/trade/orders-history": (account.orders_history, None),
            "/trade/orders-history-archive": (account.orders_history_archive, None),
            "/trade/fills": (account.fills, None),
            "/trade/fills-history": (account.fills_history, None),
        }
        return get_routes(public, private, SIGNED, PREFIX)

    def authenticate(self, req: Request, route: Private) -> DemoKey:
        """OKX's order of checks: headers, timestamp, key, passphrase, signature, IP list,
        permission, then the account's own state."""
        key = self.passphrase_key(
            req,
            ERRORS,
            HEADERS,
            sent_ms=_iso_ms,
            bad_timestamp="bad_timestamp",
            window=TIMESTAMP_WINDOW,
            query=req.raw_query,  # OKX signs the query exactly as sent
        )
        self.admit(key, req, route.permission, ERRORS)
        if key.account == "restricted":
            raise ERRORS("account_restricted")
        return key
