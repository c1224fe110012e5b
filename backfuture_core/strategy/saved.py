"""Saved strategies: several named DCA settings per connection, stored as JSON.

Names are unique per connection, case-insensitively (the `name_key` column), and follow the
connection-name rules (`validation.clean_name`): 1-64 characters, no control or invisible
characters. Settings with errors are refused (`checks.check_params`). Every write is one
`store.write` transaction with an audit-log entry. Deleting a connection deletes its strategies
(ON DELETE CASCADE).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from backfuture_core.errors import NotFound, StorageError, ValidationError
from backfuture_core.storage.connections import get_connection
from backfuture_core.storage.database import audit, now_iso, write
from backfuture_core.strategy.checks import check_params
from backfuture_core.strategy.params import StrategyParams
from backfuture_core.validation import Problems, clean_name, name_key

NAME_LABEL = "Strategy name"


@dataclass(frozen=True)
class SavedStrategy:
    id: int
    connection_id: int
    name: str
    params: StrategyParams
    created_at: str
    updated_at: str


def clean_strategy_name(
    db: Database, connection_id: int, name: str, *, ignore_id: int | None = None
) -> str:
    """The trimmed, NFC-normalised name, or ValidationError({"Strategy name": ...})."""
    text = clean_name(NAME_LABEL, "strategy name", name)
    clash = db.execute(
        "SELECT id FROM strategies WHERE connection_id = ? AND name_key = ? AND id IS NOT ?",
        [connection_id, name_key(text), ignore_id],
    ).fetchone()
    if clash:
        raise ValidationError(
            {
                NAME_LABEL: "This connection already has a strategy with this name (names are "
                "not case-sensitive). Choose another name."
            }
        )
    return text


def _row(row: dict[str, Any]) -> SavedStrategy:
    return SavedStrategy(
        id=row["id"],
        connection_id=row["connection_id"],
        name=row["name"],
        params=StrategyParams.from_dict(json.loads(row["params"])),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def list_strategies(db: Database, connection_id: int) -> list[SavedStrategy]:
    """The connection's strategies, by name (case-insensitively)."""
    rows = db.query(
        "SELECT * FROM strategies WHERE connection_id = ? ORDER BY name_key, id", [connection_id]
    )
    return [_row(r) for r in rows]


def get_strategy(db: Database, strategy_id: int) -> SavedStrategy:
    row = next(iter(db.query("SELECT * FROM strategies WHERE id = ?", [strategy_id])), None)
    if row is None:
        raise NotFound("This strategy no longer exists.")
    return _row(row)


def find_strategy(db: Database, connection_id: int, name: str) -> SavedStrategy | None:
    row = db.execute(
        "SELECT id FROM strategies WHERE connection_id = ? AND name_key = ?",
        [connection_id, name_key(name or "")],
    ).fetchone()
    return None if row is None else get_strategy(db, row[0])


def save_strategy(
    db: Database,
    connection_id: int,
    name: str,
    params: StrategyParams,
    *,
    strategy_id: int | None = None,
    quote_balance: float | None = None,
) -> SavedStrategy:
    """Store `params` under `name`: a new strategy, or with `strategy_id` an update of that one
    (its name may change). Settings with validation errors are refused (ValidationError, nothing
    stored); `quote_balance` adds the margin-limit checks that need the balance.
    """
    with write(db):
        conn = get_connection(db, connection_id)
        if strategy_id is not None:
            existing = get_strategy(db, strategy_id)
            if existing.connection_id != connection_id:
                raise NotFound("This strategy belongs to another connection.")
        problems = Problems()
        problems.attempt(
            "name", clean_strategy_name, db, connection_id, name, ignore_id=strategy_id
        )
        problems.attempt(
            "params",
            check_params,
            params,
            connection_market=conn.market.value,
            quote_balance=quote_balance,
        )
        problems.raise_if_any()
        clean = problems.cleaned["name"]
        body, now = json.dumps(params.to_dict(), separators=(",", ":")), now_iso()
        if strategy_id is None:
            cursor = db.execute(
                "INSERT INTO strategies (connection_id, name, name_key, params, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [connection_id, clean, name_key(clean), body, now, now],
            )
            if cursor.lastrowid is None:  # SQLite always sets it after an INSERT
                raise StorageError("The strategy could not be saved.")
            saved_id = cursor.lastrowid
            action = "strategy saved"
        else:
            saved_id = strategy_id
            db.execute(
                "UPDATE strategies SET name = ?, name_key = ?, params = ?, updated_at = ? "
                "WHERE id = ?",
                [clean, name_key(clean), body, now, saved_id],
            )
            action = "strategy updated"
        audit(db, action, connection_id=connection_id, detail=f"strategy {saved_id}")
    return get_strategy(db, saved_id)


def rename_strategy(db: Database, strategy_id: int, name: str) -> SavedStrategy:
    with write(db):
        existing = get_strategy(db, strategy_id)
        clean = clean_strategy_name(db, existing.connection_id, name, ignore_id=strategy_id)
        db.execute(
            "UPDATE strategies SET name = ?, name_key = ?, updated_at = ? WHERE id = ?",
            [clean, name_key(clean), now_iso(), strategy_id],
        )
        audit(
            db,
            "strategy renamed",
            connection_id=existing.connection_id,
            detail=f"strategy {strategy_id}",
        )
    return get_strategy(db, strategy_id)


def delete_strategy(db: Database, strategy_id: int) -> None:
    with write(db):
        existing = get_strategy(db, strategy_id)
        db.execute("DELETE FROM strategies WHERE id = ?", [strategy_id])
        audit(
            db,
            "strategy deleted",
            connection_id=existing.connection_id,
            detail=f"strategy {strategy_id}",
        )


def strategy_to_update(
    db: Database, connection_id: int, name: str, loaded_id: int | None
) -> int | None:
    """What the page's "Save strategy" updates: the loaded strategy when `name` is still its
    name (case-insensitively); None (save a new one) otherwise."""
    if loaded_id is None:
        return None
    with contextlib.suppress(NotFound):
        loaded = get_strategy(db, loaded_id)
        if loaded.connection_id == connection_id and name_key(loaded.name) == name_key(name or ""):
            return loaded_id
    return None
