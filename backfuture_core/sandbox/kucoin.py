"""KuCoin spot and futures REST, as much of them as ccxt and BackFuture use.

Written from KuCoin's API documentation (see reference/exchanges.md section 2), independently
of backfuture_core.exchanges: it keeps its own error bodies. Spot (api.kucoin.com) and futures
(api-futures.kucoin.com) paths share one URL prefix here. The two paths both hosts have
(``/api/v1/orders`` and ``/api/v1/fills``) are served as futures when the symbol is a futures
contract or the request carries ccxt's futures partner header (``KC-API-PARTNER:
ccxtfutures``); ``/api/v1/timestamp`` and ``/api/v1/status`` answer the same on both.

Signed requests carry ``KC-API-KEY``, ``KC-API-TIMESTAMP``, ``KC-API-PASSPHRASE`` (base64
HMAC-SHA256 of the passphrase with the secret), ``KC-API-KEY-VERSION`` (2 or 3) and
``KC-API-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + path[?query] + body))``,
the query taken URL-decoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

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
    HOUR_MS,
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
)
from backfuture_core.sandbox.world import Account, DemoKey, Order, Trade, World

OK = "200000"
TIMESTAMP_WINDOW = 5_000
LIST_WINDOW_MS = 7 * DAY_MS
CANDLE_TYPES: dict[str, int | str] = {
    "1min": MINUTE_MS,
    "3min": 3 * MINUTE_MS,
    "5min": 5 * MINUTE_MS,
    "15min": 15 * MINUTE_MS,
    "30min": 30 * MINUTE_MS,
    "1hour": HOUR_MS,
    "2hour": 2 * HOUR_MS,
    "4hour": 4 * HOUR_MS,
    "6hour": 6 * HOUR_MS,
    "8hour": 8 * HOUR_MS,
    "12hour": 12 * HOUR_MS,
    "1day": DAY_MS,
    "1week": WEEK_MS,
    "1month": MONTH,
}
SIGNED_HEADERS = ("KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE")
FUTURES_PARTNER = "ccxtfutures"

# The sandbox's own table of KuCoin error replies: (HTTP status, code, message).
ERRORS: dict[str, tuple[int, str, str]] = {
    "missing_headers": (
        401,
        "400001",
        (
            "Any of KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE is missing in "
            "your request header."
        ),
    ),
    "timestamp": (401, "400002", "Invalid KC-API-TIMESTAMP."),
    "unknown_key": (401, "400003", "KC-API-KEY does not exist."),
    "passphrase": (401, "400004", "Invalid KC-API-PASSPHRASE."),
    "signature": (401, "400005", "Invalid KC-API-SIGN."),
    "ip": (401, "400006", "Invalid request IP, the current client IP is: {ip}."),
    "no_permission": (403, "400007", "Access denied, requires more permission."),
    "key_version": (401, "400009", "Invalid KC-API-KEY-VERSION."),
    "bad_symbol": (400, "400100", "Unsupported trading pair."),
    "bad_param": (400, "400100", "Parameter {name} is invalid."),
    "order_not_exist": (400, "400100", "order_not_exist_or_not_allow_to_cancel"),
    "not_found": (404, "404000", "Url Not Found"),
    "rate_limit": (
        429,
        "429000",
        "Too many requests in a short period of time, please retry later.",
    ),
    "server_error": (500, "500000", "Internal Server Error"),
}


def _error(name: str, **fields: str) -> Reply:
    status, code, message = ERRORS[name]
    return json_reply({"code": code, "msg": message.format(**fields)}, status)


def _ok(data: object) -> Reply:
    return json_reply({"code": OK, "data": data})


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _b64_hmac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _hex_id(*parts: int) -> str:
    """A 24-hex-digit id shaped like KuCoin's object ids."""
    return f"{hash64(*parts) % 16**24:024x}"


def _mask_ip(ip: str) -> str:
    parts = ip.split(".")
    return f"{parts[0]}.**.{parts[-1]}" if len(parts) == 4 else ip


