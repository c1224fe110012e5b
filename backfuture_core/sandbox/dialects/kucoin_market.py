"""KuCoin spot market data: server time and status, currencies, markets, tickers, candles
and the margin markets (``api.kucoin.com``, public but for the margin lists).

Written from KuCoin's API documentation (reference/exchanges.md section 2), independently of
backfuture_core.exchanges.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView, listed
from backfuture_core.sandbox.dialects.kucoin_replies import ERRORS, OK, ok
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import ASSETS, MONTH, SPOT_PAIRS, WEEK_MS, Pair, num
from backfuture_core.values import DAY_MS, HOUR_MS, MINUTE_MS

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
CANDLES_MAX = 1500
CHAINS = {"BTC": "BTC", "ETH": "ERC20", "SOL": "SOL", "XRP": "XRP", "TRX": "TRC20"}
PAIRS: dict[str, Pair] = {f"{p.base}-{p.quote}": p for p in SPOT_PAIRS["kucoin"]}


def spot_pair(symbol: str) -> Pair:
    """The market of a KuCoin symbol ("BTC-USDT"), or KuCoin's unsupported-pair error."""
    return listed(PAIRS, symbol, ERRORS, "bad_symbol")


class KucoinMarket(WorldView):
    """The spot market-data endpoints."""

    def timestamp(self, req: Request) -> Reply:
        return json_reply({"code": OK, "msg": "success", "data": req.now_ms})

    def status(self, req: Request) -> Reply:
        return ok({"status": "open", "msg": ""})

    def currencies(self, req: Request) -> Reply:
        data = []
        for code in self.world.spot_assets("kucoin"):
            asset = ASSETS[code]
            chain_name = CHAINS.get(code, "ERC20")
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
        return ok(data)

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

    def symbols(self, req: Request) -> Reply:
        market = req.query.get("market")
        pairs = [
            p for p in PAIRS.values() if market is None or self._symbol_info(p)["market"] == market
        ]
        return ok([self._symbol_info(p) for p in pairs])

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

    def all_tickers(self, req: Request) -> Reply:
        tickers = [self._stats(p, req.now_ms) for p in PAIRS.values()]
        return ok({"time": req.now_ms, "ticker": tickers})

    def market_stats(self, req: Request) -> Reply:
        pair = spot_pair(req.query.get("symbol", ""))
        stats = self._stats(pair, req.now_ms)
        del stats["symbolName"], stats["bestBidSize"], stats["bestAskSize"]
        return ok({"time": req.now_ms, **stats})

    def candles(self, req: Request) -> Reply:
        pair = spot_pair(req.query.get("symbol", ""))
        interval = CANDLE_TYPES.get(req.query.get("type", ""))
        if interval is None:
            raise ERRORS("bad_param", name="type")
        start_s = req.int_param("startAt") or 0
        end_s = req.int_param("endAt") or 0
        end = min(end_s * 1000, req.now_ms + 1) if end_s else req.now_ms + 1
        # At most 1500 candles per call, the latest ones of the range, newest first.
        start = start_s * 1000 if start_s else None
        rows = self.world.prices.pair_candles(
            pair, interval, start, end, CANDLES_MAX, newest=True, now_ms=req.now_ms
        )
        d, a = pair.price_decimals, pair.amount_decimals
        data = [
            [
                str(c.open_ms // 1000), num(c.open, d), num(c.close, d), num(c.high, d),
                num(c.low, d), num(c.volume, a + 2), num(c.quote_volume, 8),
            ]
            for c in reversed(rows)
        ]  # fmt: skip
        return ok(data)

    def margin_symbols(self, req: Request, key: DemoKey) -> Reply:
        fields = (
            "symbol", "name", "enableTrading", "market", "baseCurrency", "quoteCurrency",
            "baseIncrement", "baseMinSize", "quoteIncrement", "quoteMinSize", "baseMaxSize",
            "quoteMaxSize", "priceIncrement", "feeCurrency", "priceLimitRate", "minFunds",
        )  # fmt: skip
        infos = [self._symbol_info(pair) for pair in PAIRS.values()]
        items = [{k: info[k] for k in fields} for info in infos if info["isMarginEnabled"]]
        return ok({"timestamp": req.now_ms, "items": items})

    def isolated_symbols(self, req: Request, key: DemoKey) -> Reply:
        return ok([])
