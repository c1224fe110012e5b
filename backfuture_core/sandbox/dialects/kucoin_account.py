"""KuCoin spot account endpoints (signed): the key's info, the balances of its account, its
orders and fills, and order placement.

Written from KuCoin's API documentation (reference/exchanges.md section 2), independently of
backfuture_core.exchanges.
"""

from __future__ import annotations

import json

from backfuture_core.sandbox.dialects.base import WorldView, time_window
from backfuture_core.sandbox.dialects.kucoin_market import PAIRS, spot_pair
from backfuture_core.sandbox.dialects.kucoin_replies import ERRORS, hex_id, ok, page
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request
from backfuture_core.sandbox.prices import ASSETS, Pair, hash64, num, text_key
from backfuture_core.sandbox.records import Order, Trade
from backfuture_core.values import DAY_MS

LIST_WINDOW_MS = 7 * DAY_MS


def _mask_ip(ip: str) -> str:
    parts = ip.split(".")
    return f"{parts[0]}.**.{parts[-1]}" if len(parts) == 4 else ip


class KucoinAccount(WorldView):
    """The spot account of the signing key."""

    def api_key_info(self, req: Request, key: DemoKey) -> Reply:
        return ok(
            {
                "remark": key.label,
                "apiKey": key.api_key,
                "apiVersion": 3,
                "permission": ",".join(key.permissions),
                "ipWhitelist": ",".join(_mask_ip(ip) for ip in key.ip_whitelist),
                "createdAt": 1_735_689_600_000 + hash64(text_key(key.api_key)) % (300 * DAY_MS),
                "uid": int(self.world.account_of(key).uid),
                "isMaster": True,
            }
        )

    def accounts(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
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
                        "id": hex_id(self.world.seed, text_key(f"{account.name}:{kind}:{code}")),
                        "currency": code,
                        "type": kind,
                        "balance": num(total, decimals),
                        "available": num(total - holds, decimals),
                        "holds": num(holds, decimals),
                    }
                )
        return ok(rows)

    def _order_body(self, o: Order) -> dict[str, object]:
        pair = PAIRS[f"{o.base}-{o.quote}"]
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
        pair = PAIRS[f"{t.base}-{t.quote}"]
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "symbol": f"{t.base}-{t.quote}",
            "tradeId": t.id,
            "orderId": t.order_id,
            "counterOrderId": hex_id(text_key(t.id)),
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
        start, end = req.int_param("startAt"), req.int_param("endAt")
        return time_window(start, end, req.now_ms, LIST_WINDOW_MS, LIST_WINDOW_MS)

    def _pair_filter(self, req: Request) -> Pair | None:
        symbol = req.query.get("symbol")
        return spot_pair(symbol) if symbol else None

    def orders(self, req: Request, key: DemoKey) -> Reply:
        pair = self._pair_filter(req)
        account = self.world.account_of(key)
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
        return page([self._order_body(o) for o in rows], req)

    def fills(self, req: Request, key: DemoKey) -> Reply:
        pair = self._pair_filter(req)
        start, end = self._list_window(req)
        base, quote = (pair.base, pair.quote) if pair is not None else (None, None)
        rows = self.world.account_of(key).trades(base, quote, start, end)
        rows.sort(key=lambda t: t.time_ms, reverse=True)
        return page([self._trade_body(t) for t in rows], req)

    def new_order(self, req: Request, key: DemoKey) -> Reply:
        try:
            body = json.loads(req.body or "{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ERRORS("bad_param", name="body")
        pair = spot_pair(str(body.get("symbol", "")))
        side = str(body.get("side", ""))
        kind = str(body.get("type", "limit"))
        if side not in ("buy", "sell"):
            raise ERRORS("bad_param", name="side")
        if kind not in ("limit", "market"):
            raise ERRORS("bad_param", name="type")
        try:
            size = float(body.get("size") or 0)
            price = float(body.get("price") or 0)
            funds = float(body.get("funds") or 0)
        except (TypeError, ValueError):
            raise ERRORS("bad_param", name="size") from None
        market = self.world.prices.price(pair.base, pair.quote, req.now_ms)
        if kind == "market":
            size = size or funds / market
            price = 0.0
        elif price <= 0:
            raise ERRORS("bad_param", name="price")
        if size <= 0:
            raise ERRORS("bad_param", name="size")
        fill = round(market, pair.price_decimals) if kind == "market" else None
        order = self.world.account_of(key).place_order(
            pair.base, pair.quote, side, kind, price, size, req.now_ms, fill_price=fill
        )
        return ok({"orderId": order.id})

    def cancel_order(self, req: Request, key: DemoKey) -> Reply:
        order_id = req.path.rsplit("/", 1)[-1]
        if self.world.account_of(key).cancel_order(order_id, req.now_ms) is None:
            raise ERRORS("order_not_exist")
        return ok({"cancelledOrderIds": [order_id]})

    def hf_opened(self, req: Request, key: DemoKey) -> Reply:
        return ok(False)

    def account_mode(self, req: Request, key: DemoKey) -> Reply:
        return ok({"selfAccountMode": "CLASSIC"})
