"""Market lists cached on disk with a time-to-live, shared by every page and across restarts.

A market list is megabytes on MEXC and never changes within a day, so it is downloaded once per
connection source (demo, custom base URL or the real exchange never share one) and ccxt id.
Read on the caller's thread, pass to `create_adapter(markets=...)`, then keep what the adapter
downloaded (`adapter.fresh_markets`); `with_cached_markets` does all three around one piece of
adapter work.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from sqlite_utils import Database

from backfuture_core.exchanges.base import ExchangeAdapter, deadline_options
from backfuture_core.exchanges.registry import create_adapter, get_exchange
from backfuture_core.exchanges.runner import run_sync
from backfuture_core.models import Connection, Credentials
from backfuture_core.storage.database import dumps, write

T = TypeVar("T")

TTL_S = 24 * 3600.0


def cache_source(connection: Connection) -> str:
    """The `exchange` value of the cache rows: demo data and other base URLs never mix with the
    real exchange's candles."""
    if connection.is_demo:
        return f"{connection.exchange}:demo"
    if connection.api_base_url:
        return f"{connection.exchange}:{connection.api_base_url}"
    return connection.exchange


def market_cache_key(connection: Connection, ccxt_id: str) -> str:
    """Demo, custom base URLs and the real exchange never share cached markets."""
    return f"markets:{cache_source(connection)}:{ccxt_id}"


def _ccxt_ids(connection: Connection) -> list[str]:
    info = get_exchange(connection.exchange)
    ids = [info.spot_ccxt_id]
    if connection.market.has_futures and info.futures_ccxt_id not in ids:
        ids.append(info.futures_ccxt_id)
    return ids


def read_market_cache(
    db: Database,
    connections: Iterable[Connection],
    *,
    now: float | None = None,
    ttl_s: float = TTL_S,
) -> dict[int, dict[str, dict]]:
    """connection id -> {ccxt id: markets} from the cache rows younger than `ttl_s`."""
    now = time.time() if now is None else now
    parsed: dict[str, dict | None] = {}
    result: dict[int, dict[str, dict]] = {}
    for conn in connections:
        found: dict[str, dict] = {}
        for ccxt_id in _ccxt_ids(conn):
            key = market_cache_key(conn, ccxt_id)
            if key not in parsed:
                row = db.execute(
                    "SELECT fetched_at, body FROM market_cache WHERE cache_key = ?", [key]
                ).fetchone()
                markets = None
                if row is not None and now - float(row[0]) < ttl_s:
                    try:
                        markets = json.loads(row[1])
                    except ValueError:
                        markets = None
                parsed[key] = markets if isinstance(markets, dict) and markets else None
            entry = parsed[key]
            if entry is not None:
                found[ccxt_id] = entry
        result[conn.id] = found
    return result


def store_market_cache(
    db: Database, connection: Connection, fresh: Mapping[str, dict], *, now: float | None = None
) -> None:
    """Keep the markets an adapter downloaded (`adapter.fresh_markets`) for the next run."""
    if not fresh:
        return
    now = time.time() if now is None else now
    with write(db):
        for ccxt_id, markets in fresh.items():
            if markets:
                db.execute(
                    "INSERT OR REPLACE INTO market_cache (cache_key, fetched_at, body) "
                    "VALUES (?, ?, ?)",
                    [market_cache_key(connection, ccxt_id), now, dumps(markets)],
                )


def with_cached_markets(
    db: Database | None,
    connection: Connection,
    credentials: Credentials,
    work: Callable[[ExchangeAdapter], Awaitable[T]],
    deadline_s: float | None = None,
) -> T:
    """Run `work(adapter)` on a worker thread with the connection's cached market lists, and
    keep what it downloaded: a page action never downloads a market list twice. The database
    stays on the caller's thread."""
    cached = read_market_cache(db, [connection])[connection.id] if db is not None else {}

    options = deadline_options(deadline_s)  # every call's deadline (None: the adapter's)

    async def main() -> tuple[T, dict[str, dict]]:
        async with create_adapter(connection, credentials, markets=cached, **options) as adapter:
            return await work(adapter), dict(getattr(adapter, "fresh_markets", {}))

    result, fresh = run_sync(main)
    if db is not None:
        store_market_cache(db, connection, fresh)
    return result
