"""The Bitget dialect: routes, signing and fault replies of Bitget's v2 REST API (spot and
USDT-M futures, "mix").

Written from Bitget's API documentation (reference/exchanges.md section 3.3), independently of
backfuture_core.exchanges. Signed requests carry ``ACCESS-KEY``, ``ACCESS-PASSPHRASE`` (plain
text), ``ACCESS-TIMESTAMP`` (milliseconds) and ``ACCESS-SIGN = base64(HMAC_SHA256(secret,
timestamp + METHOD + requestPath[?queryString] + body))``, the query string taken decoded; a
timestamp more than 30 seconds from the server's time is refused. A key's ``authorities`` are
four-letter codes: "...r" read only, "...w" read and write, per business (``st`` spot trade,
``co`` futures orders, ``cp`` futures holdings, ``ww`` withdrawal).
"""

from __future__ import annotations

from urllib.parse import unquote

from backfuture_core.sandbox.dialects.base import (
    OneTableDialect,
    Private,
    RouteTable,
    get_routes,
)
from backfuture_core.sandbox.dialects.bitget_account import BitgetAccount
from backfuture_core.sandbox.dialects.bitget_market import BitgetMarket
from backfuture_core.sandbox.dialects.bitget_replies import ERRORS
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Request, parse_int
from backfuture_core.sandbox.world import World

TIMESTAMP_WINDOW = 30_000
SIGNED = "signed"
SPOT_READ, FUTURES_READ = "spot", "futures"
# The authorities that open each group of endpoints (a read-write code reads too).
GROUPS = {SPOT_READ: {"stor", "stow"}, FUTURES_READ: {"coor", "coow", "cpor", "cpow"}}
HEADERS = (
    ("ACCESS-KEY", "missing_key"),
    ("ACCESS-SIGN", "missing_sign"),
    ("ACCESS-TIMESTAMP", "missing_timestamp"),
    ("ACCESS-PASSPHRASE", "missing_passphrase"),
)


class BitgetDialect(OneTableDialect):
    name, errors, key_header = "bitget", ERRORS, "ACCESS-KEY"

    def route_table(self, world: World) -> RouteTable:
        market, account = BitgetMarket(world), BitgetAccount(world)
        public = {
            "/api/v2/public/time": market.time,
            "/api/v2/spot/public/symbols": market.symbols,
            "/api/v2/spot/market/tickers": market.tickers,
            "/api/v2/spot/market/candles": market.candles,
            "/api/v2/mix/market/contracts": market.contracts,
            "/api/v2/mix/market/tickers": market.mix_tickers,
            "/api/v2/margin/currencies": market.margin_currencies,
        }
        private = {
            "/api/v2/spot/account/info": (account.info, SPOT_READ),
            "/api/v2/spot/account/assets": (account.assets, SPOT_READ),
            "/api/v2/spot/trade/unfilled-orders": (account.unfilled_orders, SPOT_READ),
            "/api/v2/spot/trade/history-orders": (account.history_orders, SPOT_READ),
            "/api/v2/spot/trade/fills": (account.fills, SPOT_READ),
            "/api/v2/mix/account/accounts": (account.mix_accounts, FUTURES_READ),
            "/api/v2/mix/position/all-position": (account.positions, FUTURES_READ),
            "/api/v2/mix/order/orders-pending": (account.no_mix_orders, FUTURES_READ),
            "/api/v2/mix/order/orders-history": (account.no_mix_orders, FUTURES_READ),
            "/api/v2/mix/order/fills": (account.no_mix_fills, FUTURES_READ),
            "/api/v2/mix/order/fill-history": (account.no_mix_fills, FUTURES_READ),
        }
        return get_routes(public, private, SIGNED)

    def authenticate(self, req: Request, route: Private) -> DemoKey:
        """Bitget's order of checks: headers, timestamp, key, passphrase, signature, IP list,
        authorities, then the account's own state."""
        key = self.passphrase_key(
            req,
            ERRORS,
            HEADERS,
            sent_ms=parse_int,
            bad_timestamp="missing_timestamp",
            window=TIMESTAMP_WINDOW,
            query=unquote(req.raw_query),  # Bitget signs the query string decoded
        )
        self.admit(key, req, None, ERRORS)
        if route.permission and not GROUPS[route.permission] & set(key.permissions):
            raise ERRORS("no_permission")
        if key.account == "restricted":
            raise ERRORS("account_restricted")
        return key
