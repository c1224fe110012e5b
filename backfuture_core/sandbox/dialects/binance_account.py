"""Binance signed endpoints: the key's restrictions (``/sapi/v1/account/apiRestrictions``), the
spot account, orders and fills (``/api/v3``) and the USD-M futures account and positions
(``/fapi``) of the signing key's account.

Written from Binance's API documentation and ccxt's recorded bodies
(ts/src/test/static/response/binance.json), independently of backfuture_core.exchanges.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from backfuture_core.sandbox.dialects.base import (
    WorldView,
    futures_totals,
    order_status,
    time_window,
)
from backfuture_core.sandbox.dialects.binance_errors import ERRORS
from backfuture_core.sandbox.dialects.binance_market import LINEAR, SPOT, pair_of
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import ASSETS, hash64, num, text_key
from backfuture_core.sandbox.records import Order, Trade
from backfuture_core.values import DAY_MS

R = TypeVar("R", Order, Trade)

FLAGS = (
    "enableReading", "enableSpotAndMarginTrading", "enableWithdrawals", "enableInternalTransfer",
    "enableMargin", "enableFutures", "permitsUniversalTransfer", "enableVanillaOptions",
    "enableFixApiTrade", "enableFixReadOnly", "enablePortfolioMarginTrading",
)  # fmt: skip
SPOT_SPAN = DAY_MS  # allOrders and myTrades: at most 24 hours per call
ROWS_MAX = 1000


class BinanceAccount(WorldView):
    def api_restrictions(self, req: Request, key: DemoKey) -> Reply:
        created = datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000
        created += hash64(text_key(key.api_key)) % (300 * DAY_MS)
        body: dict[str, object] = {"ipRestrict": bool(key.ip_whitelist), "createTime": int(created)}
        body.update({flag: flag in key.permissions for flag in FLAGS})
        return json_reply(body)

    def account(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        omit_zero = req.query.get("omitZeroBalances") == "true"
        balances = []
        for asset, total in account.balances.items():
            if omit_zero and total == 0:
                continue
            d = ASSETS[asset].decimals
            locked = account.locked(asset)
            balances.append(
                {"asset": asset, "free": num(total - locked, d), "locked": num(locked, d)}
            )
        return json_reply(
            {
                "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
                "sellerCommission": 0, "canTrade": True, "canWithdraw": True, "canDeposit": True,
                "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
                "updateTime": req.now_ms, "accountType": "SPOT", "balances": balances,
                "permissions": ["SPOT"], "uid": int(account.uid),
            }
        )  # fmt: skip

    # ------------------------------------------------------------------ spot orders
    def _order(self, o: Order) -> dict[str, object]:
        p = SPOT[o.base + o.quote]
        d, a = p.price_decimals, p.amount_decimals
        status = order_status(o, "NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED")
        return {
            "symbol": o.base + o.quote, "orderId": int(o.id), "orderListId": -1,
            "clientOrderId": o.client_id, "price": num(o.price, d), "origQty": num(o.amount, a),
            "executedQty": num(o.filled, a),
            "cummulativeQuoteQty": num(o.filled * o.avg_price, d + a), "status": status,
            "timeInForce": "GTC", "type": o.type.upper(), "side": o.side.upper(),
            "stopPrice": "0", "icebergQty": "0", "time": o.created_ms, "updateTime": o.updated_ms,
            "isWorking": True, "workingTime": o.created_ms,
            "origQuoteOrderQty": "0", "selfTradePreventionMode": "EXPIRE_MAKER",
        }  # fmt: skip

    def _trade(self, t: Trade) -> dict[str, object]:
        p = SPOT[t.base + t.quote]
        d, a = p.price_decimals, p.amount_decimals
        return {
            "symbol": t.base + t.quote, "id": int(t.id), "orderId": int(t.order_id),
            "orderListId": -1, "price": num(t.price, d), "qty": num(t.amount, a),
            "quoteQty": num(t.price * t.amount, d + a), "commission": num(t.fee, 8),
            "commissionAsset": t.quote, "time": t.time_ms, "isBuyer": t.side == "buy",
            "isMaker": t.maker, "isBestMatch": True,
        }  # fmt: skip

    def open_orders(self, req: Request, key: DemoKey) -> Reply:
        rows = self.world.account_of(key).open_orders
        if "symbol" in req.query:
            pair = pair_of(req, futures=False)
            rows = [o for o in rows if (o.base, o.quote) == (pair.base, pair.quote)]
        return json_reply([self._order(o) for o in rows])

    def _window(self, req: Request) -> tuple[int, int, bool]:
        start, end = req.int_param("startTime"), req.int_param("endTime")
        if start is not None and end is not None and end - start > SPOT_SPAN:
            raise ERRORS("window", hours=24)
        first, last = time_window(start, end, req.now_ms, SPOT_SPAN, SPOT_SPAN)
        return first, min(last, req.now_ms), start is not None

    def _listed(self, req: Request, listing: Callable[[str, str, int, int], list[R]]) -> list[R]:
        """The rows of a pair's `listing` in the request's window: the first `limit` from a
        start, else the last."""
        pair = pair_of(req, futures=False)
        start, end, from_start = self._window(req)
        rows = listing(pair.base, pair.quote, start, end)
        limit = req.limit("limit", 500, 1, ROWS_MAX)
        return rows[:limit] if from_start else rows[-limit:]

    def all_orders(self, req: Request, key: DemoKey) -> Reply:
        rows = self._listed(req, self.world.account_of(key).orders)
        return json_reply([self._order(o) for o in rows])

    def my_trades(self, req: Request, key: DemoKey) -> Reply:
        rows = self._listed(req, self.world.account_of(key).trades)
        return json_reply([self._trade(t) for t in rows])

    # ---------------------------------------------------------------------- futures
    def futures_account(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        states, cash, margin, pnl = futures_totals(account, req.now_ms)
        available = max(cash - margin + min(pnl, 0.0), 0.0)
        asset = {
            "asset": "USDT", "walletBalance": num(cash, 8), "unrealizedProfit": num(pnl, 8),
            "marginBalance": num(cash + pnl, 8), "maintMargin": num(sum(s.maintenance for s in states), 8),
            "initialMargin": num(margin, 8), "positionInitialMargin": num(margin, 8),
            "openOrderInitialMargin": "0", "crossWalletBalance": num(cash, 8),
            "crossUnPnl": num(pnl, 8), "availableBalance": num(available, 8),
            "maxWithdrawAmount": num(available, 8), "updateTime": req.now_ms,
        }  # fmt: skip
        return json_reply(
            {
                "totalInitialMargin": num(margin, 8), "totalWalletBalance": num(cash, 8),
                "totalUnrealizedProfit": num(pnl, 8), "totalMarginBalance": num(cash + pnl, 8),
                "availableBalance": num(available, 8), "maxWithdrawAmount": num(available, 8),
                "assets": [asset], "positions": [],
            }
        )  # fmt: skip

    def position_risk(self, req: Request, key: DemoKey) -> Reply:
        rows = []
        for s in self.world.account_of(key).position_states(req.now_ms):
            p = s.position
            sign = 1 if p.side == "long" else -1
            rows.append(
                {
                    "symbol": p.base + "USDT", "positionSide": "BOTH",
                    "positionAmt": num(sign * p.qty, 3), "entryPrice": num(p.entry, 4),
                    "breakEvenPrice": num(p.entry, 4), "markPrice": num(s.mark, 4),
                    "unRealizedProfit": num(s.unrealised, 8), "liquidationPrice": num(s.liquidation, 4),
                    "isolatedMargin": num(s.margin if p.margin_mode == "isolated" else 0, 8),
                    "notional": num(sign * s.notional, 8), "marginAsset": "USDT",
                    "isolatedWallet": num(s.margin if p.margin_mode == "isolated" else 0, 8),
                    "initialMargin": num(s.margin, 8), "maintMargin": num(s.maintenance, 8),
                    "positionInitialMargin": num(s.margin, 8), "openOrderInitialMargin": "0",
                    "adl": 1, "bidNotional": "0", "askNotional": "0", "updateTime": p.opened_ms,
                    "marginType": p.margin_mode, "leverage": str(p.leverage),
                }
            )  # fmt: skip
        return json_reply(rows)

    def leverage_bracket(self, req: Request, key: DemoKey) -> Reply:
        return json_reply(
            [
                {
                    "symbol": symbol,
                    "brackets": [
                        {
                            "bracket": 1,
                            "initialLeverage": 50,
                            "notionalCap": 5_000_000,
                            "notionalFloor": 0,
                            "maintMarginRatio": 0.01,
                            "cum": 0.0,
                        },
                    ],
                }
                for symbol in LINEAR
            ]
        )

    def no_rows(self, req: Request, key: DemoKey) -> Reply:
        """Futures orders and fills: the demo world trades futures through no order."""
        return json_reply([])
