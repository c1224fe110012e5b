"""KuCoin futures (``api-futures.kucoin.com``): the perpetual markets and tickers, and the
futures account and positions of the signing key's account.

Written from KuCoin's API documentation (reference/exchanges.md section 2), independently of
backfuture_core.exchanges.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView
from backfuture_core.sandbox.dialects.kucoin_replies import ERRORS, hex_id, ok, page
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request
from backfuture_core.sandbox.prices import PERPETUALS, Perpetual, find_perpetual, hash64, num
from backfuture_core.values import HOUR_MS

PERPS: dict[str, Perpetual] = {p.kucoin_symbol: p for p in PERPETUALS}


class KucoinFutures(WorldView):
    """The futures endpoints."""

    def contracts_active(self, req: Request) -> Reply:
        data = []
        for p in PERPETUALS:
            t = self.world.prices.ticker(p.base, "USDT", p.daily_volume_usd, req.now_ms)
            d = p.price_decimals
            data.append(
                {
                    "symbol": p.kucoin_symbol,
                    "rootSymbol": "USDT",
                    "type": "FFWCSX",
                    "firstOpenDate": 1_585_555_200_000,
                    "expireDate": None,
                    "settleDate": None,
                    "baseCurrency": "XBT" if p.base == "BTC" else p.base,
                    "quoteCurrency": "USDT",
                    "settleCurrency": "USDT",
                    "maxOrderQty": 1_000_000,
                    "maxPrice": 1_000_000.0,
                    "lotSize": 1,
                    "tickSize": 10.0**-d,
                    "indexPriceTickSize": 0.01,
                    "multiplier": p.kucoin_multiplier,
                    "initialMargin": round(1 / p.max_leverage, 6),
                    "maintainMargin": p.maintenance_rate,
                    "maxRiskLimit": 100_000,
                    "minRiskLimit": 100_000,
                    "riskStep": 50_000,
                    "makerFeeRate": 0.0002,
                    "takerFeeRate": 0.0006,
                    "takerFixFee": 0.0,
                    "makerFixFee": 0.0,
                    "settlementFee": None,
                    "isDeleverage": True,
                    "isQuanto": False,
                    "isInverse": False,
                    "markMethod": "FairPrice",
                    "fairMethod": "FundingRate",
                    "status": "Open",
                    "fundingFeeRate": 0.0001,
                    "predictedFundingFeeRate": 0.0001,
                    "fundingRateGranularity": 28_800_000,
                    "openInterest": str(round(t.volume / p.kucoin_multiplier * 0.4)),
                    "turnoverOf24h": round(t.quote_volume, 4),
                    "volumeOf24h": round(t.volume, 4),
                    "markPrice": round(t.last, d),
                    "indexPrice": round(t.last * 0.99995, d),
                    "lastTradePrice": round(t.last, d),
                    "nextFundingRateTime": 8 * HOUR_MS - req.now_ms % (8 * HOUR_MS),
                    "maxLeverage": p.max_leverage,
                    "lowPrice": round(t.low, d),
                    "highPrice": round(t.high, d),
                    "priceChgPct": round((t.last - t.open) / t.open, 4),
                    "priceChg": round(t.last - t.open, d),
                }
            )
        return ok(data)

    def _futures_ticker_body(self, p: Perpetual, now_ms: int) -> dict[str, object]:
        t = self.world.prices.ticker(p.base, "USDT", p.daily_volume_usd, now_ms)
        d = p.price_decimals
        return {
            "sequence": now_ms,
            "symbol": p.kucoin_symbol,
            "side": "buy",
            "size": 1 + hash64(now_ms) % 20,
            "tradeId": str(now_ms),
            "price": num(t.last, d),
            "bestBidPrice": num(t.bid, d),
            "bestBidSize": 100 + hash64(now_ms, 1) % 2000,
            "bestAskPrice": num(t.ask, d),
            "bestAskSize": 100 + hash64(now_ms, 2) % 2000,
            "ts": now_ms * 1_000_000,
        }

    def ticker(self, req: Request) -> Reply:
        perp = PERPS.get(req.query.get("symbol", ""))
        if perp is None:
            raise ERRORS("bad_symbol")
        return ok(self._futures_ticker_body(perp, req.now_ms))

    def all_tickers(self, req: Request) -> Reply:
        return ok([self._futures_ticker_body(p, req.now_ms) for p in PERPETUALS])

    def account_overview(self, req: Request, key: DemoKey) -> Reply:
        currency = req.query.get("currency", "XBT")
        account = self.world.account_of(key)
        states = account.position_states(req.now_ms) if currency == "USDT" else []
        cash = account.futures_cash if currency == "USDT" else 0.0
        margin = sum(s.margin for s in states)
        unrealised = sum(s.unrealised for s in states)
        equity = cash + unrealised
        available = max(cash - margin + min(unrealised, 0.0), 0.0)
        return ok(
            {
                "accountEquity": round(equity, 8),
                "unrealisedPNL": round(unrealised, 8),
                "marginBalance": round(cash, 8),
                "positionMargin": round(margin, 8),
                "orderMargin": 0,
                "frozenFunds": 0,
                "availableBalance": round(available, 8),
                "currency": currency,
                "riskRatio": round(sum(s.maintenance for s in states) / equity, 6) if equity else 0,
                "maxWithdrawAmount": round(available, 8),
            }
        )

    def positions(self, req: Request, key: DemoKey) -> Reply:
        currency = req.query.get("currency")
        if currency not in (None, "USDT"):
            return ok([])
        data = []
        for s in self.world.account_of(key).position_states(req.now_ms):
            p = s.position
            perp = find_perpetual(p.base)
            sign = 1 if p.side == "long" else -1
            lots = round(p.qty / perp.kucoin_multiplier) * sign
            cost = p.qty * p.entry * sign
            comm = abs(cost) * 0.0006
            cross = p.margin_mode == "cross"
            data.append(
                {
                    "id": hex_id(self.world.seed, int(p.id)),
                    "symbol": perp.kucoin_symbol,
                    "marginMode": "CROSS" if cross else "ISOLATED",
                    "crossMode": cross,
                    "delevPercentage": 0.35,
                    "openingTimestamp": p.opened_ms,
                    "currentTimestamp": req.now_ms,
                    "currentQty": lots,
                    "currentCost": round(cost, 8),
                    "currentComm": round(comm, 8),
                    "unrealisedCost": round(cost, 8),
                    "realisedGrossCost": 0.0,
                    "realisedCost": round(comm, 8),
                    "isOpen": True,
                    "markPrice": s.mark,
                    "markValue": round(s.mark * p.qty * sign, 8),
                    "posCost": round(cost, 8),
                    "posCross": 0.0,
                    "posInit": round(s.margin, 8),
                    "posComm": round(comm, 8),
                    "posLoss": 0.0,
                    "posMargin": round(s.margin + comm, 8),
                    "posMaint": round(s.maintenance, 8),
                    "maintMargin": round(s.margin + comm + s.unrealised, 8),
                    "realisedGrossPnl": 0.0,
                    "realisedPnl": round(p.realised, 8),
                    "unrealisedPnl": round(s.unrealised, 8),
                    "unrealisedPnlPcnt": round(s.unrealised / abs(cost), 4),
                    "unrealisedRoePcnt": round(s.unrealised / s.margin, 4),
                    "avgEntryPrice": p.entry,
                    "liquidationPrice": s.liquidation,
                    "bankruptPrice": round(p.entry * (1 - sign / p.leverage), perp.price_decimals),
                    "settleCurrency": "USDT",
                    "isInverse": False,
                    "maintainMargin": perp.maintenance_rate,
                    "riskLimit": 100_000,
                    "realLeverage": round(abs(s.notional) / (s.margin + s.unrealised), 2),
                    "leverage": p.leverage,
                    "autoDeposit": False,
                    "positionSide": "BOTH",
                }
            )
        return ok(data)

    def no_rows(self, req: Request, key: DemoKey) -> Reply:
        """Orders and fills: the demo world trades futures through no order."""
        return page([], req)
