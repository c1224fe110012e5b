"""The one candle pipeline: plan what the cache lacks, download it page by page, store, read.

Candles come from the exchange through the connection's adapter and are kept in the
`candle_cache` table. Only complete candles are cached, and only the ranges missing from the cache
are fetched: asking twice for the same period makes no second request. Times the exchange has no
candle for (before a listing, trading halts) are cached as empty rows so that they are not asked
for again; they never appear in the returned frame.

`fetch_candles_sync` runs the whole pipeline for a page: the database work stays on the calling
thread and only the download runs on a worker thread (`exchanges.runner`). Callers with their own
way of reaching the exchange run the steps themselves: `plan_candles`, `download_candles`,
`store_candles`, `read_candles`.

Paging is our own, not ccxt's `paginate` option: ours asks only for the runs the cache lacks,
sizes each request to what is left of its run, and counts the requests it made.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.exchanges.registry import adapter_class
from backfuture_core.market_data.candle_frame import candles_to_frame
from backfuture_core.market_data.markets import cache_source, with_cached_markets
from backfuture_core.models import Connection, Credentials
from backfuture_core.storage.database import write
from backfuture_core.values import DAY_MS, HOUR_MS, MINUTE_MS, parse_symbol

TIMEFRAMES: dict[str, int] = {
    "15m": 15 * MINUTE_MS,
    "1h": HOUR_MS,
    "4h": 4 * HOUR_MS,
    "1d": DAY_MS,
}
DEFAULT_PAGE_LIMIT = 500


def now_ms() -> int:
    return int(time.time() * 1000)


def timeframe_ms(timeframe: str) -> int:
    try:
        return TIMEFRAMES[timeframe]
    except KeyError:
        raise ValueError(
            f"Unsupported timeframe {timeframe!r}; use {', '.join(TIMEFRAMES)}."
        ) from None


def candle_symbol(pair: str) -> str:
    """The spot symbol whose candles a pair's chart or backtest reads ("BTC/USDT:USDT" ->
    "BTC/USDT").

    Futures backtests replay the spot price of the same pair: the two track each other closely,
    and spot history is public on every exchange.
    """
    return parse_symbol(pair).spot


@dataclass
class CandlePlan:
    """What one fetch needs: the cache rows it covers and the missing runs."""

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
    """The complete candles opening in [since_ms, until_ms) and which runs of them the cache
    lacks. Raises ValueError for an unknown timeframe."""
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
    """Fetch every missing run of `plan`, page by page; returns OHLCV rows inside the runs.

    `adapter` is anything with the adapter's `fetch_ohlcv(symbol, timeframe, since, limit,
    market=...)`."""
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
    """The plan's candles from the cache as a candle frame; `frame.attrs` holds `requests`
    (HTTP calls made) and `from_cache` (candles that were cached before)."""
    rows = db.execute(
        "SELECT ts, open, high, low, close, volume FROM candle_cache WHERE exchange = ? AND "
        "symbol = ? AND timeframe = ? AND ts >= ? AND ts < ? AND open IS NOT NULL ORDER BY ts",
        [plan.source, plan.symbol, plan.timeframe, plan.start, plan.end],
    ).fetchall()
    frame = candles_to_frame(rows)
    frame.attrs.update(requests=plan.requests, from_cache=plan.cached)
    return frame


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
    deadline_s: float | None = None,
) -> pd.DataFrame:
    """Complete candles opening in [since_ms, until_ms) as a candle frame (timestamp ms, open,
    high, low, close, volume); `frame.attrs` holds `requests` (HTTP calls made) and
    `from_cache` (candles served from the cache). Raises ExchangeError.

    The database stays on this thread; the network runs on a worker thread."""
    plan = plan_candles(db, connection, symbol, timeframe, since_ms, until_ms)
    rows: list[list] = []
    if plan.runs:
        limit = adapter_class(connection.exchange).CANDLES_PER_CALL

        async def download(adapter: ExchangeAdapter) -> list[list]:
            return await download_candles(adapter, plan, market=market, page_limit=limit)

        rows = with_cached_markets(db, connection, credentials, download, deadline_s)
    store_candles(db, plan, rows)
    return read_candles(db, plan)


def last_price_sync(
    db: Database,
    connection: Connection,
    credentials: Credentials,
    pair: str,
    deadline_s: float | None = None,
) -> float | None:
    """Close of the latest complete 15-minute candle of the pair (spot), None if there is none."""
    now = now_ms()
    frame = fetch_candles_sync(
        db, connection, credentials, candle_symbol(pair), "15m", now - 3 * HOUR_MS, now,
        deadline_s=deadline_s,
    )  # fmt: skip
    return float(frame["close"].iloc[-1]) if len(frame) else None
