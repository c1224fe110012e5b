"""The markets of a connection (spot, futures) and the symbols its exchange lists on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backfuture_core.exchanges.base import FUTURES, SPOT, ExchangeAdapter
from backfuture_core.models import Connection
from backfuture_core.portfolio.fetch import together


def markets_of(connection: Connection) -> list[str]:
    """ "spot", "futures" or both (spot first), as the connection trades them."""
    market = connection.market
    return [m for m, ok in ((SPOT, market.has_spot), (FUTURES, market.has_futures)) if ok]


async def load_markets(adapter: ExchangeAdapter, markets: Iterable[str]) -> None:
    """Load each ccxt client's markets once (MEXC serves spot and futures from one client)."""
    by_client = {adapter.ccxt_id(m): m for m in markets}
    await together(*(adapter.load_markets(m) for m in by_client.values()))


def market_symbols(adapter: ExchangeAdapter, market: str) -> dict[str, Mapping[str, Any]]:
    """symbol -> market of the client's `market` kind (MEXC's one client holds both kinds)."""
    markets = adapter.client(market).markets or {}
    if market == SPOT:
        return {s: m for s, m in markets.items() if m.get("spot")}
    return {s: m for s, m in markets.items() if m.get("swap") or m.get("future")}


def listed_symbols(adapter: ExchangeAdapter, markets: Iterable[str]) -> tuple[str, ...]:
    """Every active symbol the exchange lists on `markets`, sorted."""
    symbols: set[str] = set()
    for market in markets:
        found = market_symbols(adapter, market)
        symbols |= {s for s, m in found.items() if m.get("active") is not False}
    return tuple(sorted(symbols))
