"""MEXC spot v3 market data (``/api/v3/...``, public but for the currency list).

Written from MEXC's API documentation (reference/exchanges.md section 1), independently of
backfuture_core.exchanges.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.mexc_errors import SPOT_ERRORS
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import (
    ASSETS,
    MONTH,
    SPOT_PAIRS,
    WEEK_MS,
    Pair,
    num,
    text_key,
    unit,
)
from backfuture_core.sandbox.world import World
from backfuture_core.values import DAY_MS, MINUTE_MS

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
NETWORKS = {
    "BTC": "Bitcoin(BTC)",
    "ETH": "Ethereum(ERC20)",
    "SOL": "Solana(SOL)",
    "XRP": "Ripple(XRP)",
    "TRX": "Tron(TRC20)",
}
PAIRS: dict[str, Pair] = {p.base + p.quote: p for p in SPOT_PAIRS["mexc"]}


def spot_pair(symbol: str) -> Pair:
    """The market of a MEXC symbol ("BTCUSDT"), or MEXC's invalid-symbol error."""
    pair = PAIRS.get(symbol)
    if pair is None:
        raise SPOT_ERRORS("invalid_symbol")
    return pair


def required_pair(req: Request) -> Pair:
    """The market of the request's mandatory ``symbol`` parameter."""
    symbol = req.query.get("symbol")
    if not symbol:
        raise SPOT_ERRORS("missing", name="symbol")
    return spot_pair(symbol)


class MexcMarket:
    """The spot v3 market data: server time, markets, tickers, candles and currencies."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pairs = PAIRS

    # ---------------------------------------------------------------- market data
    def ping(self, req: Request) -> Reply:
        return json_reply({})

    def time(self, req: Request) -> Reply:
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

    def exchange_info(self, req: Request) -> Reply:
        wanted = req.query.get("symbol") or req.query.get("symbols")
        pairs = list(self.pairs.values())
        if wanted:
            names = set(wanted.split(","))
            pairs = [p for p in pairs if p.base + p.quote in names]
            if not pairs:
                raise SPOT_ERRORS("invalid_symbol")
        symbols = [self._symbol_info(p) for p in pairs]
        return json_reply(
            {
                "timezone": "CST",
                "serverTime": req.now_ms,
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    def _selected_pairs(self, req: Request) -> list[Pair]:
        symbol = req.query.get("symbol")
        return list(self.pairs.values()) if symbol is None else [spot_pair(symbol)]

    def _one_or_all(self, req: Request, bodies: list[dict[str, object]]) -> Reply:
        return json_reply(bodies[0] if "symbol" in req.query else bodies)

    def _ticker_body(self, pair: Pair, now_ms: int) -> dict[str, object]:
        t = self.world.prices.ticker(pair.base, pair.quote, pair.daily_volume_usd, now_ms)
        d, a = pair.price_decimals, pair.amount_decimals
        change = t.last - t.open
        salt = text_key(pair.base + pair.quote)
        depth = [num(2_000 / t.last * (0.5 + unit(salt, now_ms // 1000, i)), a) for i in (1, 2)]
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

    def ticker_24hr(self, req: Request) -> Reply:
        pairs = self._selected_pairs(req)
        return self._one_or_all(req, [self._ticker_body(p, req.now_ms) for p in pairs])

    def ticker_price(self, req: Request) -> Reply:
        prices = self.world.prices
        bodies: list[dict[str, object]] = [
            {
                "symbol": p.base + p.quote,
                "price": num(prices.price(p.base, p.quote, req.now_ms), p.price_decimals),
            }
            for p in self._selected_pairs(req)
        ]
        return self._one_or_all(req, bodies)

    def book_ticker(self, req: Request) -> Reply:
        fields = ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")
        bodies = []
        for p in self._selected_pairs(req):
            t = self._ticker_body(p, req.now_ms)
            bodies.append({k: t[k] for k in fields})
        return self._one_or_all(req, bodies)

    def klines(self, req: Request) -> Reply:
        pair = required_pair(req)
        interval = KLINE_INTERVALS.get(req.query.get("interval", ""))
        if interval is None:
            raise SPOT_ERRORS("invalid_interval")
        limit = req.limit("limit", 500, 1, 1000)
        start = req.int_param("startTime")
        end = req.int_param("endTime")
        end = min(end, req.now_ms + 1) if end is not None else req.now_ms + 1
        candles = self.world.prices.pair_candles(
            pair, interval, start, end, limit, newest=start is None, now_ms=req.now_ms
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

    def capital_config(self, req: Request, key: DemoKey) -> Reply:
        coins = []
        for code in self.world.spot_assets("mexc"):
            asset = ASSETS[code]
            network = NETWORKS.get(code, "Ethereum(ERC20)")
            usd = max(asset.usd, 0.01)
            chain = {
                "coin": code,
                "depositDesc": None,
                "depositEnable": code != "ZZZ",
                "minConfirm": "12",
                "name": asset.name,
                "network": network,
                "withdrawEnable": code != "ZZZ",
                "withdrawFee": num(1.0 / usd, asset.decimals),
                "withdrawIntegerMultiple": None,
                "withdrawMax": "1000000",
                "withdrawMin": num(10.0 / usd, asset.decimals),
                "sameAddress": False,
                "contract": "",
                "withdrawTips": None,
                "depositTips": None,
                "netWork": network.split("(")[-1].rstrip(")"),
            }
            coins.append({"coin": code, "name": asset.name, "networkList": [chain]})
        return json_reply(coins)