def _page(items: list[dict[str, object]], req: Request, default_size: int = 50) -> Reply:
    page = max(_int(req.query.get("currentPage")) or 1, 1)
    size = min(max(_int(req.query.get("pageSize")) or default_size, 10), 500)
    return _ok(
        {
            "currentPage": page,
            "pageSize": size,
            "totalNum": len(items),
            "totalPage": math.ceil(len(items) / size),
            "items": items[(page - 1) * size : page * size],
        }
    )


def _signed(key: DemoKey | None) -> DemoKey:
    """The key of an authenticated request (routes with a permission always have one)."""
    if key is None:
        raise RuntimeError("a private handler ran without an authenticated key")
    return key


Handler = Callable[[Request, DemoKey | None], Reply]


@dataclass(frozen=True)
class Route:
    handler: Handler
    permission: str | None = None  # None = public
    futures_handler: Handler | None = None  # for the paths both hosts serve


class KucoinApi:
    name = "kucoin"

    def __init__(self, world: World, keys: KeyLookup) -> None:
        self.world = world
        self.keys = keys
        self.pairs: dict[str, Pair] = {f"{p.base}-{p.quote}": p for p in SPOT_PAIRS["kucoin"]}
        self.perps: dict[str, Perpetual] = {p.kucoin_symbol: p for p in PERPETUALS}
        general, futures = "General", "Futures"
        self.routes: dict[tuple[str, str], Route] = {
            ("GET", "/api/v1/timestamp"): Route(self.timestamp),
            ("GET", "/api/v1/status"): Route(self.status),
            ("GET", "/api/v3/currencies"): Route(self.currencies),
            ("GET", "/api/v2/symbols"): Route(self.symbols),
            ("GET", "/api/v1/market/allTickers"): Route(self.all_tickers),
            ("GET", "/api/v1/market/stats"): Route(self.market_stats),
            ("GET", "/api/v1/market/candles"): Route(self.candles),
            ("GET", "/api/v1/user/api-key"): Route(self.api_key_info, general),
            ("GET", "/api/v1/accounts"): Route(self.accounts, general),
            ("GET", "/api/v1/orders"): Route(self.orders, general, self.futures_orders),
            ("POST", "/api/v1/orders"): Route(self.new_order, "Spot"),
            ("GET", "/api/v1/fills"): Route(self.fills, general, self.futures_fills),
            ("GET", "/api/v1/hf/accounts/opened"): Route(self.hf_opened, general),
            ("GET", "/api/ua/v1/account/mode"): Route(self.account_mode, general),
            ("GET", "/api/v3/margin/symbols"): Route(self.margin_symbols, general),
            ("GET", "/api/v1/isolated/symbols"): Route(self.isolated_symbols, general),
            ("GET", "/api/v1/contracts/active"): Route(self.contracts_active),
            ("GET", "/api/v1/ticker"): Route(self.futures_ticker),
            ("GET", "/api/v1/allTickers"): Route(self.futures_all_tickers),
            ("GET", "/api/v1/account-overview"): Route(self.account_overview, futures),
            ("GET", "/api/v1/positions"): Route(self.positions, futures),
        }
        self.cancel_route = Route(self.cancel_order, "Spot")

    # ------------------------------------------------------------------ dispatching
    def api_key_of(self, req: Request) -> str | None:
        return req.headers.get("KC-API-KEY")

    def _is_futures(self, req: Request) -> bool:
        symbol = req.query.get("symbol")
        if symbol:
            return symbol in self.perps
        return req.headers.get("KC-API-PARTNER") == FUTURES_PARTNER

    def _route(self, req: Request) -> tuple[Handler, str | None] | None:
        route = self.routes.get((req.method, req.path))
        if route is None and req.method == "DELETE" and req.path.startswith("/api/v1/orders/"):
            route = self.cancel_route
        if route is None:
            return None
        if route.futures_handler is not None and self._is_futures(req):
            return route.futures_handler, "Futures"
        return route.handler, route.permission

    def handle(self, req: Request) -> Reply:
        found = self._route(req)
        if found is None:
            return _error("not_found")
        handler, permission = found
        key = None
        if permission is not None:
            key, refusal = self._authenticate(req, permission)
            if refusal is not None:
                return refusal
        return handler(req, key)

    def rate_limited(self, req: Request, retry_after: int) -> Reply:
        reply = _error("rate_limit")
        reply.headers["Retry-After"] = str(retry_after)
        return reply

    def maintenance(self, req: Request) -> Reply:
        if req.path == "/api/v1/status":
            return _ok({"status": "close", "msg": "System maintenance in progress"})
        return html_reply(503, HTML_503)

    def server_error(self, req: Request, status: int, html: bool) -> Reply:
        if html:
            return html_reply(status, HTML_503 if status == 503 else HTML_502)
        reply = _error("server_error")
        reply.status = status
        return reply

    # ------------------------------------------------------------------------ auth
    def _authenticate(self, req: Request, permission: str) -> tuple[DemoKey | None, Reply | None]:
        h = req.headers
        if any(not h.get(name) for name in SIGNED_HEADERS):
            return None, _error("missing_headers")
        key = self.keys(h["KC-API-KEY"])
        if key is None or key.exchange != "kucoin" or key.passphrase is None:
            return None, _error("unknown_key")
        if h.get("KC-API-KEY-VERSION", "2") not in ("2", "3"):
            return key, _error("key_version")
        timestamp = h["KC-API-TIMESTAMP"]
        sent = _int(timestamp)
        if sent is None or abs(req.now_ms - sent) > TIMESTAMP_WINDOW:
            return key, _error("timestamp")
        if not hmac.compare_digest(_b64_hmac(key.secret, key.passphrase), h["KC-API-PASSPHRASE"]):
            return key, _error("passphrase")
        endpoint = req.path + ("?" + unquote(req.raw_query) if req.raw_query else "")
        expected = _b64_hmac(key.secret, timestamp + req.method + endpoint + req.body)
        if not hmac.compare_digest(expected, h["KC-API-SIGN"]):
            return key, _error("signature")
        if not key.allows_ip(req.remote):
            return key, _error("ip", ip=req.remote)
        if permission not in key.permissions:
            return key, _error("no_permission")
        return key, None

    def _account(self, key: DemoKey | None) -> Account:
        return self.world.account("kucoin", _signed(key).account)

    # ---------------------------------------------------------------- spot public
    def timestamp(self, req: Request, key: DemoKey | None) -> Reply:
        return json_reply({"code": OK, "msg": "success", "data": req.now_ms})

    def status(self, req: Request, key: DemoKey | None) -> Reply:
        return _ok({"status": "open", "msg": ""})

    def currencies(self, req: Request, key: DemoKey | None) -> Reply:
        data = []
        for code in self.world.spot_assets("kucoin"):
            asset = ASSETS[code]
            chain = {"BTC": "BTC", "ETH": "ERC20", "SOL": "SOL", "XRP": "XRP", "TRX": "TRC20"}
            chain_name = chain.get(code, "ERC20")
            data.append(
                {
                    "currency": code,
                    "name": code,
                    "fullName": asset.name,
                    "precision": asset.decimals,
                    "confirms": None,
                    "contractAddress": None,
                    "isMarginEnabled": code not in ("ZZZ", "KCS"),
                    "isDebitEnabled": code != "ZZZ",
                    "chains": [
                        {
                            "chainName": chain_name,
                            "withdrawalMinSize": num(10 / max(asset.usd, 0.01), asset.decimals),
                            "depositMinSize": None,
                            "withdrawFeeRate": "0",
                            "withdrawalMinFee": num(1 / max(asset.usd, 0.01), asset.decimals),
                            "isWithdrawEnabled": code != "ZZZ",
                            "isDepositEnabled": code != "ZZZ",
                            "confirms": 12,
                            "preConfirms": 12,
                            "contractAddress": "",
                            "withdrawPrecision": asset.decimals,
                            "maxWithdraw": None,
                            "maxDeposit": None,
                            "needTag": False,
                            "chainId": chain_name.lower(),
                        }
                    ],
                }
            )
        return _ok(data)

    def _symbol_info(self, pair: Pair) -> dict[str, object]:
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "symbol": f"{pair.base}-{pair.quote}",
            "name": f"{pair.base}-{pair.quote}",
            "baseCurrency": pair.base,
            "quoteCurrency": pair.quote,
            "feeCurrency": pair.quote,
            "market": "BTC" if pair.quote == "BTC" else "USDS",
            "baseMinSize": num(10.0**-a, a),
            "quoteMinSize": "0.1" if pair.quote != "BTC" else "0.00001",
            "baseMaxSize": "10000000000",
            "quoteMaxSize": "99999999",
            "baseIncrement": num(10.0**-a, a),
            "quoteIncrement": "0.000001",
            "priceIncrement": num(10.0**-d, d),
            "priceLimitRate": "0.1",
            "minFunds": "0.1",
            "isMarginEnabled": pair.base in ("BTC", "ETH", "SOL"),
            "enableTrading": True,
            "feeCategory": 1,
            "makerFeeCoefficient": "1.00",
            "takerFeeCoefficient": "1.00",
            "st": False,
            "callauctionIsEnabled": False,
            "callauctionPriceFloor": None,
            "callauctionPriceCeiling": None,
            "callauctionFirstStageStartTime": None,
            "callauctionSecondStageStartTime": None,
            "callauctionThirdStageStartTime": None,
            "tradingStartTime": None,
        }

    def symbols(self, req: Request, key: DemoKey | None) -> Reply:
        market = req.query.get("market")
        pairs = [
            p
            for p in self.pairs.values()
            if market is None or self._symbol_info(p)["market"] == market
        ]
        return _ok([self._symbol_info(p) for p in pairs])

    def _stats(self, pair: Pair, now_ms: int) -> dict[str, object]:
        t = self.world.prices.ticker(pair.base, pair.quote, pair.daily_volume_usd, now_ms)
        d, a = pair.price_decimals, pair.amount_decimals
        change = t.last - t.open
        return {
            "symbol": f"{pair.base}-{pair.quote}",
            "symbolName": f"{pair.base}-{pair.quote}",
            "buy": num(t.bid, d),
            "bestBidSize": num(1_500 / t.last, a),
            "sell": num(t.ask, d),
            "bestAskSize": num(2_500 / t.last, a),
            "changeRate": num(change / t.open, 4),
            "changePrice": num(change, d),
            "high": num(t.high, d),
            "low": num(t.low, d),
            "vol": num(t.volume, a),
            "volValue": num(t.quote_volume, 6),
            "last": num(t.last, d),
            "averagePrice": num((t.high + t.low) / 2, d),
            "takerFeeRate": "0.001",
            "makerFeeRate": "0.001",
            "takerCoefficient": "1",
            "makerCoefficient": "1",
        }

    def all_tickers(self, req: Request, key: DemoKey | None) -> Reply:
        tickers = [self._stats(p, req.now_ms) for p in self.pairs.values()]
        return _ok({"time": req.now_ms, "ticker": tickers})

    def market_stats(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self.pairs.get(req.query.get("symbol", ""))
        if pair is None:
            return _error("bad_symbol")
        stats = self._stats(pair, req.now_ms)
        del stats["symbolName"], stats["bestBidSize"], stats["bestAskSize"]
        return _ok({"time": req.now_ms, **stats})

    def candles(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self.pairs.get(req.query.get("symbol", ""))
        if pair is None:
            return _error("bad_symbol")
        interval = CANDLE_TYPES.get(req.query.get("type", ""))
        if interval is None:
            return _error("bad_param", name="type")
        start_s = _int(req.query.get("startAt")) or 0
        end_s = _int(req.query.get("endAt")) or 0
        end = min(end_s * 1000, req.now_ms + 1) if end_s else req.now_ms + 1
        # At most 1500 candles per call, the latest ones of the range, newest first.
        starts = candle_starts(
            interval, start_s * 1000 if start_s else None, end, 1500, newest=True
        )
        rows = self.world.prices.candles(
            pair.base,
            pair.quote,
            pair.daily_volume_usd,
            series_bounds(starts, interval),
            req.now_ms,
        )
        d, a = pair.price_decimals, pair.amount_decimals
        data = [
            [
                str(c.open_ms // 1000), num(c.open, d), num(c.close, d), num(c.high, d),
                num(c.low, d), num(c.volume, a + 2), num(c.quote_volume, 8),
            ]
            for c in reversed(rows)
        ]  # fmt: skip
        return _ok(data)

    # --------------------------------------------------------------- spot private
    def api_key_info(self, req: Request, key: DemoKey | None) -> Reply:
        key = _signed(key)
        return _ok(
            {
                "remark": key.label,
                "apiKey": key.api_key,
                "apiVersion": 3,
                "permission": ",".join(key.permissions),
                "ipWhitelist": ",".join(_mask_ip(ip) for ip in key.ip_whitelist),
                "createdAt": 1_735_689_600_000 + hash64(text_key(key.api_key)) % (300 * DAY_MS),
                "uid": 100_000_000 + hash64(text_key(key.account)) % 900_000_000,
                "isMaster": True,
            }
        )

    def accounts(self, req: Request, key: DemoKey | None) -> Reply:
        account = self._account(key)
        wanted_type = req.query.get("type")
        wanted_currency = req.query.get("currency")
        rows = []
        for kind, balances in (("main", account.funding), ("trade", account.balances)):
            if wanted_type not in (None, kind):
                continue
            for code, total in balances.items():
                if wanted_currency not in (None, code):
                    continue
                decimals = ASSETS[code].decimals
                holds = account.locked(code) if kind == "trade" else 0.0
                rows.append(
                    {
                        "id": _hex_id(self.world.seed, text_key(f"{account.name}:{kind}:{code}")),
                        "currency": code,
                        "type": kind,
                        "balance": num(total, decimals),
                        "available": num(total - holds, decimals),
                        "holds": num(holds, decimals),
                    }
                )
        return _ok(rows)

    def _order_body(self, o: Order) -> dict[str, object]:
        pair = self.pairs[f"{o.base}-{o.quote}"]
        d, a = pair.price_decimals, pair.amount_decimals
        deal_funds = o.filled * o.avg_price
        return {
            "id": o.id,
            "symbol": f"{o.base}-{o.quote}",
            "opType": "DEAL",
            "type": o.type,
            "side": o.side,
            "price": num(o.price, d),
            "size": num(o.amount, a),
            "funds": "0",
            "dealFunds": num(deal_funds, d + a),
            "dealSize": num(o.filled, a),
            "fee": num(deal_funds * 0.001, 8),
            "feeCurrency": o.quote,
            "stp": "",
            "stop": "",
            "stopTriggered": False,
            "stopPrice": "0",
            "timeInForce": "GTC",
            "postOnly": False,
            "hidden": False,
            "iceberg": False,
            "visibleSize": "0",
            "cancelAfter": 0,
            "channel": "API",
            "clientOid": o.client_id,
            "remark": None,
            "tags": "partner:ccxt",
            "isActive": o.is_open,
            "cancelExist": o.status == "canceled",
            "createdAt": o.created_ms,
            "tradeType": "TRADE",
        }

    def _trade_body(self, t: Trade) -> dict[str, object]:
        pair = self.pairs[f"{t.base}-{t.quote}"]
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "symbol": f"{t.base}-{t.quote}",
            "tradeId": t.id,
            "orderId": t.order_id,
            "counterOrderId": _hex_id(text_key(t.id)),
            "side": t.side,
            "liquidity": "maker" if t.maker else "taker",
            "forceTaker": False,
            "price": num(t.price, d),
            "size": num(t.amount, a),
            "funds": num(t.price * t.amount, d + a),
            "fee": num(t.fee, 10),
            "feeRate": "0.001",
            "feeCurrency": t.quote,
            "stop": "",
            "tradeType": "TRADE",
            "type": t.type,
            "createdAt": t.time_ms,
        }

    def _list_window(self, req: Request) -> tuple[int, int]:
        """KuCoin lists cover at most 7 days per call, the last 7 days by default."""
        start = _int(req.query.get("startAt"))
        end = _int(req.query.get("endAt"))
        if start is None:
            end = end if end is not None else req.now_ms
            start = end - LIST_WINDOW_MS
        elif end is None or end - start > LIST_WINDOW_MS:
            end = start + LIST_WINDOW_MS
        return start, end

    def _pair_filter(self, req: Request) -> Pair | Reply | None:
        symbol = req.query.get("symbol")
        if not symbol:
            return None
        pair = self.pairs.get(symbol)
        return pair if pair is not None else _error("bad_symbol")

    def orders(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._pair_filter(req)
        if isinstance(pair, Reply):
            return pair
        account = self._account(key)
        status = req.query.get("status", "done")
        if status == "active":
            rows = [
                o
                for o in account.open_orders
                if pair is None or (o.base, o.quote) == (pair.base, pair.quote)
            ]
        else:
            start, end = self._list_window(req)
            if pair is None:
                rows = account.all_orders(start, end)
            else:
                rows = account.orders(pair.base, pair.quote, start, end)
            rows = [o for o in rows if not o.is_open]
        side = req.query.get("side")
        rows = [o for o in rows if side in (None, o.side)]
        rows.sort(key=lambda o: o.created_ms, reverse=True)
        return _page([self._order_body(o) for o in rows], req)

    def fills(self, req: Request, key: DemoKey | None) -> Reply:
        pair = self._pair_filter(req)
        if isinstance(pair, Reply):
            return pair
        start, end = self._list_window(req)
        base, quote = (pair.base, pair.quote) if pair is not None else (None, None)
        rows = self._account(key).trades(base, quote, start, end)
        rows.sort(key=lambda t: t.time_ms, reverse=True)
        return _page([self._trade_body(t) for t in rows], req)

    def new_order(self, req: Request, key: DemoKey | None) -> Reply:
        try:
            body = json.loads(req.body or "{}")
        except ValueError:
            return _error("bad_param", name="body")
        pair = self.pairs.get(str(body.get("symbol", "")))
        if pair is None:
            return _error("bad_symbol")
        side = str(body.get("side", ""))
        kind = str(body.get("type", "limit"))
        if side not in ("buy", "sell"):
            return _error("bad_param", name="side")
        if kind not in ("limit", "market"):
            return _error("bad_param", name="type")
        try:
            size = float(body.get("size") or 0)
            price = float(body.get("price") or 0)
            funds = float(body.get("funds") or 0)
        except (TypeError, ValueError):
            return _error("bad_param", name="size")
        market = self.world.prices.price(pair.base, pair.quote, req.now_ms)
        if kind == "market":
            size = size or funds / market
            price = 0.0
        elif price <= 0:
            return _error("bad_param", name="price")
        if size <= 0:
            return _error("bad_param", name="size")
        fill = round(market, pair.price_decimals) if kind == "market" else None
        order = self._account(key).place_order(
            pair.base, pair.quote, side, kind, price, size, req.now_ms, fill_price=fill
        )
        return _ok({"orderId": order.id})

    def cancel_order(self, req: Request, key: DemoKey | None) -> Reply:
        order_id = req.path.rsplit("/", 1)[-1]
        if self._account(key).cancel_order(order_id, req.now_ms) is None:
            return _error("order_not_exist")
        return _ok({"cancelledOrderIds": [order_id]})

    def hf_opened(self, req: Request, key: DemoKey | None) -> Reply:
        return _ok(False)

    def account_mode(self, req: Request, key: DemoKey | None) -> Reply:
        return _ok({"selfAccountMode": "CLASSIC"})

    def margin_symbols(self, req: Request, key: DemoKey | None) -> Reply:
        fields = (
            "symbol", "name", "enableTrading", "market", "baseCurrency", "quoteCurrency",
            "baseIncrement", "baseMinSize", "quoteIncrement", "quoteMinSize", "baseMaxSize",
            "quoteMaxSize", "priceIncrement", "feeCurrency", "priceLimitRate", "minFunds",
        )  # fmt: skip
        infos = [self._symbol_info(pair) for pair in self.pairs.values()]
        items = [{k: info[k] for k in fields} for info in infos if info["isMarginEnabled"]]
        return _ok({"timestamp": req.now_ms, "items": items})

    def isolated_symbols(self, req: Request, key: DemoKey | None) -> Reply:
        return _ok([])

    # -------------------------------------------------------------------- futures
    def contracts_active(self, req: Request, key: DemoKey | None) -> Reply:
        data = []
        for p in PERPETUALS:
            t = self.world.prices.ticker(p.base, "USDT", p.daily_volume_usd, req.now_ms)
            d = p.price_decimals
            data.append(
                {
                    "symbol": p.kucoin_symbol,
                    "rootSymbol": "USDT",
                    "type": "FFWCSX",
                    "firstOpenDate": 1_585_555_200_000,
                    "expireDate": None,
                    "settleDate": None,
                    "baseCurrency": "XBT" if p.base == "BTC" else p.base,
                    "quoteCurrency": "USDT",
                    "settleCurrency": "USDT",
                    "maxOrderQty": 1_000_000,
                    "maxPrice": 1_000_000.0,
                    "lotSize": 1,
                    "tickSize": 10.0**-d,
                    "indexPriceTickSize": 0.01,
                    "multiplier": p.kucoin_multiplier,
                    "initialMargin": round(1 / p.max_leverage, 6),
                    "maintainMargin": p.maintenance_rate,
                    "maxRiskLimit": 100_000,
                    "minRiskLimit": 100_000,
                    "riskStep": 50_000,
                    "makerFeeRate": 0.0002,
                    "takerFeeRate": 0.0006,
                    "takerFixFee": 0.0,
                    "makerFixFee": 0.0,
                    "settlementFee": None,
                    "isDeleverage": True,
                    "isQuanto": False,
                    "isInverse": False,
                    "markMethod": "FairPrice",
                    "fairMethod": "FundingRate",
                    "status": "Open",
                    "fundingFeeRate": 0.0001,
                    "predictedFundingFeeRate": 0.0001,
                    "fundingRateGranularity": 28_800_000,
                    "openInterest": str(round(t.volume / p.kucoin_multiplier * 0.4)),
                    "turnoverOf24h": round(t.quote_volume, 4),
                    "volumeOf24h": round(t.volume, 4),
                    "markPrice": round(t.last, d),
                    "indexPrice": round(t.last * 0.99995, d),
                    "lastTradePrice": round(t.last, d),
                    "nextFundingRateTime": 8 * HOUR_MS - req.now_ms % (8 * HOUR_MS),
                    "maxLeverage": p.max_leverage,
                    "lowPrice": round(t.low, d),
                    "highPrice": round(t.high, d),
                    "priceChgPct": round((t.last - t.open) / t.open, 4),
                    "priceChg": round(t.last - t.open, d),
                }
            )
        return _ok(data)

    def _futures_ticker_body(self, p: Perpetual, now_ms: int) -> dict[str, object]:
        t = self.world.prices.ticker(p.base, "USDT", p.daily_volume_usd, now_ms)
        d = p.price_decimals
        return {
            "sequence": now_ms,
            "symbol": p.kucoin_symbol,
            "side": "buy",
            "size": 1 + hash64(now_ms) % 20,
            "tradeId": str(now_ms),
            "price": num(t.last, d),
            "bestBidPrice": num(t.bid, d),
            "bestBidSize": 100 + hash64(now_ms, 1) % 2000,
            "bestAskPrice": num(t.ask, d),
            "bestAskSize": 100 + hash64(now_ms, 2) % 2000,
            "ts": now_ms * 1_000_000,
        }

    def futures_ticker(self, req: Request, key: DemoKey | None) -> Reply:
        perp = self.perps.get(req.query.get("symbol", ""))
        if perp is None:
            return _error("bad_symbol")
        return _ok(self._futures_ticker_body(perp, req.now_ms))

    def futures_all_tickers(self, req: Request, key: DemoKey | None) -> Reply:
        return _ok([self._futures_ticker_body(p, req.now_ms) for p in PERPETUALS])

    def account_overview(self, req: Request, key: DemoKey | None) -> Reply:
        currency = req.query.get("currency", "XBT")
        account = self._account(key)
        states = account.position_states(req.now_ms) if currency == "USDT" else []
        cash = account.futures_cash if currency == "USDT" else 0.0
        margin = sum(s.margin for s in states)
        unrealised = sum(s.unrealised for s in states)
        equity = cash + unrealised
        available = max(cash - margin + min(unrealised, 0.0), 0.0)
        return _ok(
            {
                "accountEquity": round(equity, 8),
                "unrealisedPNL": round(unrealised, 8),
                "marginBalance": round(cash, 8),
                "positionMargin": round(margin, 8),
                "orderMargin": 0,
                "frozenFunds": 0,
                "availableBalance": round(available, 8),
                "currency": currency,
                "riskRatio": round(sum(s.maintenance for s in states) / equity, 6) if equity else 0,
                "maxWithdrawAmount": round(available, 8),
            }
        )

    def positions(self, req: Request, key: DemoKey | None) -> Reply:
        currency = req.query.get("currency")
        if currency not in (None, "USDT"):
            return _ok([])
        data = []
        for s in self._account(key).position_states(req.now_ms):
            p = s.position
            perp = next(x for x in PERPETUALS if x.base == p.base)
            sign = 1 if p.side == "long" else -1
            lots = round(p.qty / perp.kucoin_multiplier) * sign
            cost = p.qty * p.entry * sign
            comm = abs(cost) * 0.0006
            cross = p.margin_mode == "cross"
            data.append(
                {
                    "id": _hex_id(self.world.seed, int(p.id)),
                    "symbol": perp.kucoin_symbol,
                    "marginMode": "CROSS" if cross else "ISOLATED",
                    "crossMode": cross,
                    "delevPercentage": 0.35,
                    "openingTimestamp": p.opened_ms,
                    "currentTimestamp": req.now_ms,
                    "currentQty": lots,
                    "currentCost": round(cost, 8),
                    "currentComm": round(comm, 8),
                    "unrealisedCost": round(cost, 8),
                    "realisedGrossCost": 0.0,
                    "realisedCost": round(comm, 8),
                    "isOpen": True,
                    "markPrice": s.mark,
                    "markValue": round(s.mark * p.qty * sign, 8),
                    "posCost": round(cost, 8),
                    "posCross": 0.0,
                    "posInit": round(s.margin, 8),
                    "posComm": round(comm, 8),
                    "posLoss": 0.0,
                    "posMargin": round(s.margin + comm, 8),
                    "posMaint": round(s.maintenance, 8),
                    "maintMargin": round(s.margin + comm + s.unrealised, 8),
                    "realisedGrossPnl": 0.0,
                    "realisedPnl": round(p.realised, 8),
                    "unrealisedPnl": round(s.unrealised, 8),
                    "unrealisedPnlPcnt": round(s.unrealised / abs(cost), 4),
                    "unrealisedRoePcnt": round(s.unrealised / s.margin, 4),
                    "avgEntryPrice": p.entry,
                    "liquidationPrice": s.liquidation,
                    "bankruptPrice": round(p.entry * (1 - sign / p.leverage), perp.price_decimals),
                    "settleCurrency": "USDT",
                    "isInverse": False,
                    "maintainMargin": perp.maintenance_rate,
                    "riskLimit": 100_000,
                    "realLeverage": round(abs(s.notional) / (s.margin + s.unrealised), 2),
                    "leverage": p.leverage,
                    "autoDeposit": False,
                    "positionSide": "BOTH",
                }
            )
        return _ok(data)

    def futures_orders(self, req: Request, key: DemoKey | None) -> Reply:
        return _page([], req)

    def futures_fills(self, req: Request, key: DemoKey | None) -> Reply:
        return _page([], req)
