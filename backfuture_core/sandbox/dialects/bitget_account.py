"""Bitget v2 account and trade endpoints (signed): the key's account info, spot assets, the
USDT-M futures account and positions, open orders, order history and fills.

Written from Bitget's API documentation (reference/exchanges.md section 3.3), independently of
backfuture_core.exchanges. Lists come newest first, at most 100 rows a call, page backwards
with ``idLessThan`` and cover at most 90 days (``startTime``/``endTime``).
"""

from __future__ import annotations

import json

from backfuture_core.sandbox.dialects.base import WorldView, time_window
from backfuture_core.sandbox.dialects.bitget_market import PAIRS, spot_pair
from backfuture_core.sandbox.dialects.bitget_replies import PAGE_LIMIT, ok
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request
from backfuture_core.sandbox.prices import ASSETS, find_perpetual, num
from backfuture_core.sandbox.records import Order, Trade
from backfuture_core.values import DAY_MS

LIST_DAYS = 90
STATUS = {"open": "live", "filled": "filled", "canceled": "cancelled"}
REGISTERED_MS = 1_609_459_200_000


class BitgetAccount(WorldView):
    def info(self, req: Request, key: DemoKey) -> Reply:
        uid = self.world.account_of(key).uid
        data = {
            "userId": uid, "inviterId": None, "ips": ",".join(key.ip_whitelist),
            "authorities": list(key.permissions), "parentId": int(uid), "traderType": "",
            "channelCode": "", "channel": "", "regisTime": str(REGISTERED_MS),
        }  # fmt: skip
        return ok(data, req)

    def assets(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        wanted = req.query.get("coin")
        rows = []
        for code, total in account.balances.items():
            if wanted not in (None, code):
                continue
            dec = ASSETS[code].decimals
            frozen = account.locked(code)
            rows.append(
                {
                    "coin": code, "available": num(total - frozen, dec),
                    "frozen": num(frozen, dec), "locked": "0", "limitAvailable": "0",
                    "uTime": str(req.now_ms),
                }
            )  # fmt: skip
        return ok(rows, req)

    def mix_accounts(self, req: Request, key: DemoKey) -> Reply:
        if req.query.get("productType", "").upper() != "USDT-FUTURES":
            return ok([], req)
        account = self.world.account_of(key)
        states = account.position_states(req.now_ms)
        upl = sum(s.unrealised for s in states)
        margin = sum(s.margin for s in states)
        cash = account.futures_cash
        equity = cash + upl
        available = max(cash - margin + min(upl, 0.0), 0.0)
        btc = self.world.prices.usd("BTC", req.now_ms)
        return ok(
            [
                {
                    "marginCoin": "USDT", "locked": num(margin, 8), "available": num(cash, 8),
                    "crossedMaxAvailable": num(available, 8),
                    "isolatedMaxAvailable": num(available, 8), "maxTransferOut": num(available, 8),
                    "accountEquity": num(equity, 8), "usdtEquity": num(equity, 8),
                    "btcEquity": num(equity / btc, 8), "crossedRiskRate": "0",
                    "unrealizedPL": num(upl, 8), "coupon": "0", "crossedUnrealizedPL": "",
                    "isolatedUnrealizedPL": "",
                }
            ],
            req,
        )  # fmt: skip

    def positions(self, req: Request, key: DemoKey) -> Reply:
        data = []
        for s in self.world.account_of(key).position_states(req.now_ms):
            p = s.position
            d = find_perpetual(p.base).price_decimals
            data.append(
                {
                    "marginCoin": "USDT", "symbol": p.base + "USDT", "holdSide": p.side,
                    "openDelegateSize": "0", "marginSize": num(s.margin, 8),
                    "available": num(p.qty, 4), "locked": "0", "total": num(p.qty, 4),
                    "leverage": str(p.leverage), "achievedProfits": num(p.realised, 8),
                    "openPriceAvg": num(p.entry, d), "marginMode": p.margin_mode + (
                        "ed" if p.margin_mode == "cross" else ""),
                    "posMode": "one_way_mode", "unrealizedPL": num(s.unrealised, 8),
                    "liquidationPrice": num(s.liquidation, d), "keepMarginRate": "0.004",
                    "markPrice": num(s.mark, d), "cTime": str(p.opened_ms),
                    "uTime": str(req.now_ms),
                }
            )  # fmt: skip
        return ok(data, req)

    # ------------------------------------------------------------------ orders
    def _order_body(self, uid: str, o: Order) -> dict[str, object]:
        pair = PAIRS[o.base + o.quote]
        d, a = pair.price_decimals, pair.amount_decimals
        status = "partially_filled" if o.is_open and o.filled else STATUS[o.status]
        fee = {"newFees": {"t": num(-o.filled * o.avg_price * 0.001, 8)}}
        return {
            "userId": uid, "symbol": o.base + o.quote, "orderId": o.id,
            "clientOid": o.client_id, "price": num(o.price, d), "size": num(o.amount, a),
            "orderType": o.type, "side": o.side, "status": status,
            "priceAvg": num(o.avg_price, d), "baseVolume": num(o.filled, a),
            "quoteVolume": num(o.filled * o.avg_price, d + a), "enterPointSource": "API",
            "feeDetail": json.dumps(fee), "orderSource": "normal",
            "cTime": str(o.created_ms), "uTime": str(o.updated_ms),
        }  # fmt: skip

    def _trade_body(self, uid: str, t: Trade) -> dict[str, object]:
        pair = PAIRS[t.base + t.quote]
        d, a = pair.price_decimals, pair.amount_decimals
        return {
            "userId": uid, "symbol": t.base + t.quote, "orderId": t.order_id,
            "tradeId": t.id, "orderType": t.type, "side": t.side, "priceAvg": num(t.price, d),
            "size": num(t.amount, a), "amount": num(t.price * t.amount, d + a),
            "feeDetail": {"deduction": "no", "feeCoin": t.quote, "totalDeductionFee": "0",
                          "totalFee": num(-t.fee, 10)},
            "tradeScope": "maker" if t.maker else "taker",
            "cTime": str(t.time_ms), "uTime": str(t.time_ms),
        }  # fmt: skip

    def _page(self, rows: list[dict[str, object]], req: Request, id_field: str) -> Reply:
        cursor = req.query.get("idLessThan")
        ids = [str(r[id_field]) for r in rows]
        if cursor in ids:
            rows = rows[ids.index(cursor) + 1 :]
        return ok(rows[: req.limit("limit", PAGE_LIMIT, 1, PAGE_LIMIT)], req)

    def _window(self, req: Request) -> tuple[int, int]:
        start, end = req.int_param("startTime"), req.int_param("endTime")
        span = LIST_DAYS * DAY_MS
        return time_window(start, end, req.now_ms, span, span)

    def _pair(self, req: Request) -> tuple[str, str] | None:
        symbol = req.query.get("symbol")
        if not symbol:
            return None
        pair = spot_pair(symbol)
        return pair.base, pair.quote

    def unfilled_orders(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        pair = self._pair(req)
        rows = [o for o in account.open_orders if pair in (None, (o.base, o.quote))]
        rows.sort(key=lambda o: o.created_ms, reverse=True)
        return self._page([self._order_body(account.uid, o) for o in rows], req, "orderId")

    def history_orders(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        pair, (start, end) = self._pair(req), self._window(req)
        found = (
            account.all_orders(start, end) if pair is None else account.orders(*pair, start, end)
        )
        rows = [o for o in found if not o.is_open]
        rows.sort(key=lambda o: o.created_ms, reverse=True)
        return self._page([self._order_body(account.uid, o) for o in rows], req, "orderId")

    def fills(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        base, quote = self._pair(req) or (None, None)
        rows = account.trades(base, quote, *self._window(req))
        rows.sort(key=lambda t: t.time_ms, reverse=True)
        return self._page([self._trade_body(account.uid, t) for t in rows], req, "tradeId")

    def no_mix_orders(self, req: Request, key: DemoKey) -> Reply:
        """Futures orders: the demo world trades futures through no order."""
        return ok({"entrustedList": None, "endId": None}, req)

    def no_mix_fills(self, req: Request, key: DemoKey) -> Reply:
        return ok({"fillList": None, "endId": None}, req)
