"""Bybit v5 market data (``/v5/market/...``, public): server time, instruments, tickers and
candles of the spot and linear (USDT perpetual) categories.

Written from Bybit's v5 documentation and ccxt's recorded bodies
(ts/src/test/static/response/bybit.json), independently of backfuture_core.exchanges. Every
answer is wrapped as ``{"retCode": 0, "retMsg": "OK", "result", "retExtInfo", "time"}``.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView
from backfuture_core.sandbox.dialects.bybit_errors import ERRORS
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import MONTH, PERPETUALS, SPOT_PAIRS, WEEK_MS, Pair, num
from backfuture_core.values import DAY_MS, MINUTE_MS

INTERVALS: dict[str, int | str] = {
    **{str(m): m * MINUTE_MS for m in (1, 3, 5, 15, 30, 60, 120, 240, 360, 720)},
    "D": DAY_MS, "W": WEEK_MS, "M": MONTH,
}  # fmt: skip
KLINES_MAX = 1000
SPOT: dict[str, Pair] = {p.base + p.quote: p for p in SPOT_PAIRS["bybit"]}
LINEAR: dict[str, Pair] = {
    p.base + "USDT": Pair(p.base, "USDT", p.price_decimals, 3, p.daily_volume_usd)
    for p in PERPETUALS
}


def ok(result: object, now_ms: int) -> Reply:
    return json_reply(
        {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now_ms}
    )


def category_of(req: Request) -> str:
    category = req.query.get("category", "")
    if category not in ("spot", "linear"):
        raise ERRORS("params", detail="Illegal category")
    return category


def markets(category: str) -> dict[str, Pair]:
    return SPOT if category == "spot" else LINEAR


def pair_of(req: Request, category: str) -> Pair:
    pair = markets(category).get(req.query.get("symbol", ""))
    if pair is None:
        raise ERRORS("params", detail="Not supported symbols")
    return pair


class BybitMarket(WorldView):
    def time(self, req: Request) -> Reply:
        seconds = req.now_ms // 1000
        return ok({"timeSecond": str(seconds), "timeNano": str(req.now_ms * 10**6)}, req.now_ms)

    def _instrument(self, category: str, p: Pair) -> dict[str, object]:
        tick = num(10.0**-p.price_decimals, p.price_decimals)
        step = num(10.0**-p.amount_decimals, p.amount_decimals)
        row: dict[str, object] = {
            "symbol": p.base + p.quote, "baseCoin": p.base, "quoteCoin": p.quote,
            "status": "Trading", "priceFilter": {"tickSize": tick},
        }  # fmt: skip
        if category == "spot":
            row.update(
                innovation="0", marginTrading="none",
                lotSizeFilter={"basePrecision": step, "quotePrecision": "0.0001",
                               "minOrderQty": step, "maxOrderQty": "100000",
                               "minOrderAmt": "5", "maxOrderAmt": "2000000"},
            )  # fmt: skip
        else:
            row.update(
                contractType="LinearPerpetual", settleCoin="USDT", launchTime="1585526400000",
                deliveryTime="0", deliveryFeeRate="", priceScale=str(p.price_decimals),
                leverageFilter={"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
                lotSizeFilter={"maxOrderQty": "1190.000", "minOrderQty": step, "qtyStep": step,
                               "postOnlyMaxOrderQty": "1190.000", "minNotionalValue": "5"},
                unifiedMarginTrade=True, fundingInterval=480, copyTrading="both",
            )  # fmt: skip
        return row

    def instruments(self, req: Request) -> Reply:
        category = category_of(req)
        rows = [self._instrument(category, p) for p in markets(category).values()]
        return ok({"category": category, "list": rows, "nextPageCursor": ""}, req.now_ms)

    def tickers(self, req: Request) -> Reply:
        category = category_of(req)
        chosen = [pair_of(req, category)] if "symbol" in req.query else markets(category).values()
        rows = []
        for p in chosen:
            t = self.world.prices.ticker(p.base, p.quote, p.daily_volume_usd, req.now_ms)
            d, a = p.price_decimals, p.amount_decimals
            rows.append(
                {
                    "symbol": p.base + p.quote, "bid1Price": num(t.bid, d), "bid1Size": "1",
                    "ask1Price": num(t.ask, d), "ask1Size": "1", "lastPrice": num(t.last, d),
                    "prevPrice24h": num(t.open, d),
                    "price24hPcnt": num((t.last - t.open) / t.open, 4),
                    "highPrice24h": num(t.high, d), "lowPrice24h": num(t.low, d),
                    "turnover24h": num(t.quote_volume, 4), "volume24h": num(t.volume, a),
                    "markPrice": num(t.last, d), "indexPrice": num(t.last, d),
                }
            )  # fmt: skip
        return ok({"category": category, "list": rows}, req.now_ms)

    def kline(self, req: Request) -> Reply:
        category = category_of(req)
        pair = pair_of(req, category)
        interval = INTERVALS.get(req.query.get("interval", ""))
        if interval is None:
            raise ERRORS("params", detail="Invalid period!")
        limit = req.limit("limit", 200, 1, KLINES_MAX)
        start, end = req.int_param("start"), req.int_param("end")
        end = min(end + 1, req.now_ms + 1) if end is not None else req.now_ms + 1
        candles = self.world.prices.pair_candles(
            pair, interval, start, end, limit, newest=start is None, now_ms=req.now_ms
        )
        d, a = pair.price_decimals, pair.amount_decimals
        rows = [
            [str(c.open_ms), num(c.open, d), num(c.high, d), num(c.low, d), num(c.close, d),
             num(c.volume, a), num(c.quote_volume, 4)]
            for c in reversed(candles)  # newest first
        ]  # fmt: skip
        return ok(
            {"category": category, "symbol": pair.base + pair.quote, "list": rows}, req.now_ms
        )
