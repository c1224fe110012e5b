"""Market data for the strategy page: candles (cached on disk), tradable pairs, quote balance.

Candles come from the exchange through the connection's adapter, page by page, and are kept in the
`candle_cache` table. Only complete candles are cached, and only the ranges missing from the cache
are fetched: asking twice for the same period makes no second request. Times the exchange has no
candle for (before a listing, trading halts) are cached as empty rows so that they are not asked
for again; they never appear in the returned frame.

The async functions do their database work on the calling thread; the `*_sync` wrappers (for
pages) keep the database on the caller's thread too and run only the network part in a fresh
event loop on a worker thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.backtest import BacktestResult, candles_to_frame, compare_recovery
from backfuture_core.exchanges.registry import adapter_class, create_adapter
from backfuture_core.exchanges.runner import run_sync
from backfuture_core.market_cache import cache_source, read_market_cache, store_market_cache
from backfuture_core.models import Connection, Credentials
from backfuture_core.storage.database import write
from backfuture_core.strategy import StrategyParams, _quote_of

TIMEFRAMES: dict[str, int] = {
    "15m": 15 * 60_000,
    "1h": 60 * 60_000,
    "4h": 4 * 60 * 60_000,
    "1d": 24 * 60 * 60_000,
}
PERIOD_DAYS = (7, 30, 90)
DAY_MS = 86_400_000
DEFAULT_PAGE_LIMIT = 500
PREFERRED_QUOTES = ("USDT", "USDC", "USD", "BTC", "ETH")


def now_ms() -> int:
    return int(time.time() * 1000)


# --- Small pure helpers ------------------------------------------------------------------------


def candle_symbol(pair: str) -> str:
    """The spot symbol whose candles a pair's backtest replays ("BTC/USDT:USDT" -> "BTC/USDT").

    Futures backtests replay the spot price of the same pair: the two track each other closely,
    and spot history is public on every exchange.
    """
    return pair.split(":", 1)[0]


def market_options(connection: Connection) -> list[str]:
    """The strategy markets a connection offers: "spot", "futures" or both (spot first)."""
    market = connection.market
    return [m for m, ok in (("spot", market.has_spot), ("futures", market.has_futures)) if ok]


def pair_for_market(pair: str, market: str) -> str:
    """ "BTC/USDT" on futures is "BTC/USDT:USDT" (linear perpetual); on spot the reverse."""
    spot = candle_symbol(pair)
    quote = _quote_of(spot)
    return f"{spot}:{quote}" if market == "futures" and quote else spot


def usable_groups(groups: dict[str, list[str]], pairs: Iterable[str]) -> dict[str, list[str]]:
    """The exchange's pairs by quote; when they could not be loaded, the chosen pairs alone."""
    return groups if groups else group_pairs(pairs)


def quote_of(pairs: Iterable[str], groups: dict[str, list[str]]) -> str | None:
    """The quote of the first chosen pair that the groups offer, else the first group's."""
    for pair in pairs:
        if _quote_of(pair.split(":", 1)[0]) in groups:
            return _quote_of(pair.split(":", 1)[0])
    return next(iter(groups), None)


def timeframe_ms(timeframe: str) -> int:
    try:
        return TIMEFRAMES[timeframe]
    except KeyError:
        raise ValueError(
            f"Unsupported timeframe {timeframe!r}; use {', '.join(TIMEFRAMES)}."
        ) from None


def group_pairs(symbols: Iterable[str]) -> dict[str, list[str]]:
    """Symbols grouped by quote currency: the usual quotes first (USDT, USDC, ...), then the
    others by how many pairs they have; pairs sorted within a group."""
    groups: dict[str, list[str]] = {}
    for symbol in symbols:
        quote = _quote_of(symbol)
        if quote:
            groups.setdefault(quote, []).append(symbol)

    def rank(quote: str) -> tuple:
        if quote in PREFERRED_QUOTES:
            return (0, PREFERRED_QUOTES.index(quote), "")
        return (1, -len(groups[quote]), quote)

    return {q: sorted(set(groups[q])) for q in sorted(groups, key=rank)}


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


# --- Candles -----------------------------------------------------------------------------------


@dataclass
class CandlePlan:
    """What one `fetch_candles` call needs: the cache rows it covers and the missing runs."""

    source: str
    symbol: str
    timeframe: str
    step: int
    start: int  # first candle open time (aligned)
    end: int  # exclusive; only complete candles
    now: int
    runs: list[tuple[int, int]] = field(default_factory=list)  # missing [start, end) ranges
    cached: int = 0  # candles found in the cache
    requests: int = 0

    def slot(self, ts: int) -> int:
        return (int(ts) - self.start) // self.step

    def complete(self, ts: int) -> bool:
        return int(ts) + self.step <= self.now


