"""Balance snapshots and the value history: every successful balance refresh stores one row
of `balance_snapshots` per connection, so the value over time grows with each refresh."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.portfolio.results import Portfolio
from backfuture_core.portfolio.rows import HISTORY_COLUMNS, to_frame
from backfuture_core.storage.database import dumps, now_iso, write


def save_snapshot(db: Database, portfolio: Portfolio, *, taken_at: str | None = None) -> None:
    """Record the connection's value now (one row of `balance_snapshots`)."""
    records = portfolio.balances[["market", "asset", "total", "price", "value"]].to_dict("records")
    body = {
        "balances": [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in records
        ],
        "unpriced": list(portfolio.unpriced),
        "positions": len(portfolio.positions),
    }
    with write(db):
        db.execute(
            "INSERT INTO balance_snapshots (connection_id, taken_at, total_usdt, body) "
            "VALUES (?, ?, ?, ?)",
            [portfolio.connection_id, taken_at or now_iso(), portfolio.total_usdt, dumps(body)],
        )


def value_history(db: Database, connection_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Snapshots as HISTORY_COLUMNS (oldest first), for the chosen connections or all."""
    query = (
        "SELECT s.taken_at, s.connection_id, c.name AS connection, s.total_usdt "
        "FROM balance_snapshots s JOIN connections c ON c.id = s.connection_id"
    )
    args: list[Any] = []
    if connection_ids is not None:
        ids = [int(i) for i in connection_ids]
        if not ids:
            return to_frame([], HISTORY_COLUMNS)
        query += f" WHERE s.connection_id IN ({', '.join('?' * len(ids))})"
        args = ids
    rows = db.execute(query + " ORDER BY s.taken_at, s.id", args).fetchall()
    return to_frame([dict(zip(HISTORY_COLUMNS, r, strict=True)) for r in rows], HISTORY_COLUMNS)


def latest_values(db: Database) -> dict[int, float]:
    """connection id -> total value (USDT) of its latest snapshot."""
    rows = db.execute(
        "SELECT connection_id, total_usdt FROM balance_snapshots WHERE id IN "
        "(SELECT MAX(id) FROM balance_snapshots GROUP BY connection_id)"
    ).fetchall()
    return {int(cid): float(total) for cid, total in rows if total is not None}
