"""Settled history on disk: closed orders and fills never change, so what was fetched once is
kept (`activity_rows`) with the span each listing covers (`activity_coverage`), and the next
refresh asks the exchange only for what is newer."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.models import Connection
from backfuture_core.portfolio.results import Activity, Coverage
from backfuture_core.portfolio.rows import (
    ORDER_COLUMNS,
    TAG_COLUMNS,
    TRADE_COLUMNS,
    tag_rows,
    to_frame,
    unique_activity,
)
from backfuture_core.storage.database import dumps, write
from backfuture_core.values import MINUTE_MS

SETTLE_MS = 5 * MINUTE_MS  # fills and closed orders younger than this may still be arriving


def read_coverage(db: Database, connection_id: int) -> Coverage:
    rows = db.execute(
        "SELECT market, kind, symbol, covered_from, covered_until FROM activity_coverage"
        " WHERE connection_id = ?",
        [connection_id],
    ).fetchall()
    return {(m, k, sym): (int(f), int(u)) for m, k, sym, f, u in rows}


def fetch_start(coverage: Coverage, market: str, kind: str, symbol: str, since: int) -> int:
    """Where a listing must start: after the stored rows, when they reach back to `since`."""
    covered = coverage.get((market, kind, symbol))
    if covered is None or not covered[0] <= since < covered[1]:
        return since
    return covered[1]


def new_coverage(
    coverage: Coverage,
    market: str,
    starts: Mapping[str, Mapping[str, int]],
    since: int,
    until: int,
    orders: Sequence[Mapping[str, Any]],
) -> Coverage:
    """What the stored rows cover after this fetch. An order still open may close later with
    its old time, so order coverage stops before the oldest open order of its symbol."""
    oldest_open: dict[str, float] = {}
    for row in orders:
        if row["status"] == "open" and not math.isnan(row["time"]):
            for key in (row["symbol"], ""):
                oldest_open[key] = min(oldest_open.get(key, math.inf), row["time"])
    spans: Coverage = {}
    for kind, by_symbol in starts.items():
        for symbol, start in by_symbol.items():
            end = until - SETTLE_MS
            if kind == "orders" and symbol in oldest_open:
                end = min(end, int(oldest_open[symbol]) - 1)
            previous = coverage.get((market, kind, symbol))
            first = previous[0] if previous is not None and start > since else since
            spans[(market, kind, symbol)] = (first, max(end, start))
    return spans


def _settled_records(frame: pd.DataFrame, kind: str, id_column: str) -> list[list[Any]]:
    if kind == "orders":
        frame = frame[frame["status"] != "open"]
    if frame.empty:
        return []
    times = frame["time"].map(lambda t: None if pd.isna(t) else t.value // 1_000_000)
    body = frame.drop(columns=[c for c in TAG_COLUMNS if c in frame]).assign(time=times)
    return [
        [record["market"], kind, str(record[id_column]), record["time"], dumps(record)]
        for record in body.to_dict("records")
        if record[id_column]
    ]


def with_settled(db: Database, connection: Connection, activity: Activity) -> Activity:
    """`activity` joined with the stored closed orders and fills of its period; what it fetched
    that is settled is stored, with the span it covers."""
    rows = db.execute(
        "SELECT kind, body FROM activity_rows WHERE connection_id = ? AND time_ms BETWEEN ? AND ?",
        [connection.id, activity.since_ms, activity.until_ms],
    ).fetchall()
    stored: dict[str, list[dict[str, Any]]] = {"orders": [], "trades": []}
    for kind, body in rows:
        stored[kind].append(json.loads(body))
    records = _settled_records(activity.orders, "orders", "order_id")
    records += _settled_records(activity.trades, "trades", "trade_id")
    with write(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO activity_rows VALUES (?, ?, ?, ?, ?, ?)",
            [[connection.id, *record] for record in records],
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO activity_coverage VALUES (?, ?, ?, ?, ?, ?)",
            [[connection.id, *key, *span] for key, span in activity.coverage.items()],
        )
    if not rows:
        return activity
    orders, trades = unique_activity(
        pd.concat(
            [to_frame(tag_rows(stored["orders"], connection), ORDER_COLUMNS), activity.orders],
            ignore_index=True,
        ),
        pd.concat(
            [to_frame(tag_rows(stored["trades"], connection), TRADE_COLUMNS), activity.trades],
            ignore_index=True,
        ),
    )
    return replace(activity, orders=orders, trades=trades)