def plan_candles(
    db: Database,
    connection: Connection,
    symbol: str,
    timeframe: str,
    since_ms: int,
    until_ms: int,
    *,
    now: int | None = None,
) -> CandlePlan:
    step = timeframe_ms(timeframe)
    now = now_ms() if now is None else now
    start = math.ceil(since_ms / step) * step
    end = min(until_ms, now // step * step)  # a candle opening at `end` is not complete yet
    plan = CandlePlan(cache_source(connection), symbol, timeframe, step, start, end, now)
    if end <= start:
        return plan
    query = (
        "SELECT ts, open IS NOT NULL FROM candle_cache WHERE exchange = ? AND symbol = ? "
        "AND timeframe = ? AND ts >= ? AND ts < ?"
    )
    # Slots, not exact times: an exchange whose candles open off the hour still counts as cached.
    present = {
        plan.slot(ts): bool(has_price)
        for ts, has_price in db.execute(
            query, [plan.source, symbol, timeframe, start, end]
        ).fetchall()
    }
    plan.cached = sum(present.values())
    run_start = None
    for ts in range(start, end, step):
        if plan.slot(ts) in present:
            if run_start is not None:
                plan.runs.append((run_start, ts))
                run_start = None
        elif run_start is None:
            run_start = ts
    if run_start is not None:
        plan.runs.append((run_start, end))
    return plan


async def download_candles(
    adapter: Any, plan: CandlePlan, *, market: str = "spot", page_limit: int = DEFAULT_PAGE_LIMIT
) -> list[list]:
    """Fetch every missing run of `plan`, page by page; returns OHLCV rows inside the runs."""
    rows: list[list] = []
    step = plan.step
    for run_start, run_end in plan.runs:
        cursor = run_start
        while cursor < run_end:
            limit = min(page_limit, -(-(run_end - cursor) // step))  # at least 1
            page = await adapter.fetch_ohlcv(
                plan.symbol, plan.timeframe, cursor, limit, market=market
            )
            plan.requests += 1
            page = sorted((list(r) for r in page or []), key=lambda r: r[0])
            inside = [r for r in page if cursor <= int(r[0]) < run_end and plan.complete(r[0])]
            rows.extend(inside)
            if len(page) < limit or not inside:
                cursor += limit * step  # the exchange has nothing more in this window
            else:
                cursor = max(int(inside[-1][0]) + step, cursor + step)
    return rows


def store_candles(db: Database, plan: CandlePlan, rows: list[list]) -> None:
    """Cache fetched rows, plus empty rows for settled times the exchange had no candle for."""
    if not plan.runs:
        return
    records = [
        (
            plan.source,
            plan.symbol,
            plan.timeframe,
            int(r[0]),
            *[None if v is None else float(v) for v in r[1:6]],
            *[None] * (6 - len(r)),
        )
        for r in rows
    ]
    covered = {plan.slot(r[0]) for r in rows}
    settled = plan.now - 2 * plan.step  # a recent candle may still be on its way
    for run_start, run_end in plan.runs:
        for ts in range(run_start, min(run_end, settled), plan.step):
            if plan.slot(ts) not in covered:
                records.append((plan.source, plan.symbol, plan.timeframe, ts, *[None] * 5))
    with write(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO candle_cache (exchange, symbol, timeframe, ts, open, high, "
            "low, close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            records,
        )


def read_candles(db: Database, plan: CandlePlan) -> pd.DataFrame:
    rows = db.execute(
        "SELECT ts, open, high, low, close, volume FROM candle_cache WHERE exchange = ? AND "
        "symbol = ? AND timeframe = ? AND ts >= ? AND ts < ? AND open IS NOT NULL ORDER BY ts",
        [plan.source, plan.symbol, plan.timeframe, plan.start, plan.end],
    ).fetchall()
    frame = candles_to_frame(rows)
    frame.attrs.update(requests=plan.requests, from_cache=plan.cached)
    return frame


def _with_markets(db: Database | None, connection: Connection, credentials: Credentials, work):
    """Run `work(adapter)` on a worker thread with the connection's cached market lists, and
    keep what it downloaded: a page action never downloads a market list twice."""
    cached = read_market_cache(db, [connection])[connection.id] if db is not None else {}

    async def main():
        async with create_adapter(connection, credentials, markets=cached) as adapter:
            return await work(adapter), dict(getattr(adapter, "fresh_markets", {}))

    result, fresh = run_sync(main)
    if db is not None:
        store_market_cache(db, connection, fresh)
    return result


def fetch_candles_sync(
    db: Database,
    connection: Connection,
    credentials: Credentials,
    symbol: str,
    timeframe: str,
    since_ms: int,
    until_ms: int,
    *,
    market: str = "spot",
) -> pd.DataFrame:
    """Complete candles opening in [since_ms, until_ms) as the backtest's candle frame
    (timestamp ms, open, high, low, close, volume); `frame.attrs` holds `requests` (HTTP calls
    made) and `from_cache` (candles served from the cache). Raises ExchangeError.

    The database stays on this thread; the network runs on a worker thread."""
    plan = plan_candles(db, connection, symbol, timeframe, since_ms, until_ms)
    rows = []
    if plan.runs:
        limit = adapter_class(connection.exchange).CANDLES_PER_CALL
        rows = _with_markets(
            db,
            connection,
            credentials,
            lambda adapter: download_candles(adapter, plan, market=market, page_limit=limit),
        )
    store_candles(db, plan, rows)
    return read_candles(db, plan)


def last_price_sync(
    db: Database, connection: Connection, credentials: Credentials, pair: str
) -> float | None:
    """Close of the latest complete 15-minute candle of the pair (spot), None if there is none."""
    now = now_ms()
    frame = fetch_candles_sync(
        db, connection, credentials, candle_symbol(pair), "15m", now - 3 * 3_600_000, now
    )
    return float(frame["close"].iloc[-1]) if len(frame) else None


# --- Pairs and balance -------------------------------------------------------------------------


def available_pairs_sync(db, connection, credentials, market) -> dict[str, list[str]]:
    """Pairs the user can choose for `market`, grouped by quote (USDT first)."""

    async def pairs(adapter):
        return group_pairs(market_pairs(await adapter.load_markets(market=market), market))

    return _with_markets(db, connection, credentials, pairs)


def quote_balance_sync(db, connection, credentials, market, quote) -> float | None:
    """Free amount of the quote currency on the connection's spot or futures account; None
    without a quote currency (no pair chosen), without asking the exchange."""
    if not quote:
        return None

    async def free(adapter):
        return free_amount(await adapter.fetch_balance(market=market), quote) or 0.0

    return _with_markets(db, connection, credentials, free)


# --- Backtest over fetched candles -------------------------------------------------------------


@dataclass(frozen=True)
class BacktestRun:
    pair: str
    candles: pd.DataFrame
    with_recovery: BacktestResult
    without_recovery: BacktestResult


def backtest_pair_sync(
    db: Database,
    connection: Connection,
    credentials: Credentials,
    params: StrategyParams,
    pair: str,
    *,
    days: int,
    timeframe: str,
    initial_balance: float,
) -> BacktestRun:
    """Fetch the last `days` of candles of `pair` and replay them with and without Recovery
    Mode. Raises ExchangeError (candles) or ValidationError (settings, no candles)."""
    end = now_ms() // timeframe_ms(timeframe) * timeframe_ms(timeframe)  # last complete candle
    frame = fetch_candles_sync(
        db, connection, credentials, candle_symbol(pair), timeframe, end - days * DAY_MS, end
    )
    with_recovery, without = compare_recovery(params, frame, initial_balance=initial_balance)
    return BacktestRun(pair, frame, with_recovery, without)


COMPARISON_ROWS = (
    "Deals closed",
    "Win rate",
    "Net profit",
    "Max drawdown",
    "Max floating drawdown",
    "Reinforcements used",
    "Time in deals",
    "Deals that reached Recovery Mode",
    "Deals saved by Recovery Mode",
    "Stopped out",
    "Open deal at the end",
    "Final equity",
    "Fees paid",
)


def comparison_frame(run: BacktestRun) -> pd.DataFrame:
    """Metric -> value with and without Recovery Mode, side by side."""
    a, b = run.with_recovery.summary(), run.without_recovery.summary()
    return pd.DataFrame(
        {
            "Metric": list(COMPARISON_ROWS),
            "With Recovery Mode": [a.get(k, "") for k in COMPARISON_ROWS],
            "Without Recovery Mode": [b.get(k, "") for k in COMPARISON_ROWS],
        }
    )
