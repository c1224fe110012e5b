"""MEXC spot v3 account endpoints (``/api/v3/...``, signed): what the signing key's account
holds and its orders, fills and order placement.

Written from MEXC's API documentation (reference/exchanges.md section 1), independently of
backfuture_core.exchanges.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from backfuture_core.sandbox.dialects.base import KeyLookup, time_window
from backfuture_core.sandbox.dialects.mexc_errors import SPOT_ERRORS
from backfuture_core.sandbox.dialects.mexc_market import PAIRS, required_pair
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import ASSETS, Pair, hash64, num, text_key
from backfuture_core.sandbox.records import Order, Trade
from backfuture_core.sandbox.world import World
from backfuture_core.values import DAY_MS

ORDERS_WINDOW_MS = 7 * DAY_MS
ORDER_TYPES = ("LIMIT", "MARKET", "LIMIT_MAKER", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL")

Row = TypeVar("Row", Order, Trade)


def _oldest_or_newest(rows: list[Row], limit: int, oldest: bool) -> list[Row]:
    """MEXC keeps the first `limit` rows from a start time, else the last ones."""
    return rows[:limit] if oldest else rows[-limit:]


class MexcAccount:
    """The spot v3 account of the signing key: key info, uid, balances, orders and fills."""

    def __init__(self, world: World, keys: KeyLookup) -> None:
        self.world = world
        self.keys = keys
        self.pairs = PAIRS

    def api_key_info(self, req: Request, key: DemoKey) -> Reply:
        access_key = req.query.get("accessKey")
        if not access_key:
            raise SPOT_ERRORS("access_key_null")
        info = self.keys(access_key)
        if info is None or info.exchange != "mexc":
            raise SPOT_ERRORS("api_key_not_exist")
        start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
        created = start + hash64(text_key(info.api_key)) % (300 * 86_400)
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

    def uid(self, req: Request, key: DemoKey) -> Reply:
        return json_reply({"uid": self.world.account_of(key).uid})

    def account(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        balances = []
        for asset, total in account.balances.items():
            decimals = ASSETS[asset].decimals
            locked = account.locked(asset)
            free = num(total - locked, decimals)
            balances.append({"asset": asset, "free": free, "locked": num(locked, decimals)})
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

    def open_orders(self, req: Request, key: DemoKey) -> Reply:
        pair = required_pair(req)
        account = self.world.account_of(key)
        rows = [o for o in account.open_orders if (o.base, o.quote) == (pair.base, pair.quote)]
        return json_reply([self._order_body(o) for o in rows])

    def _window(
        self, req: Request, default_span: int, max_span: int | None
    ) -> tuple[int, int, bool]:
        """Start and end of a list request, and whether the caller gave the start."""
        start = req.int_param("startTime")
        first, end = time_window(
            start, req.int_param("endTime"), req.now_ms, default_span, max_span
        )
        return first, min(end, req.now_ms), start is not None

    def all_orders(self, req: Request, key: DemoKey) -> Reply:
        pair = required_pair(req)
        # MEXC: 24 hours by default, at most 7 days per call, at most 1000 rows.
        start, end, from_start = self._window(req, DAY_MS, ORDERS_WINDOW_MS)
        rows = self.world.account_of(key).orders(pair.base, pair.quote, start, end)
        rows = _oldest_or_newest(rows, req.limit("limit", 500, 1, 1000), from_start)
        return json_reply([self._order_body(o) for o in rows])

    def my_trades(self, req: Request, key: DemoKey) -> Reply:
        pair = required_pair(req)
        start, end, from_start = self._window(req, 30 * DAY_MS, None)
        rows = self.world.account_of(key).trades(pair.base, pair.quote, start, end)
        rows = _oldest_or_newest(rows, req.limit("limit", 100, 1, 1000), from_start)
        return json_reply([self._trade_body(t) for t in rows])

    def _find_order(self, req: Request, key: DemoKey) -> Order:
        """The order a query or cancel names (by orderId or origClientOrderId)."""
        pair = required_pair(req)
        order_id = req.query.get("orderId")
        client_id = req.query.get("origClientOrderId")
        if not order_id and not client_id:
            raise SPOT_ERRORS("missing", name="orderId")
        account = self.world.account_of(key)
        if order_id:
            order = account.find_order(order_id)
        else:
            order = next((o for o in account.open_orders if o.client_id == client_id), None)
        if order is None or (order.base, order.quote) != (pair.base, pair.quote):
            raise SPOT_ERRORS("order_not_exist" if req.method == "GET" else "unknown_order")
        return order

    def query_order(self, req: Request, key: DemoKey) -> Reply:
        return json_reply(self._order_body(self._find_order(req, key)))

    def _validate_order(self, req: Request) -> tuple[Pair, str, str, float, float]:
        pair = required_pair(req)
        side = req.query.get("side", "").lower()
        kind = req.query.get("type", "").upper()
        if side not in ("buy", "sell"):
            raise SPOT_ERRORS("missing", name="side")
        if kind not in ORDER_TYPES:
            raise SPOT_ERRORS("missing", name="type")
        price = float(req.query.get("price") or 0)
        quantity = float(req.query.get("quantity") or 0)
        quote_qty = float(req.query.get("quoteOrderQty") or 0)
        if kind == "MARKET":
            price = 0.0
            market = self.world.prices.price(pair.base, pair.quote, req.now_ms)
            quantity = quantity or quote_qty / market
        elif price <= 0:
            raise SPOT_ERRORS("missing", name="price")
        if quantity <= 0:
            raise SPOT_ERRORS("missing", name="quantity")
        return pair, side, "market" if kind == "MARKET" else "limit", price, quantity

    def new_order(self, req: Request, key: DemoKey) -> Reply:
        pair, side, kind, price, quantity = self._validate_order(req)
        fill = None
        if kind == "market":
            market = self.world.prices.price(pair.base, pair.quote, req.now_ms)
            fill = round(market, pair.price_decimals)
        order = self.world.account_of(key).place_order(
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

    def test_order(self, req: Request, key: DemoKey) -> Reply:
        self._validate_order(req)
        return json_reply({})

    def cancel_order(self, req: Request, key: DemoKey) -> Reply:
        order = self._find_order(req, key)
        if self.world.account_of(key).cancel_order(order.id, req.now_ms) is None:
            raise SPOT_ERRORS("unknown_order")
        return json_reply({**self._order_body(order), "origClientOrderId": order.client_id})
