"""Tradable pairs: which markets a connection offers, the exchange's pairs grouped by quote
currency, a pair's symbol on spot or futures, and the free quote balance to trade them with.

A pair is written "BASE/QUOTE" on spot and "BASE/QUOTE:SETTLE" as a linear perpetual, with
1-20 capital letters or digits per part (`pair_quote` tells a well-formed pair from the rest).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.market_data.markets import with_cached_markets
from backfuture_core.models import Connection, Credentials
from backfuture_core.values import parse_symbol

PREFERRED_QUOTES = ("USDT", "USDC", "USD", "BTC", "ETH")

_PART = re.compile(r"[A-Z0-9]{1,20}")


def pair_quote(symbol: str) -> str | None:
    """The quote currency of a well-formed pair ("BTC/USDT", "BTC/USDT:USDT" -> "USDT"), None
    for anything else ("BTCUSDT", "btc/usdt", "BTC/USDT:")."""
    parsed = parse_symbol(symbol)
    parts = [parsed.base, parsed.quote] + ([parsed.settle] if ":" in symbol else [])
    return parsed.quote if all(_PART.fullmatch(part) for part in parts) else None


def market_options(connection: Connection) -> list[str]:
    """The strategy markets a connection offers: "spot", "futures" or both (spot first)."""
    market = connection.market
    return [m for m, ok in (("spot", market.has_spot), ("futures", market.has_futures)) if ok]


def pair_for_market(pair: str, market: str) -> str:
    """ "BTC/USDT" on futures is "BTC/USDT:USDT" (linear perpetual); on spot the reverse."""
    return parse_symbol(pair).on_market(market)


def group_pairs(symbols: Iterable[str]) -> dict[str, list[str]]:
    """Symbols grouped by quote currency: the usual quotes first (USDT, USDC, ...), then the
    others by how many pairs they have; pairs sorted within a group."""
    groups: dict[str, list[str]] = {}
    for symbol in symbols:
        quote = pair_quote(symbol)
        if quote:
            groups.setdefault(quote, []).append(symbol)

    def rank(quote: str) -> tuple[int, int, str]:
        if quote in PREFERRED_QUOTES:
            return (0, PREFERRED_QUOTES.index(quote), "")
        return (1, -len(groups[quote]), quote)

    return {q: sorted(set(groups[q])) for q in sorted(groups, key=rank)}


def usable_groups(groups: dict[str, list[str]], pairs: Iterable[str]) -> dict[str, list[str]]:
    """The exchange's pairs by quote; when they could not be loaded, the chosen pairs alone."""
    return groups if groups else group_pairs(pairs)


def quote_of(pairs: Iterable[str], groups: dict[str, list[str]]) -> str | None:
    """The quote of the first chosen pair that the groups offer, else the first group's."""
    for pair in pairs:
        quote = pair_quote(parse_symbol(pair).spot)
        if quote in groups:
            return quote
    return next(iter(groups), None)


def market_pairs(markets: Any, market: str) -> list[str]:
    """Active symbols of `market` from a ccxt markets dict/list (or a plain list of symbols)."""
    values = markets.values() if isinstance(markets, dict) else markets
    out = []
    for m in values:
        if isinstance(m, str):
            out.append(m)
            continue
        if m.get("active") is False:
            continue
        is_spot = m.get("spot") or m.get("type") == "spot"
        is_linear_swap = (m.get("swap") or m.get("type") == "swap") and m.get("linear")
        if (market == "spot" and is_spot) or (market == "futures" and is_linear_swap):
            out.append(m["symbol"])
    return out


def free_amount(balance: Any, currency: str) -> float | None:
    """Free amount of `currency` from a ccxt balance dict (`{"free": {...}}` or per currency
    `{"USDT": {"free": ...}}`) or a frame with asset/free columns; None when not listed."""
    if isinstance(balance, pd.DataFrame):
        asset_col = next((c for c in balance.columns if c.lower() in ("asset", "currency")), None)
        free_col = next((c for c in balance.columns if c.lower() == "free"), None)
        if asset_col is None or free_col is None:
            return None
        rows = balance[balance[asset_col] == currency]
        return float(rows[free_col].sum()) if len(rows) else 0.0
    if not isinstance(balance, dict):
        return None
    free = balance.get("free")
    if isinstance(free, dict):
        value = free.get(currency)
    else:
        value = (balance.get(currency) or {}).get("free")
    if value is None:
        return 0.0 if isinstance(free, dict) else None
    return float(value)


def available_pairs_sync(
    db: Database,
    connection: Connection,
    credentials: Credentials,
    market: str,
    deadline_s: float | None = None,
) -> dict[str, list[str]]:
    """Pairs the user can choose for `market`, grouped by quote (USDT first)."""

    async def pairs(adapter: ExchangeAdapter) -> dict[str, list[str]]:
        return group_pairs(market_pairs(await adapter.load_markets(market=market), market))

    return with_cached_markets(db, connection, credentials, pairs, deadline_s)


def quote_balance_sync(
    db: Database,
    connection: Connection,
    credentials: Credentials,
    market: str,
    quote: str | None,
    deadline_s: float | None = None,
) -> float | None:
    """Free amount of the quote currency on the connection's spot or futures account; None
    without a quote currency (no pair chosen), without asking the exchange."""
    if not quote:
        return None

    async def free(adapter: ExchangeAdapter) -> float:
        return free_amount(await adapter.fetch_balance(market=market), quote) or 0.0

    return with_cached_markets(db, connection, credentials, free, deadline_s)
