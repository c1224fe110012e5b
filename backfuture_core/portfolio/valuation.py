"""Balances valued in USDT from tickers: stablecoins count 1, an asset with a USDT market uses
it, one with only a BTC market goes through BTC (asset/BTC x BTC/USDT), and an asset with no
price keeps a NaN value flagged "no price"."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from backfuture_core.values import to_float

VALUE_CURRENCY = "USDT"
STABLECOINS = frozenset({"USDT", "USDC", "DAI", "FDUSD", "TUSD", "USD"})

PRICED_STABLE, PRICED_USDT, PRICED_BTC, NO_PRICE = (
    "stablecoin",
    "USDT market",
    "via BTC",
    "no price",
)

Tickers = Mapping[str, Mapping[str, Any]]


def ticker_price(ticker: Mapping[str, Any] | None) -> float:
    """The ticker's last price, else its close, else the bid/ask midpoint; NaN when none is > 0."""
    if not ticker:
        return math.nan
    for key in ("last", "close"):
        price = to_float(ticker.get(key))
        if price > 0:
            return price
    bid, ask = to_float(ticker.get("bid")), to_float(ticker.get("ask"))
    return (bid + ask) / 2 if bid > 0 and ask > 0 else math.nan


def valuation_symbols(assets: Iterable[str], symbols: Iterable[str]) -> list[str]:
    """The ticker symbols (among the exchange's `symbols`) that value `assets` in USDT:
    asset/USDT, else asset/BTC plus BTC/USDT. Stablecoins need none."""
    listed = set(symbols)
    wanted: list[str] = []
    for asset in sorted(set(assets) - STABLECOINS):
        direct, via = f"{asset}/{VALUE_CURRENCY}", f"{asset}/BTC"
        if direct in listed:
            wanted.append(direct)
        elif via in listed and f"BTC/{VALUE_CURRENCY}" in listed:
            wanted += [via, f"BTC/{VALUE_CURRENCY}"]
    return sorted(set(wanted))


def usdt_prices(assets: Iterable[str], tickers: Tickers) -> dict[str, tuple[float, str]]:
    """asset -> (price in USDT, how it was priced); (NaN, "no price") when nothing prices it."""
    prices: dict[str, tuple[float, str]] = {}
    btc = ticker_price(tickers.get(f"BTC/{VALUE_CURRENCY}"))
    for asset in set(assets):
        if asset in STABLECOINS:
            prices[asset] = (1.0, PRICED_STABLE)
            continue
        direct = ticker_price(tickers.get(f"{asset}/{VALUE_CURRENCY}"))
        via = ticker_price(tickers.get(f"{asset}/BTC"))
        if not math.isnan(direct):
            prices[asset] = (direct, PRICED_USDT)
        elif not math.isnan(via) and not math.isnan(btc):
            prices[asset] = (via * btc, PRICED_BTC)
        else:
            prices[asset] = (math.nan, NO_PRICE)
    return prices


def value_balances(balances: pd.DataFrame, tickers: Tickers) -> pd.DataFrame:
    """`balances` with price, value (total x price, NaN without a price) and priced_by set."""
    frame = balances.copy()
    prices = usdt_prices(frame["asset"], tickers)
    frame["price"] = pd.Series(
        [prices[a][0] for a in frame["asset"]], index=frame.index, dtype="float64"
    )
    frame["priced_by"] = pd.Series(
        [prices[a][1] for a in frame["asset"]], index=frame.index, dtype="object"
    )
    frame["value"] = frame["total"] * frame["price"]
    return frame


def unpriced_assets(balances: pd.DataFrame) -> tuple[str, ...]:
    """The assets of valued `balances` that nothing priced, sorted."""
    return tuple(sorted(set(balances.loc[balances["priced_by"] == NO_PRICE, "asset"])))
