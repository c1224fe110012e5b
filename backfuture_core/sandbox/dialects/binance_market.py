"""Binance market data: server time, markets, tickers and candles of spot (``/api/v3``) and
USD-M futures (``/fapi/v1``), public.

Written from Binance's API documentation and ccxt's recorded bodies
(ts/src/test/static/response/binance.json), independently of backfuture_core.exchanges.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView
from backfuture_core.sandbox.dialects.binance_errors import ERRORS
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import MONTH, PERPETUALS, SPOT_PAIRS, WEEK_MS, Pair, num
from backfuture_core.values import DAY_MS, HOUR_MS, MINUTE_MS

INTERVALS: dict[str, int | str] = {
    "1m": MINUTE_MS, "3m": 3 * MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS, "1h": HOUR_MS, "2h": 2 * HOUR_MS, "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS, "8h": 8 * HOUR_MS, "12h": 12 * HOUR_MS, "1d": DAY_MS, "3d": 3 * DAY_MS,
    "1w": WEEK_MS, "1M": MONTH,
}  # fmt: skip
SPOT: dict[str, Pair] = {p.base + p.quote: p for p in SPOT_PAIRS["binance"]}
# USD-M perpetuals quoted in base units (contract size 1), priced like the spot pair.
LINEAR: dict[str, Pair] = {
    p.base + "USDT": Pair(p.base, "USDT", p.price_decimals, 3, p.daily_volume_usd)
    for p in PERPETUALS
}
SPOT_KLINES_MAX, FUTURES_KLINES_MAX = 1000, 1500


def pair_of(req: Request, futures: bool) -> Pair:
    """The market named by the request's mandatory ``symbol``."""
    symbol = req.query.get("symbol")
    if not symbol:
        raise ERRORS("missing", name="symbol")
    pair = (LINEAR if futures else SPOT).get(symbol)
    if pair is None:
        raise ERRORS("invalid_symbol")
    return pair


def _filters(p: Pair) -> list[dict[str, object]]:
    tick, step = (
        num(10.0**-p.price_decimals, p.price_decimals),
        num(10.0**-p.amount_decimals, p.amount_decimals),
    )
    return [
        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000", "tickSize": tick},
        {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "900000", "stepSize": step},
        {"filterType": "NOTIONAL", "minNotional": "5", "applyMinToMarket": True},
    ]


class BinanceMarket(WorldView):
    """Public market data of both APIs (``futures`` picks the /fapi flavour)."""

    def time(self, req: Request) -> Reply:
        return json_reply({"serverTime": req.now_ms})

    def ping(self, req: Request) -> Reply:
        return json_reply({})

    def exchange_info(self, req: Request) -> Reply:
        symbols = [
            {
                "symbol": p.base + p.quote, "status": "TRADING", "baseAsset": p.base,
                "baseAssetPrecision": 8, "quoteAsset": p.quote, "quotePrecision": 8,
                "quoteAssetPrecision": 8, "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
                "icebergAllowed": True, "ocoAllowed": True, "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False, "filters": _filters(p), "permissions": [],
                "permissionSets": [["SPOT"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            }
            for p in SPOT.values()
        ]  # fmt: skip
        return json_reply(
            {"timezone": "UTC", "serverTime": req.now_ms, "rateLimits": [], "symbols": symbols}
        )

    def futures_exchange_info(self, req: Request) -> Reply:
        symbols = [
            {
                "symbol": s, "pair": s, "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
                "onboardDate": 1569398400000, "status": "TRADING", "baseAsset": p.base,
                "quoteAsset": "USDT", "marginAsset": "USDT", "pricePrecision": p.price_decimals,
                "quantityPrecision": p.amount_decimals, "baseAssetPrecision": 8,
                "quotePrecision": 8, "underlyingType": "COIN", "settlePlan": 0,
                "triggerProtect": "0.0500", "filters": _filters(p),
                "orderTypes": ["LIMIT", "MARKET"], "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
            }
            for s, p in LINEAR.items()
        ]  # fmt: skip
        return json_reply(
            {"timezone": "UTC", "serverTime": req.now_ms, "rateLimits": [], "symbols": symbols}
        )

    def _ticker(self, p: Pair, now_ms: int) -> dict[str, object]:
        t = self.world.prices.ticker(p.base, p.quote, p.daily_volume_usd, now_ms)
        d, a = p.price_decimals, p.amount_decimals
        return {
            "symbol": p.base + p.quote, "priceChange": num(t.last - t.open, d),
            "priceChangePercent": num((t.last - t.open) / t.open * 100, 3),
            "weightedAvgPrice": num((t.high + t.low) / 2, d), "lastPrice": num(t.last, d),
            "lastQty": num(10.0**-a, a), "bidPrice": num(t.bid, d), "askPrice": num(t.ask, d),
            "openPrice": num(t.open, d), "highPrice": num(t.high, d), "lowPrice": num(t.low, d),
            "volume": num(t.volume, a), "quoteVolume": num(t.quote_volume, 2),
            "openTime": now_ms - DAY_MS, "closeTime": now_ms, "count": 1000,
        }  # fmt: skip

    def _tickers(self, req: Request, markets: dict[str, Pair]) -> Reply:
        symbol = req.query.get("symbol")
        if symbol is not None:
            pair = markets.get(symbol)
            if pair is None:
                raise ERRORS("invalid_symbol")
            return json_reply(self._ticker(pair, req.now_ms))
        return json_reply([self._ticker(p, req.now_ms) for p in markets.values()])

    def ticker_24hr(self, req: Request) -> Reply:
        return self._tickers(req, SPOT)

    def futures_ticker_24hr(self, req: Request) -> Reply:
        return self._tickers(req, LINEAR)

    def _klines(self, req: Request, futures: bool) -> Reply:
        pair = pair_of(req, futures)
        interval = INTERVALS.get(req.query.get("interval", ""))
        if interval is None:
            raise ERRORS("invalid_interval")
        limit = req.limit("limit", 500, 1, FUTURES_KLINES_MAX if futures else SPOT_KLINES_MAX)
        start, end = req.int_param("startTime"), req.int_param("endTime")
        end = min(end + 1, req.now_ms + 1) if end is not None else req.now_ms + 1
        candles = self.world.prices.pair_candles(
            pair, interval, start, end, limit, newest=start is None, now_ms=req.now_ms
        )
        d, a = pair.price_decimals, pair.amount_decimals
        return json_reply(
            [
                [
                    c.open_ms, num(c.open, d), num(c.high, d), num(c.low, d), num(c.close, d),
                    num(c.volume, a), c.close_ms - 1, num(c.quote_volume, 2), 100,
                    num(c.volume / 2, a), num(c.quote_volume / 2, 2), "0",
                ]
                for c in candles
            ]
        )  # fmt: skip

    def klines(self, req: Request) -> Reply:
        return self._klines(req, futures=False)

    def futures_klines(self, req: Request) -> Reply:
        return self._klines(req, futures=True)
