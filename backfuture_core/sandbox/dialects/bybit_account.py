"""Bybit v5 signed endpoints: the key (``/v5/user/query-api``), the Unified account's info and
wallet, positions, open orders, order history and fills of the signing key's account.

Written from Bybit's v5 documentation and ccxt's recorded bodies
(ts/src/test/static/response/bybit.json), independently of backfuture_core.exchanges.
"""

from __future__ import annotations

from datetime import UTC, datetime

from backfuture_core.sandbox.dialects.base import WorldView, order_status, time_window
from backfuture_core.sandbox.dialects.bybit_errors import ERRORS
from backfuture_core.sandbox.dialects.bybit_market import SPOT, category_of, ok
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request
from backfuture_core.sandbox.prices import ASSETS, hash64, num, text_key
from backfuture_core.sandbox.records import Order, Trade
from backfuture_core.values import DAY_MS

GROUPS = ("ContractTrade", "Spot", "Wallet", "Options", "Derivatives", "CopyTrading",
          "BlockTrade", "Exchange", "NFT", "Affiliate", "Earn")  # fmt: skip
SPAN = 7 * DAY_MS  # order history and executions: at most 7 days per call
OPEN_MAX, HISTORY_MAX = 50, 100
READ_ONLY = "ReadOnly"


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class BybitAccount(WorldView):
    def query_api(self, req: Request, key: DemoKey) -> Reply:
        created = datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000
        created += hash64(text_key(key.api_key)) % (300 * DAY_MS)
        permissions = {g: [p.split(":", 1)[1] for p in key.permissions if p.startswith(g + ":")]
                       for g in GROUPS}  # fmt: skip
        bound = bool(key.ip_whitelist)
        # Keys without an IP binding expire after 90 days; bound ones do not.
        deadline = 0 if bound else 90 - int((req.now_ms - created) // DAY_MS) % 90
        result = {
            "id": str(hash64(text_key(key.api_key)) % 10**8), "note": key.label,
            "apiKey": key.api_key, "readOnly": 1 if READ_ONLY in key.permissions else 0,
            "secret": "", "permissions": permissions,
            "ips": list(key.ip_whitelist) if bound else ["*"], "type": 1,
            "deadlineDay": deadline, "expiredAt": "" if bound else _iso(req.now_ms + deadline * DAY_MS),
            "createdAt": _iso(created), "unified": 0, "uta": 1,
            "userID": int(self.world.account_of(key).uid), "inviterID": 0,
            "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "",
            "isMaster": True, "parentUid": "0", "kycLevel": "LEVEL_1", "kycRegion": "",
        }  # fmt: skip
        return ok(result, req.now_ms)

    def account_info(self, req: Request, key: DemoKey) -> Reply:
        result = {"unifiedMarginStatus": 5, "marginMode": "REGULAR_MARGIN", "isMasterTrader": False,
                  "spotHedgingStatus": "OFF", "updatedTime": str(req.now_ms), "dcpStatus": "OFF",
                  "timeWindow": 10, "smpGroup": 0}  # fmt: skip
        return ok(result, req.now_ms)

    def wallet_balance(self, req: Request, key: DemoKey) -> Reply:
        if req.query.get("accountType") != "UNIFIED":
            raise ERRORS("params", detail="accountType only support UNIFIED.")
        account = self.world.account_of(key)
        states = account.position_states(req.now_ms)
        pnl = sum(s.unrealised for s in states)
        margin = sum(s.margin for s in states)
        holdings = dict(account.balances)
        holdings["USDT"] = holdings.get("USDT", 0.0) + account.futures_cash
        prices = self.world.prices
        coins, equity_usd = [], 0.0
        for asset, total in holdings.items():
            d = ASSETS[asset].decimals
            usd = total * (prices.usd(asset, req.now_ms) if ASSETS[asset].usd else 0.0)
            equity = total + (pnl if asset == "USDT" else 0.0)
            equity_usd += usd + (pnl if asset == "USDT" else 0.0)
            locked = account.locked(asset)
            coins.append(
                {
                    "coin": asset, "equity": num(equity, d), "usdValue": num(usd, 4),
                    "walletBalance": num(total, d), "locked": num(locked, d),
                    "spotHedgingQty": "0", "borrowAmount": "0", "accruedInterest": "0",
                    "totalOrderIM": "0", "totalPositionIM": num(margin if asset == "USDT" else 0, 8),
                    "totalPositionMM": "0", "unrealisedPnl": num(pnl if asset == "USDT" else 0, 8),
                    "cumRealisedPnl": "0", "bonus": "0", "marginCollateral": True,
                    "collateralSwitch": True, "availableToWithdraw": "",
                }
            )  # fmt: skip
        row = {
            "accountType": "UNIFIED", "totalEquity": num(equity_usd, 4),
            "totalWalletBalance": num(equity_usd - pnl, 4), "totalMarginBalance": num(equity_usd, 4),
            "totalAvailableBalance": num(equity_usd - margin, 4), "totalPerpUPL": num(pnl, 4),
            "totalInitialMargin": num(margin, 4), "totalMaintenanceMargin": "0",
            "accountIMRate": "0", "accountMMRate": "0", "accountLTV": "0", "coin": coins,
        }  # fmt: skip
        return ok({"list": [row]}, req.now_ms)

    def positions(self, req: Request, key: DemoKey) -> Reply:
        if category_of(req) != "linear":
            raise ERRORS("params", detail="Illegal category")
        rows = []
        for s in self.world.account_of(key).position_states(req.now_ms):
            p = s.position
            rows.append(
                {
                    "positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000",
                    "symbol": p.base + "USDT", "side": "Buy" if p.side == "long" else "Sell",
                    "size": num(p.qty, 3), "avgPrice": num(p.entry, 4),
                    "positionValue": num(p.qty * p.entry, 4), "tradeMode": 1 if p.margin_mode == "isolated" else 0,
                    "autoAddMargin": 0, "positionStatus": "Normal", "leverage": str(p.leverage),
                    "markPrice": num(s.mark, 4), "liqPrice": num(s.liquidation, 4), "bustPrice": "",
                    "positionIM": num(s.margin, 8), "positionMM": num(s.maintenance, 8),
                    "takeProfit": "", "stopLoss": "", "trailingStop": "0",
                    "unrealisedPnl": num(s.unrealised, 8), "curRealisedPnl": num(p.realised, 8),
                    "cumRealisedPnl": num(p.realised, 8), "adlRankIndicator": 2,
                    "createdTime": str(p.opened_ms), "updatedTime": str(p.opened_ms),
                    "seq": 1, "isReduceOnly": False,
                }
            )  # fmt: skip
        return ok({"category": "linear", "list": rows, "nextPageCursor": ""}, req.now_ms)

    # ------------------------------------------------------------------ orders and fills
    def _order(self, o: Order) -> dict[str, object]:
        p = SPOT[o.base + o.quote]
        d, a = p.price_decimals, p.amount_decimals
        status = order_status(o, "New", "PartiallyFilled", "Filled", "Cancelled")
        return {
            "orderId": o.id, "orderLinkId": o.client_id, "symbol": o.base + o.quote,
            "price": num(o.price, d), "qty": num(o.amount, a), "side": o.side.capitalize(),
            "orderStatus": status, "avgPrice": num(o.avg_price, d),
            "leavesQty": num(o.remaining if o.is_open else 0, a), "cumExecQty": num(o.filled, a),
            "cumExecValue": num(o.filled * o.avg_price, d + a), "cumExecFee": "0",
            "timeInForce": "GTC", "orderType": o.type.capitalize(), "isLeverage": "0",
            "positionIdx": 0, "reduceOnly": False, "createdTime": str(o.created_ms),
            "updatedTime": str(o.updated_ms),
        }  # fmt: skip

    def _trade(self, t: Trade) -> dict[str, object]:
        p = SPOT[t.base + t.quote]
        d, a = p.price_decimals, p.amount_decimals
        return {
            "symbol": t.base + t.quote, "orderId": t.order_id, "orderLinkId": t.client_id,
            "side": t.side.capitalize(), "orderPrice": num(t.price, d),
            "orderQty": num(t.amount, a), "orderType": t.type.capitalize(),
            "execFee": num(t.fee, 8), "feeCurrency": t.quote, "execId": t.id,
            "execPrice": num(t.price, d), "execQty": num(t.amount, a), "execType": "Trade",
            "execValue": num(t.price * t.amount, d + a), "execTime": str(t.time_ms),
            "isMaker": t.maker, "feeRate": "0.001",
        }  # fmt: skip

    def _window(self, req: Request) -> tuple[int, int]:
        start, end = req.int_param("startTime"), req.int_param("endTime")
        if start is not None and end is not None and end - start > SPAN:
            raise ERRORS(
                "params",
                detail="The time range between startTime and endTime cannot exceed 7 days.",
            )
        first, last = time_window(start, end, req.now_ms, SPAN, SPAN)
        return first, min(last, req.now_ms)

    def _symbol_filter(self, req: Request) -> str | None:
        return req.query.get("symbol") or None

    def open_orders(self, req: Request, key: DemoKey) -> Reply:
        category = category_of(req)
        rows = [] if category == "linear" else self.world.account_of(key).open_orders
        symbol = self._symbol_filter(req)
        rows = [o for o in rows if symbol is None or o.base + o.quote == symbol]
        limit = req.limit("limit", 20, 1, OPEN_MAX)
        return ok({"category": category, "list": [self._order(o) for o in rows[:limit]],
                   "nextPageCursor": ""}, req.now_ms)  # fmt: skip

    def order_history(self, req: Request, key: DemoKey) -> Reply:
        category = category_of(req)
        start, end = self._window(req)
        rows = [] if category == "linear" else self.world.account_of(key).all_orders(start, end)
        symbol = self._symbol_filter(req)
        rows = [o for o in rows if not o.is_open and (symbol is None or o.base + o.quote == symbol)]
        rows = rows[::-1][: req.limit("limit", 20, 1, HISTORY_MAX)]  # newest first
        return ok({"category": category, "list": [self._order(o) for o in rows],
                   "nextPageCursor": ""}, req.now_ms)  # fmt: skip

    def executions(self, req: Request, key: DemoKey) -> Reply:
        category = category_of(req)
        start, end = self._window(req)
        rows = (
            []
            if category == "linear"
            else self.world.account_of(key).trades(None, None, start, end)
        )
        symbol = self._symbol_filter(req)
        rows = [t for t in rows if symbol is None or t.base + t.quote == symbol]
        rows = rows[::-1][: req.limit("limit", 50, 1, HISTORY_MAX)]  # newest first
        return ok({"category": category, "list": [self._trade(t) for t in rows],
                   "nextPageCursor": ""}, req.now_ms)  # fmt: skip
