"""MEXC contract v1 (``/api/v1/contract/...`` public, ``/api/v1/private/...`` signed): the
perpetual markets, the futures wallet and the open positions of the signing key's account.

Written from MEXC's API documentation (reference/exchanges.md section 1), independently of
backfuture_core.exchanges. Every answer is wrapped as ``{"success": true, "code": 0, "data"}``.
"""

from __future__ import annotations

from backfuture_core.sandbox.dialects.base import WorldView, futures_totals
from backfuture_core.sandbox.dialects.mexc_errors import CONTRACT_ERRORS
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import Reply, Request, json_reply
from backfuture_core.sandbox.prices import PERPETUALS, Perpetual, find_perpetual

PERPS: dict[str, Perpetual] = {p.mexc_symbol: p for p in PERPETUALS}


def _ok(data: object) -> Reply:
    return json_reply({"success": True, "code": 0, "data": data})


class MexcContract(WorldView):
    """The contract v1 endpoints."""

    def ping(self, req: Request) -> Reply:
        return _ok(req.now_ms)

    def _selected_perps(self, req: Request) -> list[Perpetual]:
        symbol = req.query.get("symbol")
        if symbol is None:
            return list(PERPS.values())
        perp = PERPS.get(symbol)
        if perp is None:
            raise CONTRACT_ERRORS("no_contract")
        return [perp]

    def _one_or_all(self, req: Request, data: list[dict[str, object]]) -> Reply:
        return _ok(data[0] if "symbol" in req.query else data)

    def detail(self, req: Request) -> Reply:
        perps = self._selected_perps(req)
        data = [
            {
                "symbol": p.mexc_symbol,
                "displayName": f"{p.mexc_symbol}永续",
                "displayNameEn": f"{p.mexc_symbol} PERPETUAL",
                "positionOpenType": 3,
                "baseCoin": p.base,
                "quoteCoin": "USDT",
                "baseCoinName": p.base,
                "quoteCoinName": "USDT",
                "futureType": 1,
                "settleCoin": "USDT",
                "contractSize": p.mexc_contract_size,
                "minLeverage": 1,
                "maxLeverage": p.max_leverage,
                "priceScale": p.price_decimals,
                "volScale": 0,
                "amountScale": 4,
                "priceUnit": 10.0**-p.price_decimals,
                "volUnit": 1,
                "minVol": 1,
                "maxVol": 1_000_000,
                "bidLimitPriceRate": 0.1,
                "askLimitPriceRate": 0.1,
                "takerFeeRate": 0.0002,
                "makerFeeRate": 0,
                "maintenanceMarginRate": p.maintenance_rate,
                "initialMarginRate": round(1 / p.max_leverage, 6),
                "riskBaseVol": 500_000,
                "riskIncrVol": 500_000,
                "riskIncrMmr": p.maintenance_rate,
                "riskIncrImr": p.maintenance_rate,
                "riskLevelLimit": 5,
                "priceCoefficientVariation": 0.004,
                "indexOrigin": ["BINANCE", "OKX", "BYBIT", "MEXC", "KUCOIN"],
                "state": 0,
                "isNew": False,
                "isHot": True,
                "isHidden": False,
                "apiAllowed": True,
                "createTime": 1_591_242_684_000,
            }
            for p in perps
        ]
        return self._one_or_all(req, data)

    def ticker(self, req: Request) -> Reply:
        perps = self._selected_perps(req)
        data = []
        for p in perps:
            t = self.world.prices.ticker(p.base, "USDT", p.daily_volume_usd, req.now_ms)
            d = p.price_decimals
            change = t.last - t.open
            data.append(
                {
                    "contractId": PERPETUALS.index(p) + 10,
                    "symbol": p.mexc_symbol,
                    "lastPrice": round(t.last, d),
                    "bid1": round(t.bid, d),
                    "ask1": round(t.ask, d),
                    "volume24": round(t.volume / p.mexc_contract_size),
                    "amount24": round(t.quote_volume, 4),
                    "holdVol": round(t.volume / p.mexc_contract_size * 0.3),
                    "lower24Price": round(t.low, d),
                    "high24Price": round(t.high, d),
                    "riseFallRate": round(change / t.open, 4),
                    "riseFallValue": round(change, d),
                    "indexPrice": round(t.last * 0.99995, d),
                    "fairPrice": round(t.last, d),
                    "fundingRate": 0.0001,
                    "maxBidPrice": round(t.last * 1.1, d),
                    "minAskPrice": round(t.last * 0.9, d),
                    "timestamp": req.now_ms,
                }
            )
        return self._one_or_all(req, data)

    def assets(self, req: Request, key: DemoKey) -> Reply:
        account = self.world.account_of(key)
        _, cash, margin, unrealised = futures_totals(account, req.now_ms)
        rows = [
            {
                "currency": "USDT",
                "positionMargin": round(margin, 4),
                "availableBalance": round(max(cash - margin + min(unrealised, 0.0), 0.0), 4),
                "cashBalance": round(cash, 4),
                "frozenBalance": 0,
                "equity": round(cash + unrealised, 4),
                "unrealized": round(unrealised, 4),
                "bonus": 0,
            }
        ]
        rows += [
            {
                "currency": code,
                "positionMargin": 0,
                "availableBalance": 0,
                "cashBalance": 0,
                "frozenBalance": 0,
                "equity": 0,
                "unrealized": 0,
                "bonus": 0,
            }
            for code in ("BTC", "ETH")
        ]
        return _ok(rows)

    def open_positions(self, req: Request, key: DemoKey) -> Reply:
        symbol = req.query.get("symbol")
        data = []
        for s in self.world.account_of(key).position_states(req.now_ms):
            p = s.position
            perp = find_perpetual(p.base)
            if symbol is not None and symbol != perp.mexc_symbol:
                continue
            d = perp.price_decimals
            data.append(
                {
                    "positionId": int(p.id),
                    "symbol": perp.mexc_symbol,
                    "positionType": 1 if p.side == "long" else 2,
                    "openType": 1 if p.margin_mode == "isolated" else 2,
                    "state": 1,
                    "holdVol": round(p.qty / perp.mexc_contract_size),
                    "frozenVol": 0,
                    "closeVol": 0,
                    "holdAvgPrice": p.entry,
                    "openAvgPrice": p.entry,
                    "closeAvgPrice": 0,
                    "liquidatePrice": round(s.liquidation, d),
                    "oim": round(s.margin, 8),
                    "im": round(s.margin, 8),
                    "holdFee": round(p.realised * 0.4, 8),
                    "realised": round(p.realised, 8),
                    "adlLevel": 2,
                    "leverage": p.leverage,
                    "createTime": p.opened_ms,
                    "updateTime": p.opened_ms,
                    "autoAddIm": False,
                }
            )
        return _ok(data)

    def no_orders(self, req: Request, key: DemoKey) -> Reply:
        """Open orders, order history and fills of the contract account: the demo world trades
        futures through no order, so all three lists are empty."""
        return _ok([])
