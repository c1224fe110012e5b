"""MEXC spot v3 and contract v1, as much of them as ccxt and BackFuture use.

Written from MEXC's API documentation (see reference/exchanges.md section 1), independently of
backfuture_core.exchanges: it keeps its own error bodies. Paths are those of api.mexc.com:

* spot v3: ``/api/v3/...``; private calls carry ``X-MEXC-APIKEY`` and every parameter in the
  query string, signed with ``signature = hex(HMAC_SHA256(secret, query before &signature))``;
* contract v1: public ``/api/v1/contract/...``, private ``/api/v1/private/...`` signed with the
  headers ``ApiKey``, ``Request-Time`` and ``Signature = hex(HMAC_SHA256(secret, ApiKey +
  Request-Time + (sorted query | JSON body)))``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from backfuture_core.sandbox.messages import (
    HTML_502,
    HTML_503,
    KeyLookup,
    Reply,
    Request,
    html_reply,
    json_reply,
)
from backfuture_core.sandbox.prices import (
    ASSETS,
    DAY_MS,
    MINUTE_MS,
    MONTH,
    PERPETUALS,
    SPOT_PAIRS,
    WEEK_MS,
    Pair,
    Perpetual,
    candle_starts,
    hash64,
    num,
    series_bounds,
    text_key,
    unit,
)
from backfuture_core.sandbox.world import Account, DemoKey, Order, Trade, World

SPOT_RECV_WINDOW_MAX = 60_000
CONTRACT_TIME_WINDOW = 10_000
KLINE_INTERVALS: dict[str, int | str] = {
    "1m": MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "60m": 60 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "1d": DAY_MS,
    "1W": WEEK_MS,
    "1M": MONTH,
}
ORDERS_WINDOW_MS = 7 * DAY_MS
MAINTENANCE_ANNOUNCEMENT = "https://www.mexc.com/support/articles/17827791510263"

# The sandbox's own table of MEXC error replies: (HTTP status, body).
SPOT_ERRORS: dict[str, tuple[int, dict[str, object]]] = {
    "api_key_required": (400, {"code": 400, "msg": "api key required"}),
    "invalid_key": (400, {"code": 10072, "msg": "Api key info invalid"}),
    "signature": (400, {"code": 700002, "msg": "Signature for this request is not valid."}),
    "timestamp": (
        400,
        {"code": 700003, "msg": "Timestamp for this request is outside of the recvWindow."},
    ),
    "recv_window": (400, {"code": 700005, "msg": "recvWindow must less than 60000"}),
    "no_permission": (403, {"code": 700007, "msg": "No permission to access the endpoint."}),
    "unknown_order": (400, {"code": -2011, "msg": "Unknown order sent."}),
    "order_not_exist": (400, {"code": -2013, "msg": "Order does not exist."}),
    "invalid_symbol": (400, {"code": -1121, "msg": "Invalid symbol."}),
    "invalid_interval": (400, {"code": -1120, "msg": "Invalid interval."}),
    "access_key_null": (400, {"code": 730707, "msg": "accessKey cannot be null"}),
    "api_key_not_exist": (400, {"code": 730706, "msg": "API KEY information does not exist"}),
    "not_found": (404, {"code": 404, "msg": "Not Found"}),
    "method_not_allowed": (405, {"code": 405, "msg": "Method Not Allowed"}),
    "rate_limit": (429, {"code": 429, "msg": "Too Many Requests"}),
    "server_error": (503, {"code": 503, "msg": "service not available, please try again"}),
    "maintenance": (
        503,
        {
            "code": 500,
            "message": "Under maintenance, please try again later",
            "announcement": MAINTENANCE_ANNOUNCEMENT,
        },
    ),
}
CONTRACT_ERRORS: dict[str, tuple[int, dict[str, object]]] = {
    "not_logged_in": (
        200,
        {"success": False, "code": 401, "message": "Not logged in or login has expired"},
    ),
    "invalid_key": (200, {"success": False, "code": 10072, "message": "Invalid access key"}),
    "request_time": (
        200,
        {
            "success": False,
            "code": 513,
            "message": "Invalid request(for open api serves time more or less than 10 seconds)",
        },
    ),
    "signature": (
        200,
        {"success": False, "code": 602, "message": "Signature verification failed!"},
    ),
    "ip": (
        200,
        {"success": False, "code": 406, "message": "Accessing IP is not in the whitelist!"},
    ),
    "no_permission": (
        200,
        {"success": False, "code": 701, "message": "Please enable API Key read access"},
    ),
    "not_found": (404, {"success": False, "code": 404, "message": "Not Found"}),
    "rate_limit": (
        429,
        {
            "success": False,
            "code": 510,
            "message": "Requests are too frequent, please try again later",
        },
    ),
    "server_error": (
        503,
        {"success": False, "code": 503, "message": "System busy, try again later"},
    ),
}

CONTRACT_PUBLIC = "/api/v1/contract/"
CONTRACT_PRIVATE = "/api/v1/private/"


def _error(table: dict[str, tuple[int, dict[str, object]]], name: str) -> Reply:
    status, body = table[name]
    return json_reply(body, status)


def _missing(name: str) -> Reply:
    return json_reply(
        {
            "code": 700004,
            "msg": f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
        },
        400,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _sign_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _signed(key: DemoKey | None) -> DemoKey:
    """The key of an authenticated request (routes with a permission always have one)."""
    if key is None:
        raise RuntimeError("a private handler ran without an authenticated key")
    return key


Handler = Callable[[Request, DemoKey | None], Reply]


@dataclass(frozen=True)
class Route:
    handler: Handler
    auth: str  # "public" | "spot" | "contract"
    permission: str | None = None


class MexcApi:
    name = "mexc"

    def __init__(self, world: World, keys: KeyLookup) -> None:
        self.world = world
        self.keys = keys
        self.pairs: dict[str, Pair] = {p.base + p.quote: p for p in SPOT_PAIRS["mexc"]}
        self.perps: dict[str, Perpetual] = {p.mexc_symbol: p for p in PERPETUALS}
        spot, contract = "spot", "contract"
        self.routes: dict[tuple[str, str], Route] = {
            ("GET", "/api/v3/ping"): Route(self.ping, "public"),
            ("GET", "/api/v3/time"): Route(self.time, "public"),
            ("GET", "/api/v3/exchangeInfo"): Route(self.exchange_info, "public"),
            ("GET", "/api/v3/ticker/24hr"): Route(self.ticker_24hr, "public"),
            ("GET", "/api/v3/ticker/price"): Route(self.ticker_price, "public"),
            ("GET", "/api/v3/ticker/bookTicker"): Route(self.book_ticker, "public"),
            ("GET", "/api/v3/klines"): Route(self.klines, "public"),
            ("GET", "/api/v3/apiKeyInfo"): Route(self.api_key_info, spot, "SPOT_ACCOUNT_READ"),
            ("GET", "/api/v3/uid"): Route(self.uid, spot, "SPOT_ACCOUNT_READ"),
            ("GET", "/api/v3/account"): Route(self.account, spot, "SPOT_ACCOUNT_READ"),
            ("GET", "/api/v3/openOrders"): Route(self.open_orders, spot, "SPOT_DEAL_READ"),
            ("GET", "/api/v3/allOrders"): Route(self.all_orders, spot, "SPOT_DEAL_READ"),
            ("GET", "/api/v3/myTrades"): Route(self.my_trades, spot, "SPOT_DEAL_READ"),
            ("GET", "/api/v3/order"): Route(self.query_order, spot, "SPOT_DEAL_READ"),
            ("POST", "/api/v3/order"): Route(self.new_order, spot, "SPOT_DEAL_WRITE"),
            ("POST", "/api/v3/order/test"): Route(self.test_order, spot, "SPOT_DEAL_WRITE"),
            ("DELETE", "/api/v3/order"): Route(self.cancel_order, spot, "SPOT_DEAL_WRITE"),
            ("GET", "/api/v3/capital/config/getall"): Route(
                self.capital_config, spot, "SPOT_WITHDRAW_READ"
            ),
            ("GET", "/api/v1/contract/ping"): Route(self.contract_ping, "public"),
            ("GET", "/api/v1/contract/detail"): Route(self.contract_detail, "public"),
            ("GET", "/api/v1/contract/ticker"): Route(self.contract_ticker, "public"),
            ("GET", "/api/v1/private/account/assets"): Route(
                self.contract_assets, contract, "CONTRACT_ACCOUNT_READ"
            ),
            ("GET", "/api/v1/private/position/open_positions"): Route(
                self.open_positions, contract, "CONTRACT_ACCOUNT_READ"
            ),
            ("GET", "/api/v1/private/order/list/open_orders"): Route(
                self.contract_open_orders, contract, "CONTRACT_DEAL_READ"
            ),
            ("GET", "/api/v1/private/order/list/history_orders"): Route(
                self.contract_open_orders, contract, "CONTRACT_DEAL_READ"
            ),
            ("GET", "/api/v1/private/order/list/order_deals"): Route(
                self.contract_open_orders, contract, "CONTRACT_DEAL_READ"
            ),
        }

    # ------------------------------------------------------------------ dispatching
    @staticmethod
    def _is_contract(path: str) -> bool:
        return path.startswith((CONTRACT_PUBLIC, CONTRACT_PRIVATE))

    def api_key_of(self, req: Request) -> str | None:
        if req.path.startswith(CONTRACT_PRIVATE):
            return req.headers.get("ApiKey")
        return req.headers.get("X-MEXC-APIKEY")

    def handle(self, req: Request) -> Reply:
        route = self.routes.get((req.method, req.path))
        if route is None:
            if self._is_contract(req.path):
                return _error(CONTRACT_ERRORS, "not_found")
            known = any(path == req.path for _, path in self.routes)
            return _error(SPOT_ERRORS, "method_not_allowed" if known else "not_found")
        key = None
        if route.auth == "spot":
            key, refusal = self._authenticate_spot(req, route.permission)
            if refusal is not None:
                return refusal
        elif route.auth == "contract":
            key, refusal = self._authenticate_contract(req, route.permission)
            if refusal is not None:
                return refusal
        return route.handler(req, key)

    def rate_limited(self, req: Request, retry_after: int) -> Reply:
        table = CONTRACT_ERRORS if self._is_contract(req.path) else SPOT_ERRORS
        reply = _error(table, "rate_limit")
        reply.headers["Retry-After"] = str(retry_after)
        return reply

    def maintenance(self, req: Request) -> Reply:
        return _error(SPOT_ERRORS, "maintenance")

    def server_error(self, req: Request, status: int, html: bool) -> Reply:
        if html:
            return html_reply(status, HTML_503 if status == 503 else HTML_502)
        table = CONTRACT_ERRORS if self._is_contract(req.path) else SPOT_ERRORS
        reply = _error(table, "server_error")
        reply.status = status
        return reply

    # ------------------------------------------------------------------------ auth
    def _authenticate_spot(
        self, req: Request, permission: str | None
    ) -> tuple[DemoKey | None, Reply | None]:
        api_key = req.headers.get("X-MEXC-APIKEY")
        if not api_key:
            return None, _error(SPOT_ERRORS, "api_key_required")
        key = self.keys(api_key)
        if key is None or key.exchange != "mexc":
            return None, _error(SPOT_ERRORS, "invalid_key")
        if req.raw_query.startswith("signature="):
            payload, signature = "", req.raw_query[len("signature=") :]
        else:
            payload, _, signature = req.raw_query.rpartition("&signature=")
        if not signature or not hmac.compare_digest(
            _sign_hex(key.secret, payload), signature.lower()
        ):
            return key, _error(SPOT_ERRORS, "signature")
        timestamp = _int(req.query.get("timestamp"))
        recv_window = _int(req.query.get("recvWindow")) or 5000
        if recv_window > SPOT_RECV_WINDOW_MAX:
            return key, _error(SPOT_ERRORS, "recv_window")
        if timestamp is None or not (
            timestamp < req.now_ms + 1000 and req.now_ms - timestamp <= recv_window
        ):
            return key, _error(SPOT_ERRORS, "timestamp")
        if not key.allows_ip(req.remote):
            body = {"code": 700006, "msg": f"IP [{req.remote}] not in the ip white list"}
            return key, json_reply(body, 400)
        if permission is not None and permission not in key.permissions:
            return key, _error(SPOT_ERRORS, "no_permission")
        return key, None

    def _authenticate_contract(
        self, req: Request, permission: str | None
    ) -> tuple[DemoKey | None, Reply | None]:
        api_key = req.headers.get("ApiKey")
        if not api_key:
            return None, _error(CONTRACT_ERRORS, "not_logged_in")
        key = self.keys(api_key)
        if key is None or key.exchange != "mexc":
            return None, _error(CONTRACT_ERRORS, "invalid_key")
        request_time = req.headers.get("Request-Time", "")
        if req.method == "POST":
            params = req.body
        else:  # the server signs the parameters sorted by name, as the docs prescribe
            pairs = [p for p in req.raw_query.split("&") if p]
            params = "&".join(sorted(pairs, key=lambda p: p.split("=", 1)[0]))
        expected = _sign_hex(key.secret, api_key + request_time + params)
        if not hmac.compare_digest(expected, req.headers.get("Signature", "").lower()):
            return key, _error(CONTRACT_ERRORS, "signature")
        sent = _int(request_time)
        if sent is None or abs(req.now_ms - sent) > CONTRACT_TIME_WINDOW:
            return key, _error(CONTRACT_ERRORS, "request_time")
        if not key.allows_ip(req.remote):
            return key, _error(CONTRACT_ERRORS, "ip")
        if permission is not None and permission not in key.permissions:
            return key, _error(CONTRACT_ERRORS, "no_permission")
        return key, None

    def _account(self, key: DemoKey | None) -> Account:
        return self.world.account("mexc", _signed(key).account)

    # ---------------------------------------------------------------- spot public
    def ping(self, req: Request, key: DemoKey | None) -> Reply:
        return json_reply({})

    def time(self, req: Request, key: DemoKey | None) -> Reply:
        return json_reply({"serverTime": req.now_ms})

    def _symbol_info(self, pair: Pair) -> dict[str, object]:
        return {
            "symbol": pair.base + pair.quote,
            "status": "1",
            "baseAsset": pair.base,
            "baseAssetPrecision": pair.amount_decimals,
            "quoteAsset": pair.quote,
            "quotePrecision": pair.price_decimals,
            "quoteAssetPrecision": pair.price_decimals,
            "baseCommissionPrecision": pair.amount_decimals,
            "quoteCommissionPrecision": pair.price_decimals,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "quoteAmountPrecision": "1" if pair.quote != "BTC" else "0.0001",
            "baseSizePrecision": num(10.0**-pair.amount_decimals, pair.amount_decimals),
            "permissions": ["SPOT"],
            "filters": [],
            "maxQuoteAmount": "2000000",
            "makerCommission": "0",
            "takerCommission": "0.0005",
            "quoteAmountPrecisionMarket": "1",
            "maxQuoteAmountMarket": "200000",
            "fullName": ASSETS[pair.base].name,
            "tradeSideType": 1,
        }

    def exchange_info(self, req: Request, key: DemoKey | None) -> Reply:
        wanted = req.query.get("symbol") or req.query.get("symbols")
        pairs = list(self.pairs.values())
        if wanted:
            names = set(wanted.split(","))
            pairs = [p for p in pairs if p.base + p.quote in names]
            if not pairs:
                return _error(SPOT_ERRORS, "invalid_symbol")
        return json_reply(
            {
                "timezone": "CST",
                "serverTime": req.now_ms,
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [self._symbol_info(p) for p in pairs],
            }
        )

    def _selected_pairs(self, req: Request) -> list[Pair] | Reply:
        symbol = req.query.get("symbol")
        if symbol is None:
            return list(self.pairs.values())
        pair = self.pairs.get(symbol)
        return [pair] if pair is not None else _error(SPOT_ERRORS, "invalid_symbol")

    def _ticker_body(self, pair: Pair, now_ms: int) -> dict[str, object]:
        t = self.world.prices.ticker(pair.base, pair.quote, pair.daily_volume_usd, now_ms)
        d, a = pair.price_decimals, pair.amount_decimals
        change = t.last - t.open
        depth = [
            num(
                2_000 / t.last * (0.5 + unit(text_key(pair.base + pair.quote), now_ms // 1000, i)),
                a,
            )
            for i in (1, 2)
        ]
        return {
            "symbol": pair.base + pair.quote,
            "priceChange": num(change, d),
            "priceChangePercent": num(change / t.open, 4),
            "prevClosePrice": num(t.open, d),
            "lastPrice": num(t.last, d),
            "bidPrice": num(t.bid, d),
            "bidQty": depth[0],
            "askPrice": num(t.ask, d),
            "askQty": depth[1],
            "openPrice": num(t.open, d),
            "highPrice": num(t.high, d),
            "lowPrice": num(t.low, d),
            "volume": num(t.volume, a),
            "quoteVolume": num(t.quote_volume, 2),
            "openTime": now_ms - DAY_MS,
            "closeTime": now_ms,
            "count": None,
        }

    def ticker_24hr(self, req: Request, key: DemoKey | None) -> Reply:
        pairs = self._selected_pairs(req)
        if isinstance(pairs, Reply):
            return pairs
        bodies = [self._ticker_body(p, req.now_ms) for p in pairs]
        return json_reply(bodies[0] if "symbol" in req.query else bodies)

    def ticker_price(self, req: Request, key: DemoKey | None) -> Reply:
        pairs = self._selected_pairs(req)
        if isinstance(pairs, Reply):
            return pairs
        prices = self.world.prices
        bodies = [
            {
                "symbol": p.base + p.quote,
                "price": num(prices.price(p.base, p.quote, req.now_ms), p.price_decimals),
            }
            for p in pairs
        ]
        return json_reply(bodies[0] if "symbol" in req.query else bodies)

    def book_ticker(self, req: Request, key: DemoKey | None) -> Reply:
        pairs = self._selected_pairs(req)
        if isinstance(pairs, Reply):
            return pairs
        bodies = []
        for p in pairs:
            t = self._ticker_body(p, req.now_ms)
            bodies.append({k: t[k] for k in ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")})
        return json_reply(bodies[0] if "symbol" in req.query else bodies)

    def klines(self, req: Request, key: DemoKey | None) -> Reply:
        symbol = req.query.get("symbol")
        if not symbol:
            return _missing("symbol")
        pair = self.pairs.get(symbol)
        if pair is None:
            return _error(SPOT_ERRORS, "invalid_symbol")
        interval = KLINE_INTERVALS.get(req.query.get("interval", ""))
        if interval is None:
            return _error(SPOT_ERRORS, "invalid_interval")
        limit = min(max(_int(req.query.get("limit")) or 500, 1), 1000)
        start = _int(req.query.get("startTime"))
        end = _int(req.query.get("endTime"))
        end = min(end, req.now_ms + 1) if end is not None else req.now_ms + 1
        starts = candle_starts(interval, start, end, limit, newest=start is None)
        candles = self.world.prices.candles(
            pair.base,
            pair.quote,
            pair.daily_volume_usd,
            series_bounds(starts, interval),
            req.now_ms,
        )
        d, a = pair.price_decimals, pair.amount_decimals
        return json_reply(
            [
                [
                    c.open_ms, num(c.open, d), num(c.high, d), num(c.low, d), num(c.close, d),
                    num(c.volume, a), c.close_ms, num(c.quote_volume, 2),
                ]
                for c in candles
            ]
        )  # fmt: skip

    # --------------------------------------------------------------- spot private
    def api_key_info(self, req: Request, key: DemoKey | None) -> Reply:
        access_key = req.query.get("accessKey")
        if not access_key:
            return _error(SPOT_ERRORS, "access_key_null")
        info = self.keys(access_key)
        if info is None or info.exchange != "mexc":
            return _error(SPOT_ERRORS, "api_key_not_exist")
        created = datetime(2025, 1, 1, tzinfo=UTC).timestamp() + hash64(text_key(info.api_key)) % (
            300 * 86_400
        )
        return json_reply(
            {
                "note": info.label,
                "accessKey": info.api_key,
                "createTime": datetime.fromtimestamp(created, tz=UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.000+00:00"
                ),
                "permissions": ",".join(info.permissions),
                # Keys without an IP list expire after 90 days; IP-bound keys do not.
                "remainingValidity": None if info.ip_whitelist else 76,
                "ipWhiteList": ",".join(info.ip_whitelist),
                "status": "VALID",
            }
        )

    def uid(self, req: Request, key: DemoKey | None) -> Reply:
        key = _signed(key)
        return json_reply({"uid": str(10**8 + hash64(text_key(key.account)) % (9 * 10**8))})

    def account(self, req: Request, key: DemoKey | None) -> Reply:
        account = self._account(key)
        balances = []
        for asset, total in account.balances.items():
            decimals = ASSETS[asset].decimals
            locked = account.locked(asset)
            balances.append(
                {
                    "asset": asset,
                    "free": num(total - locked, decimals),
                    "locked": num(locked, decimals),
                }
            )
        return json_reply(
            {
                "makerCommission": None,
                "takerCommission": None,
                "buyerCommission": None,
                "sellerCommission": None,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "updateTime": None,
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
            }
        )

    def _order_body(self, o: Order) -> dict[str, object]:
        pair = self.pairs[o.base + o.quote]
        d, a = pair.price_decimals, pair.amount_decimals
        if o.is_open:
            status = "PARTIALLY_FILLED" if o.filled > 0 else "NEW"
        elif o.status == "filled":
            status = "FILLED"
        else:
            status = "PARTIALLY_CANCELED" if o.filled > 0 else "CANCELED"
        price = o.price if o.type == "limit" else o.avg_price
        return {
            "symbol": o.base + o.quote,
            "orderId": o.id,
            "orderListId": "-1",
            "clientOrderId": o.client_id,
            "price": num(price, d),
            "origQty": num(o.amount, a),
            "executedQty": num(o.filled, a),
            "cummulativeQuoteQty": num(o.filled * o.avg_price, d + a),
            "status": status,
            "timeInForce": None,
            "type": o.type.upper(),
            "side": o.side.upper(),
            "stopPrice": None,
            "icebergQty": None,
            "time": o.created_ms,
            "updateTime": o.updated_ms,
            "isWorking": True,
            "origQuoteOrderQty": num(o.amount * price, d),
        }

    def _trade_body(self, t: Trade) -> dict[str, object]:
        pair = self.pairs[t.base + t.quote]
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "symbol": t.base + t.quote,
            "id": t.id,
            "orderId": t.order_id,
            "orderListId": -1,
            "price": num(t.price, d),
            "qty": num(t.amount, a),
            "quoteQty": num(t.price * t.amount, d + a),
            "commission": num(t.fee, 8),
            "commissionAsset": t.quote,
            "time": t.time_ms,
            "isBuyer": t.side == "buy",
            "isMaker": t.maker,
            "isBestMatch": True,
            "isSelfTrade": False,
            "clientOrderId": None,
        }

    def _required_pair(self, req: Request) -> Pair | Reply:
        symbol = req.query.get("symbol")
        if not symbol:
            return _missing("symbol")
        pair = self.pairs.get(symbol)
        return pair if pair is not None else _error(SPOT_ERRORS, "invalid_symbol")

    def open_orders(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._required_pair(req)
        if isinstance(pair, Reply):
            return pair
        account = self._account(key)
        rows = [o for o in account.open_orders if (o.base, o.quote) == (pair.base, pair.quote)]
        return json_reply([self._order_body(o) for o in rows])

    def _window(
        self, req: Request, default_span: int, max_span: int | None
    ) -> tuple[int, int, bool]:
        start = _int(req.query.get("startTime"))
        end = _int(req.query.get("endTime"))
        from_start = start is not None
        if start is None:
            end = end if end is not None else req.now_ms
            start = end - default_span
        elif end is None:
            end = start + (max_span or default_span)
        if max_span is not None and end - start > max_span:
            end = start + max_span
        return start, min(end, req.now_ms), from_start

    def all_orders(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._required_pair(req)
        if isinstance(pair, Reply):
            return pair
        # MEXC: 24 hours by default, at most 7 days per call, at most 1000 rows.
        start, end, from_start = self._window(req, DAY_MS, ORDERS_WINDOW_MS)
        limit = min(max(_int(req.query.get("limit")) or 500, 1), 1000)
        rows = self._account(key).orders(pair.base, pair.quote, start, end)
        rows = rows[:limit] if from_start else rows[-limit:]
        return json_reply([self._order_body(o) for o in rows])

    def my_trades(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._required_pair(req)
        if isinstance(pair, Reply):
            return pair
        start, end, from_start = self._window(req, 30 * DAY_MS, None)
        limit = min(max(_int(req.query.get("limit")) or 100, 1), 1000)
        rows = self._account(key).trades(pair.base, pair.quote, start, end)
        rows = rows[:limit] if from_start else rows[-limit:]
        return json_reply([self._trade_body(t) for t in rows])

    def _find_order(self, req: Request, account: Account, pair: Pair) -> Order | None:
        order_id = req.query.get("orderId")
        client_id = req.query.get("origClientOrderId")
        if order_id:
            order = account.find_order(order_id)
        else:
            candidates = [o for o in account.open_orders if o.client_id == client_id]
            order = candidates[0] if candidates else None
        if order is None or (order.base, order.quote) != (pair.base, pair.quote):
            return None
        return order

    def query_order(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._required_pair(req)
        if isinstance(pair, Reply):
            return pair
        if not req.query.get("orderId") and not req.query.get("origClientOrderId"):
            return _missing("orderId")
        order = self._find_order(req, self._account(key), pair)
        if order is None:
            return _error(SPOT_ERRORS, "order_not_exist")
        return json_reply(self._order_body(order))

    def _validate_order(self, req: Request) -> tuple[Pair, str, str, float, float] | Reply:
        pair = self._required_pair(req)
        if isinstance(pair, Reply):
            return pair
        side = req.query.get("side", "").lower()
        kind = req.query.get("type", "").upper()
        if side not in ("buy", "sell"):
            return _missing("side")
        if kind not in ("LIMIT", "MARKET", "LIMIT_MAKER", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL"):
            return _missing("type")
        price = float(req.query.get("price") or 0)
        quantity = float(req.query.get("quantity") or 0)
        quote_qty = float(req.query.get("quoteOrderQty") or 0)
        if kind == "MARKET":
            price = 0.0
            market = self.world.prices.price(pair.base, pair.quote, req.now_ms)
            quantity = quantity or quote_qty / market
        elif price <= 0:
            return _missing("price")
        if quantity <= 0:
            return _missing("quantity")
        return pair, side, "market" if kind == "MARKET" else "limit", price, quantity

    def new_order(self, req: Request, key: DemoKey | None) -> Reply:
        checked = self._validate_order(req)
        if isinstance(checked, Reply):
            return checked
        pair, side, kind, price, quantity = checked
        fill = None
        if kind == "market":
            market = self.world.prices.price(pair.base, pair.quote, req.now_ms)
            fill = round(market, pair.price_decimals)
        order = self._account(key).place_order(
            pair.base, pair.quote, side, kind, price, quantity, req.now_ms, fill_price=fill
        )
        return json_reply(
            {
                "symbol": pair.base + pair.quote,
                "orderId": order.id,
                "orderListId": -1,
                "price": num(price, pair.price_decimals),
                "origQty": num(quantity, pair.amount_decimals),
                "type": req.query.get("type", "").upper(),
                "side": side.upper(),
                "transactTime": req.now_ms,
            }
        )

    def test_order(self, req: Request, key: DemoKey | None) -> Reply:
        checked = self._validate_order(req)
        return checked if isinstance(checked, Reply) else json_reply({})

    def cancel_order(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._required_pair(req)
        if isinstance(pair, Reply):
            return pair
        if not req.query.get("orderId") and not req.query.get("origClientOrderId"):
            return _missing("orderId")
        account = self._account(key)
        order = self._find_order(req, account, pair)
        if order is None or account.cancel_order(order.id, req.now_ms) is None:
            return _error(SPOT_ERRORS, "unknown_order")
        body = self._order_body(order)
        body["origClientOrderId"] = order.client_id
        return json_reply(body)

    def capital_config(self, req: Request, key: DemoKey | None) -> Reply:
        coins = []
        for code in self.world.spot_assets("mexc"):
            asset = ASSETS[code]
            network = {
                "BTC": "Bitcoin(BTC)",
                "ETH": "Ethereum(ERC20)",
                "SOL": "Solana(SOL)",
                "XRP": "Ripple(XRP)",
                "TRX": "Tron(TRC20)",
            }.get(code, "Ethereum(ERC20)")
            net_id = network.split("(")[-1].rstrip(")")
            coins.append(
                {
                    "coin": code,
                    "name": asset.name,
                    "networkList": [
                        {
                            "coin": code,
                            "depositDesc": None,
                            "depositEnable": code != "ZZZ",
                            "minConfirm": "12",
                            "name": asset.name,
                            "network": network,
                            "withdrawEnable": code != "ZZZ",
                            "withdrawFee": num(1.0 / max(asset.usd, 0.01), asset.decimals),
                            "withdrawIntegerMultiple": None,
                            "withdrawMax": "1000000",
                            "withdrawMin": num(10.0 / max(asset.usd, 0.01), asset.decimals),
                            "sameAddress": False,
                            "contract": "",
                            "withdrawTips": None,
                            "depositTips": None,
                            "netWork": net_id,
                        }
                    ],
                }
            )
        return json_reply(coins)

    # ------------------------------------------------------------------- contract
    def contract_ping(self, req: Request, key: DemoKey | None) -> Reply:
        return json_reply({"success": True, "code": 0, "data": req.now_ms})

    def _selected_perps(self, req: Request) -> list[Perpetual] | None:
        symbol = req.query.get("symbol")
        if symbol is None:
            return list(self.perps.values())
        perp = self.perps.get(symbol)
        return [perp] if perp is not None else None

    def _contract_error_symbol(self) -> Reply:
        return json_reply({"success": False, "code": 1001, "message": "Contract does not exist!"})

    def contract_detail(self, req: Request, key: DemoKey | None) -> Reply:
        perps = self._selected_perps(req)
        if perps is None:
            return self._contract_error_symbol()
        data = [
            {
                "symbol": p.mexc_symbol,
                "displayName": f"{p.mexc_symbol}永续",
                "displayNameEn": f"{p.mexc_symbol} PERPETUAL",
                "positionOpenType": 3,
                "baseCoin": p.base,
                "quoteCoin": "USDT",
                "baseCoinName": p.base,
                "quoteCoinName": "USDT",
                "futureType": 1,
                "settleCoin": "USDT",
                "contractSize": p.mexc_contract_size,
                "minLeverage": 1,
                "maxLeverage": p.max_leverage,
                "priceScale": p.price_decimals,
                "volScale": 0,
                "amountScale": 4,
                "priceUnit": 10.0**-p.price_decimals,
                "volUnit": 1,
                "minVol": 1,
                "maxVol": 1_000_000,
                "bidLimitPriceRate": 0.1,
                "askLimitPriceRate": 0.1,
                "takerFeeRate": 0.0002,
                "makerFeeRate": 0,
                "maintenanceMarginRate": p.maintenance_rate,
                "initialMarginRate": round(1 / p.max_leverage, 6),
                "riskBaseVol": 500_000,
                "riskIncrVol": 500_000,
                "riskIncrMmr": p.maintenance_rate,
                "riskIncrImr": p.maintenance_rate,
                "riskLevelLimit": 5,
                "priceCoefficientVariation": 0.004,
                "indexOrigin": ["BINANCE", "OKX", "BYBIT", "MEXC", "KUCOIN"],
                "state": 0,
                "isNew": False,
                "isHot": True,
                "isHidden": False,
                "apiAllowed": True,
                "createTime": 1_591_242_684_000,
            }
            for p in perps
        ]
        return json_reply(
            {"success": True, "code": 0, "data": data[0] if "symbol" in req.query else data}
        )

    def contract_ticker(self, req: Request, key: DemoKey | None) -> Reply:
        perps = self._selected_perps(req)
        if perps is None:
            return self._contract_error_symbol()
        data = []
        for p in perps:
            t = self.world.prices.ticker(p.base, "USDT", p.daily_volume_usd, req.now_ms)
            d = p.price_decimals
            change = t.last - t.open
            data.append(
                {
                    "contractId": PERPETUALS.index(p) + 10,
                    "symbol": p.mexc_symbol,
                    "lastPrice": round(t.last, d),
                    "bid1": round(t.bid, d),
                    "ask1": round(t.ask, d),
                    "volume24": round(t.volume / p.mexc_contract_size),
                    "amount24": round(t.quote_volume, 4),
                    "holdVol": round(t.volume / p.mexc_contract_size * 0.3),
                    "lower24Price": round(t.low, d),
                    "high24Price": round(t.high, d),
                    "riseFallRate": round(change / t.open, 4),
                    "riseFallValue": round(change, d),
                    "indexPrice": round(t.last * 0.99995, d),
                    "fairPrice": round(t.last, d),
                    "fundingRate": 0.0001,
                    "maxBidPrice": round(t.last * 1.1, d),
                    "minAskPrice": round(t.last * 0.9, d),
                    "timestamp": req.now_ms,
                }
            )
        return json_reply(
            {"success": True, "code": 0, "data": data[0] if "symbol" in req.query else data}
        )

    def contract_assets(self, req: Request, key: DemoKey | None) -> Reply:
        account = self._account(key)
        states = account.position_states(req.now_ms)
        margin = sum(s.margin for s in states)
        unrealised = sum(s.unrealised for s in states)
        cash = account.futures_cash
        rows = [
            {
                "currency": "USDT",
                "positionMargin": round(margin, 4),
                "availableBalance": round(max(cash - margin + min(unrealised, 0.0), 0.0), 4),
                "cashBalance": round(cash, 4),
                "frozenBalance": 0,
                "equity": round(cash + unrealised, 4),
                "unrealized": round(unrealised, 4),
                "bonus": 0,
            }
        ]
        rows += [
            {
                "currency": code,
                "positionMargin": 0,
                "availableBalance": 0,
                "cashBalance": 0,
                "frozenBalance": 0,
                "equity": 0,
                "unrealized": 0,
                "bonus": 0,
            }
            for code in ("BTC", "ETH")
        ]
        return json_reply({"success": True, "code": 0, "data": rows})

    def open_positions(self, req: Request, key: DemoKey | None) -> Reply:
        symbol = req.query.get("symbol")
        data = []
        for s in self._account(key).position_states(req.now_ms):
            p = s.position
            perp = next(x for x in PERPETUALS if x.base == p.base)
            if symbol is not None and symbol != perp.mexc_symbol:
                continue
            d = perp.price_decimals
            data.append(
                {
                    "positionId": int(p.id),
                    "symbol": perp.mexc_symbol,
                    "positionType": 1 if p.side == "long" else 2,
                    "openType": 1 if p.margin_mode == "isolated" else 2,
                    "state": 1,
                    "holdVol": round(p.qty / perp.mexc_contract_size),
                    "frozenVol": 0,
                    "closeVol": 0,
                    "holdAvgPrice": p.entry,
                    "openAvgPrice": p.entry,
                    "closeAvgPrice": 0,
                    "liquidatePrice": round(s.liquidation, d),
                    "oim": round(s.margin, 8),
                    "im": round(s.margin, 8),
                    "holdFee": round(p.realised * 0.4, 8),
                    "realised": round(p.realised, 8),
                    "adlLevel": 2,
                    "leverage": p.leverage,
                    "createTime": p.opened_ms,
                    "updateTime": p.opened_ms,
                    "autoAddIm": False,
                }
            )
        return json_reply({"success": True, "code": 0, "data": data})

    def contract_open_orders(self, req: Request, key: DemoKey | None) -> Reply:
        """Open orders, order history and fills of the contract account: the demo world trades
        futures through no order, so all three lists are empty."""
        return json_reply({"success": True, "code": 0, "data": []})
