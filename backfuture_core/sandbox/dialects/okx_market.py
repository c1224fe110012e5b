"""OKX v5 public market data: time, status, instruments (spot and USDT perpetual swaps),
tickers and candles.

Written from OKX's API documentation (reference/exchanges.md section 3.2), independently of
backfuture_core.exchanges. Instrument ids are "BTC-USDT" (spot) and "BTC-USDT-SWAP"; candles
come newest first, at most 300 a call (history-candles 100), bounded by the ``after`` (older
than) and ``before`` (newer than) timestamps.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView, listed
from backfuture_core.sandbox.dialects.okx_replies import ERRORS, ok
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

BARS: dict[str, int | str] = {
    "1m": MINUTE_MS, "3m": 3 * MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS, "1H": HOUR_MS, "2H": 2 * HOUR_MS, "4H": 4 * HOUR_MS,
    "6Hutc": 6 * HOUR_MS, "12Hutc": 12 * HOUR_MS, "1Dutc": DAY_MS, "1Wutc": WEEK_MS,
    "1Mutc": MONTH, "6H": 6 * HOUR_MS, "12H": 12 * HOUR_MS, "1D": DAY_MS, "1W": WEEK_MS,
    "1M": MONTH,
}  # fmt: skip
PAIRS: dict[str, Pair] = {f"{p.base}-{p.quote}": p for p in SPOT_PAIRS["okx"]}
SWAPS: dict[str, Perpetual] = {f"{p.base}-USDT-SWAP": p for p in PERPETUALS}
CONTRACT_VALUE = {"BTC": 0.01, "ETH": 0.1, "SOL": 1.0}  # ctVal, in the base coin
LISTED_MS = 1_546_300_800_000


def spot_pair(inst_id: str) -> Pair:
    return listed(PAIRS, inst_id, ERRORS, "bad_instrument")


class OkxMarket(WorldView):
    def time(self, req: Request) -> Reply:
        return ok([{"ts": str(req.now_ms)}])

    def status(self, req: Request) -> Reply:
        return ok([])  # no planned maintenance

    def instruments(self, req: Request) -> Reply:
        kind = req.query.get("instType")
        if kind == "SPOT":
            return ok([self._spot(p) for p in PAIRS.values()])
        if kind == "SWAP":
            return ok([self._swap(p) for p in PERPETUALS])
        if kind in ("FUTURES", "OPTION", "MARGIN"):
            return ok([])
        raise ERRORS("bad_param", name="instType")

    def _spot(self, p: Pair) -> dict[str, object]:
        return {
            "instType": "SPOT", "instId": f"{p.base}-{p.quote}", "uly": "", "instFamily": "",
            "baseCcy": p.base, "quoteCcy": p.quote, "settleCcy": "", "ctVal": "", "ctMult": "",
            "ctValCcy": "", "optType": "", "stk": "", "listTime": str(LISTED_MS), "expTime": "",
            "lever": "10", "tickSz": num(10.0**-p.price_decimals, p.price_decimals),
            "lotSz": num(10.0**-p.amount_decimals, p.amount_decimals),
            "minSz": num(10.0**-p.amount_decimals, p.amount_decimals), "ctType": "",
            "alias": "", "state": "live", "maxLmtSz": "10000000", "maxMktSz": "1000000",
            "ruleType": "normal",
        }  # fmt: skip

    def _swap(self, p: Perpetual) -> dict[str, object]:
        d = p.price_decimals
        return {
            "instType": "SWAP", "instId": f"{p.base}-USDT-SWAP", "uly": f"{p.base}-USDT",
            "instFamily": f"{p.base}-USDT", "baseCcy": "", "quoteCcy": "", "settleCcy": "USDT",
            "ctVal": num(CONTRACT_VALUE[p.base], 4), "ctMult": "1", "ctValCcy": p.base,
            "optType": "", "stk": "", "listTime": str(LISTED_MS), "expTime": "",
            "lever": str(p.max_leverage), "tickSz": num(10.0**-d, d), "lotSz": "0.01",
            "minSz": "0.01", "ctType": "linear", "alias": "", "state": "live",
            "maxLmtSz": "100000", "maxMktSz": "10000", "ruleType": "normal",
        }  # fmt: skip

    def _ticker(
        self, inst_id: str, base: str, quote: str, volume_usd: float, d: int, now: int
    ) -> dict:
        t = self.world.prices.ticker(base, quote, volume_usd, now)
        return {
            "instType": "SWAP" if inst_id.endswith("-SWAP") else "SPOT", "instId": inst_id,
            "last": num(t.last, d), "lastSz": "0.1", "askPx": num(t.ask, d), "askSz": "2",
            "bidPx": num(t.bid, d), "bidSz": "3", "open24h": num(t.open, d),
            "high24h": num(t.high, d), "low24h": num(t.low, d),
            "volCcy24h": num(t.quote_volume, 2), "vol24h": num(t.volume, 4),
            "sodUtc0": num(t.open, d), "sodUtc8": num(t.open, d), "ts": str(now),
        }  # fmt: skip

    def tickers(self, req: Request) -> Reply:
        kind = req.query.get("instType")
        if kind == "SPOT":
            return ok(
                [
                    self._ticker(
                        i, p.base, p.quote, p.daily_volume_usd, p.price_decimals, req.now_ms
                    )
                    for i, p in PAIRS.items()
                ]
            )
        if kind == "SWAP":
            return ok(
                [
                    self._ticker(
                        i, p.base, "USDT", p.daily_volume_usd, p.price_decimals, req.now_ms
                    )
                    for i, p in SWAPS.items()
                ]
            )
        raise ERRORS("bad_param", name="instType")

    def ticker(self, req: Request) -> Reply:
        inst_id = req.query.get("instId", "")
        pair = spot_pair(inst_id)
        return ok(
            [
                self._ticker(
                    inst_id, pair.base, pair.quote, pair.daily_volume_usd, pair.price_decimals,
                    req.now_ms,
                )
            ]
        )  # fmt: skip

    def candles(self, req: Request, most: int = 300) -> Reply:
        inst_id = req.query.get("instId", "")
        pair = spot_pair(inst_id)
        bar = BARS.get(req.query.get("bar", "1m"))
        if bar is None:
            raise ERRORS("bad_param", name="bar")
        limit = req.limit("limit", 100, 1, most)
        after, before = req.int_param("after"), req.int_param("before")
        end = min(after if after is not None else req.now_ms + 1, req.now_ms + 1)
        start = before + 1 if before is not None else None
        rows = self.world.prices.pair_candles(
            pair, bar, start, end, limit, newest=True, now_ms=req.now_ms
        )
        d, a = pair.price_decimals, pair.amount_decimals
        return ok(
            [
                [
                    str(c.open_ms), num(c.open, d), num(c.high, d), num(c.low, d),
                    num(c.close, d), num(c.volume, a), num(c.quote_volume, 2),
                    num(c.quote_volume, 2), "1" if c.close_ms <= req.now_ms else "0",
                ]
                for c in reversed(rows)
            ]
        )  # fmt: skip

    def history_candles(self, req: Request) -> Reply:
        return self.candles(req, most=100)
