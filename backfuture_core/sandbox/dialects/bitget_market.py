"""Bitget v2 public market data: time, spot symbols, USDT-M contracts, tickers and candles.

Written from Bitget's API documentation (reference/exchanges.md section 3.3), independently of
backfuture_core.exchanges. Symbols are "BTCUSDT" on both; candles come oldest first, at most
1000 a call.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView, listed
from backfuture_core.sandbox.dialects.bitget_replies import ERRORS, ok
from backfuture_core.sandbox.messages import Reply, Request
from backfuture_core.sandbox.prices import (
    MONTH,
    PERPETUALS,
    SPOT_PAIRS,
    WEEK_MS,
    Pair,
    Perpetual,
    num,
)
from backfuture_core.values import DAY_MS, HOUR_MS, MINUTE_MS

GRANULARITIES: dict[str, int | str] = {
    "1min": MINUTE_MS, "5min": 5 * MINUTE_MS, "15min": 15 * MINUTE_MS,
    "30min": 30 * MINUTE_MS, "1h": HOUR_MS, "4h": 4 * HOUR_MS, "6h": 6 * HOUR_MS,
    "12h": 12 * HOUR_MS, "1day": DAY_MS, "3day": 3 * DAY_MS, "1week": WEEK_MS, "1M": MONTH,
}  # fmt: skip
PAIRS: dict[str, Pair] = {p.base + p.quote: p for p in SPOT_PAIRS["bitget"]}
CONTRACTS: dict[str, Perpetual] = {p.base + "USDT": p for p in PERPETUALS}
CANDLE_LIMIT = 1000


def spot_pair(symbol: str) -> Pair:
    return listed(PAIRS, symbol, ERRORS, "bad_symbol")


class BitgetMarket(WorldView):
    def time(self, req: Request) -> Reply:
        return ok({"serverTime": str(req.now_ms)}, req)

    def symbols(self, req: Request) -> Reply:
        return ok(
            [
                {
                    "symbol": p.base + p.quote, "baseCoin": p.base, "quoteCoin": p.quote,
                    "minTradeAmount": "0", "maxTradeAmount": "10000000000",
                    "takerFeeRate": "0.001", "makerFeeRate": "0.001",
                    "pricePrecision": str(p.price_decimals),
                    "quantityPrecision": str(p.amount_decimals), "quotePrecision": "8",
                    "status": "online", "minTradeUSDT": "1", "buyLimitPriceRatio": "0.05",
                    "sellLimitPriceRatio": "0.05", "areaSymbol": "no", "orderQuantity": "200",
                    "openTime": "1532454360000",
                }
                for p in PAIRS.values()
            ],
            req,
        )  # fmt: skip

    def contracts(self, req: Request) -> Reply:
        if req.query.get("productType", "").upper() != "USDT-FUTURES":
            return ok([], req)
        return ok(
            [
                {
                    "symbol": p.base + "USDT", "baseCoin": p.base, "quoteCoin": "USDT",
                    "buyLimitPriceRatio": "0.01", "sellLimitPriceRatio": "0.01",
                    "feeRateUpRatio": "0.005", "makerFeeRate": "0.0002",
                    "takerFeeRate": "0.0006", "openCostUpRatio": "0.01",
                    "supportMarginCoins": ["USDT"], "minTradeNum": "0.001",
                    "priceEndStep": "1", "volumePlace": "3",
                    "pricePlace": str(p.price_decimals), "sizeMultiplier": "0.001",
                    "symbolType": "perpetual", "minTradeUSDT": "5", "maxSymbolOrderNum": "200",
                    "maxProductOrderNum": "400", "maxPositionNum": "150",
                    "symbolStatus": "normal", "offTime": "-1", "limitOpenTime": "-1",
                    "deliveryTime": "", "deliveryStartTime": "", "launchTime": "",
                    "fundInterval": "8", "minLever": "1", "maxLever": str(p.max_leverage),
                    "posLimit": "0.05", "maintainTime": "",
                }
                for p in PERPETUALS
            ],
            req,
        )  # fmt: skip

    def margin_currencies(self, req: Request) -> Reply:
        return ok([], req)  # no margin trading in the demo world

    def _ticker(self, symbol: str, base: str, volume_usd: float, d: int, now: int) -> dict:
        quote = "USDC" if symbol.endswith("USDC") else "BTC" if symbol.endswith("BTC") else "USDT"
        t = self.world.prices.ticker(base, quote, volume_usd, now)
        return {
            "symbol": symbol, "high24h": num(t.high, d), "open": num(t.open, d),
            "lastPr": num(t.last, d), "low24h": num(t.low, d),
            "quoteVolume": num(t.quote_volume, 2), "baseVolume": num(t.volume, 4),
            "usdtVolume": num(t.quote_volume, 2), "bidPr": num(t.bid, d), "askPr": num(t.ask, d),
            "bidSz": "1.5", "askSz": "2.5", "openUtc": num(t.open, d), "ts": str(now),
            "changeUtc24h": num((t.last - t.open) / t.open, 5),
            "change24h": num((t.last - t.open) / t.open, 5),
        }  # fmt: skip

    def tickers(self, req: Request) -> Reply:
        wanted = req.query.get("symbol")
        pairs = [spot_pair(wanted)] if wanted else list(PAIRS.values())
        rows = [
            self._ticker(p.base + p.quote, p.base, p.daily_volume_usd, p.price_decimals, req.now_ms)
            for p in pairs
        ]
        return ok(rows, req)

    def mix_tickers(self, req: Request) -> Reply:
        rows = [
            self._ticker(s, p.base, p.daily_volume_usd, p.price_decimals, req.now_ms)
            for s, p in CONTRACTS.items()
        ]
        return ok(rows, req)

    def candles(self, req: Request) -> Reply:
        pair = spot_pair(req.query.get("symbol", ""))
        granularity = GRANULARITIES.get(req.query.get("granularity", ""))
        if granularity is None:
            raise ERRORS("bad_param", name="granularity")
        limit = req.limit("limit", 100, 1, CANDLE_LIMIT)
        start, end = req.int_param("startTime"), req.int_param("endTime")
        end = min(end, req.now_ms + 1) if end is not None else req.now_ms + 1
        rows = self.world.prices.pair_candles(
            pair, granularity, start, end, limit, newest=start is None, now_ms=req.now_ms
        )
        d, a = pair.price_decimals, pair.amount_decimals
        return ok(
            [
                [
                    str(c.open_ms), num(c.open, d), num(c.high, d), num(c.low, d),
                    num(c.close, d), num(c.volume, a), num(c.quote_volume, 2),
                    num(c.quote_volume, 2),
                ]
                for c in rows
            ],
            req,
        )  # fmt: skip
