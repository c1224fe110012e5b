"""The Orders page's view-model: every chosen connection's orders and fills over a period,
refreshed through the session cache (a pair chosen later is asked for on its own where the
exchange answers per symbol), the filters, and the price candles its chart draws."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.config import EXCHANGE_DEADLINE_S
from backfuture_core.errors import BackfutureError
from backfuture_core.exchanges.base import SPOT
from backfuture_core.exchanges.registry import adapter_class
from backfuture_core.exchanges.runner import Job
from backfuture_core.market_data.candles import fetch_candles_sync
from backfuture_core.models import Connection
from backfuture_core.portfolio.activity import KINDS, activity_jobs, fetch_activity, merge_activity
from backfuture_core.portfolio.background import Wait, refresh_in_background
from backfuture_core.portfolio.fetch import Finish
from backfuture_core.portfolio.markets import markets_of
from backfuture_core.portfolio.notices import Shown, notices, oldest_fetch
from backfuture_core.portfolio.results import Activity
from backfuture_core.portfolio.rows import ORDER_COLUMNS, TRADE_COLUMNS, concat_frames, newest_first
from backfuture_core.session_cache import Fetched, ResultCache
from backfuture_core.storage.connections import load_credentials
from backfuture_core.values import DAY_MS, parse_symbol

if TYPE_CHECKING:
    from backfuture_core.security.vault import Vault

PERIOD_DAYS = (1, 7, 30, 90)
DEFAULT_PERIOD_DAYS = 7
CHART_TIMEFRAMES = {1: "15m", 7: "1h", 30: "4h", 90: "1d"}

ActivityKey = tuple[int, int]  # (connection id, days)


@dataclass(frozen=True)
class ActivityView(Shown):
    orders: pd.DataFrame  # ORDER_COLUMNS, newest first
    trades: pd.DataFrame  # TRADE_COLUMNS, newest first
    listed: tuple[str, ...] = ()  # every symbol the connections' exchanges list


def activity_view(
    connections: Sequence[Connection],
    entries: Sequence[Fetched[Activity]],
    waiting: Collection[int] = (),
    polling: bool = False,
) -> ActivityView:
    """The view of what has arrived; connections in `waiting` (ids) have not answered yet."""
    values = [e.value for e in entries if e.value is not None]
    return ActivityView(
        waiting=tuple(c.name for c in connections if c.id in waiting),
        polling=polling,
        fetched_at=oldest_fetch(entries),
        notices=tuple(notices(connections, entries)),
        orders=newest_first(concat_frames([a.orders for a in values], ORDER_COLUMNS)),
        trades=newest_first(concat_frames([a.trades for a in values], TRADE_COLUMNS)),
        listed=tuple(sorted({s for a in values for s in a.listed})),
    )


def _covers(entry: Fetched[Activity] | None, connection: Connection, pair: str | None) -> bool:
    """Whether the cached activity already includes `pair` (exchanges asked per symbol)."""
    if entry is None or entry.value is None or not pair:
        return True
    paging = adapter_class(connection.exchange).PAGING
    per_symbol = any(paging[(m, kind)].per_symbol for m in markets_of(connection) for kind in KINDS)
    return not per_symbol or pair not in entry.value.listed or pair in entry.value.symbols


def refresh_orders(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    cache: ResultCache,
    *,
    days: int,
    pair: str | None = None,
    force: bool = False,
    deadline_s: float = EXCHANGE_DEADLINE_S,
    wait: Wait = Wait.ALL,
) -> ActivityView:
    """The orders view over the last `days`: cached per (connection, days) for the TTL; a
    chosen `pair` that a per-symbol exchange was not asked about is asked for on its own
    and joined in. The refresh runs in the background as on Balances (`refresh_balances`)."""
    by_key = {(c.id, days): c for c in connections}
    keys = list(by_key)
    fresh = [k for k in keys if not cache.due(k, force=force)]
    missing = [k for k in fresh if not _covers(cache.get(k), by_key[k], pair)]
    periods: dict[tuple[int, int], list[ActivityKey]] = {}
    for key in missing if pair else []:
        entry = cache.get(key)
        if entry is not None and entry.value is not None:
            value: Activity = entry.value
            periods.setdefault((value.since_ms, value.until_ms), []).append(key)
    for (since, until), group in periods.items():
        added = fetch_activity(
            db, vault, [by_key[k] for k in group], since_ms=since, until_ms=until,
            pairs=[pair] if pair else [], only_pairs=True, deadline_s=deadline_s,
        )  # fmt: skip
        for key, outcome in zip(group, added, strict=True):
            cache.amend(key, outcome, merge_activity)

    def start(due: list[Any]) -> tuple[list[Job[Activity]], Finish[Activity]]:
        now = int(time.time() * 1000)
        return activity_jobs(
            db, vault, [by_key[k] for k in due], since_ms=now - days * DAY_MS, until_ms=now,
            pairs=[pair] if pair else [], deadline_s=deadline_s,
        )  # fmt: skip

    done = refresh_in_background(
        db, cache, keys, start, deadline_s=deadline_s, force=force, wait=wait
    )
    waiting = {key[0] for key in done.waiting if isinstance(key, tuple)}
    return activity_view(connections, done.entries, waiting, done.polling)


def filter_orders(
    frame: pd.DataFrame,
    *,
    pair: str | None = None,
    side: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Rows matching every filter given (None = any)."""
    mask = pd.Series(True, index=frame.index)
    if pair:
        mask &= frame["symbol"] == pair
    if side:
        mask &= frame["side"] == side
    if status and "status" in frame.columns:
        mask &= frame["status"] == status
    return frame[mask].reset_index(drop=True)


def pair_options(view: ActivityView) -> list[str]:
    """Pairs to filter on: those in the data first, then every other listed pair (choosing
    one of those asks an exchange that answers per symbol about it)."""
    seen = {s for s in set(view.orders["symbol"]) | set(view.trades["symbol"]) if s}
    return sorted(seen) + sorted(set(view.listed) - seen)


def chart_pair(orders: pd.DataFrame, trades: pd.DataFrame, chosen: str | None) -> str | None:
    """The pair to draw: the chosen one, else the one with the most fills (or orders)."""
    if chosen:
        return chosen
    for frame in (trades, orders):
        if len(frame):
            return str(frame["symbol"].value_counts().index[0])
    return None


def refresh_candles(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    view: ActivityView,
    pair: str,
    days: int,
    cache: ResultCache,
    *,
    force: bool = False,
    deadline_s: float | None = None,
) -> Fetched[pd.DataFrame]:
    """Spot candles of `pair` over the period through the one candle pipeline (disk-cached),
    from the first connection with activity in the pair; kept per session like the views."""
    ids = set(view.orders.loc[view.orders["symbol"] == pair, "connection_id"])
    conn = next((c for c in connections if c.id in ids), connections[0])
    timeframe = CHART_TIMEFRAMES.get(days, "1h")
    symbol = parse_symbol(pair).spot

    def fetch(keys: list[tuple[int, str, int]]) -> list[pd.DataFrame | BackfutureError]:
        until = int(time.time() * 1000)
        try:
            creds = load_credentials(db, vault, conn.id)
            frame = fetch_candles_sync(
                db, conn, creds, symbol, timeframe, until - days * DAY_MS, until, market=SPOT,
                deadline_s=deadline_s,
            )  # fmt: skip
        except BackfutureError as exc:
            return [exc]
        return [frame]

    return cache.refresh([(conn.id, symbol, days)], fetch, force=force)[0]
