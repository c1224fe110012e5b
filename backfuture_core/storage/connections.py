"""The connections table: rows <-> `Connection`, and every change to a connection.

Secrets are encrypted by the vault before they reach a row and decrypted only by
`load_credentials`, just in time; the other functions never read the ciphertext columns.
Each change is one `write` transaction with its audit entry. Form rules live in
`backfuture_core.connection_form`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from backfuture_core.connection_form import (
    ConnectionForm,
    validate_edit,
    validate_form,
    validate_keys,
)
from backfuture_core.errors import NotFound, StorageError
from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.models import Connection, Credentials, Market, Secret, Status
from backfuture_core.security.vault import Vault, open_secret
from backfuture_core.storage.database import audit, now_iso, write
from backfuture_core.validation import name_key

__all__ = [
    "ConnectionForm",  # the add form's input, re-exported beside add_connection
    "add_connection",
    "delete_connection",
    "find_connection",
    "get_connection",
    "list_connections",
    "load_credentials",
    "replace_keys",
    "set_status",
    "update_connection",
]

TABLE = "connections"
SECRET_COLUMNS = {"api_key": "api_key_enc", "secret": "secret_enc", "passphrase": "passphrase_enc"}
PUBLIC_COLUMNS = (
    "id, name, exchange, market, key_hint, api_base_url, proxy, note, is_demo, status, "
    "created_at, updated_at, last_tested_at"
)


def _to_connection(row: dict[str, Any]) -> Connection:
    return Connection(
        id=row["id"],
        name=row["name"],
        exchange=row["exchange"],
        market=Market(row["market"]),
        key_hint=row["key_hint"],
        api_base_url=row["api_base_url"],
        proxy=row["proxy"],
        note=row["note"],
        is_demo=bool(row["is_demo"]),
        status=Status(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_tested_at=row["last_tested_at"],
    )


def _public_rows(
    db: Database, where: str | None = None, args: list[Any] | None = None
) -> Iterator[dict[str, Any]]:
    return db.table(TABLE).rows_where(where, args, select=PUBLIC_COLUMNS, order_by="name_key")


# --- Reading -----------------------------------------------------------------------------------


def list_connections(db: Database) -> list[Connection]:
    """Every connection, ordered by name (case-insensitively)."""
    return [_to_connection(row) for row in _public_rows(db)]


def get_connection(db: Database, conn_id: int) -> Connection:
    """Raises NotFound when the connection was deleted."""
    row = next(iter(_public_rows(db, "id = ?", [conn_id])), None)
    if row is None:
        raise NotFound("This connection no longer exists.")
    return _to_connection(row)


def find_connection(db: Database, name: str) -> Connection:
    """The connection called `name` (case-insensitive); raises NotFound."""
    row = next(iter(_public_rows(db, "name_key = ?", [name_key(name)])), None)
    if row is None:
        raise NotFound("No connection has that name.")
    return _to_connection(row)


def load_credentials(db: Database, vault: Vault, conn_id: int) -> Credentials:
    """Decrypt a connection's keys just in time. Never cache the result.

    A damaged or missing secret raises CorruptedRecord naming the connection."""
    columns = "name, exchange, " + ", ".join(SECRET_COLUMNS.values())
    row = next(iter(db.table(TABLE).rows_where("id = ?", [conn_id], select=columns)), None)
    if row is None:
        raise NotFound("This connection no longer exists.")

    def open_field(field: str) -> Secret:
        return open_secret(
            vault,
            row[SECRET_COLUMNS[field]],
            conn_id=conn_id,
            name=row["name"],
            field=field,
            exchange=row["exchange"],
        )

    passphrase = None if row["passphrase_enc"] is None else open_field("passphrase")
    return Credentials(open_field("api_key"), open_field("secret"), passphrase)


# --- Changing ----------------------------------------------------------------------------------


def _encrypted(vault: Vault, conn_id: int, exchange: str, keys: dict[str, str]) -> dict[str, Any]:
    """The ciphertext columns for `keys` (an empty value stores NULL)."""
    return {
        SECRET_COLUMNS[field]: (
            vault.encrypt(value, conn_id=conn_id, field=field, exchange=exchange) if value else None
        )
        for field, value in keys.items()
    }


def _keys_of(clean: dict[str, Any]) -> dict[str, str]:
    return {field: clean[field] for field in SECRET_COLUMNS}


def add_connection(
    db: Database, vault: Vault, form: ConnectionForm, *, is_demo: bool = False
) -> Connection:
    """Validate, encrypt and store a new connection in one transaction.

    Raises ValidationError (nothing stored) for any bad field.
    """
    with write(db):
        clean = validate_form(db, form)
        info, now = clean["exchange"], now_iso()
        table = db.table(TABLE).insert(
            {
                "name": clean["name"],
                "name_key": name_key(clean["name"]),
                "exchange": info.id,
                "market": clean["market"].value,
                "key_hint": "…" + clean["api_key"][-4:],
                "key_fingerprint": vault.fingerprint(clean["api_key"]),
                "api_base_url": clean["api_base_url"],
                "proxy": clean["proxy"],
                "note": clean["note"],
                "is_demo": int(is_demo),
                "status": Status.UNTESTED.value,
                "created_at": now,
                "updated_at": now,
            }
        )
        conn_id = table.last_rowid
        if conn_id is None:  # SQLite reports the rowid of every insert; never expected
            raise StorageError("The connection could not be saved.")
        table.update(conn_id, _encrypted(vault, conn_id, info.id, _keys_of(clean)))
        audit(db, "connection added", connection_id=conn_id, detail=info.name)
    return get_connection(db, conn_id)


def update_connection(
    db: Database,
    conn_id: int,
    *,
    name: str,
    market: str,
    api_base_url: str = "",
    proxy: str = "",
    note: str = "",
) -> Connection:
    """Rename or edit the non-secret fields. Raises ValidationError, NotFound."""
    with write(db):
        get_connection(db, conn_id)
        values = validate_edit(
            db, conn_id, name=name, market=market, api_base_url=api_base_url, proxy=proxy, note=note
        )
        db.table(TABLE).update(
            conn_id,
            {
                "name": values["name"],
                "name_key": name_key(values["name"]),
                "market": values["market"].value,
                "api_base_url": values["api_base_url"],
                "proxy": values["proxy"],
                "note": values["note"],
                "updated_at": now_iso(),
            },
        )
        audit(db, "connection edited", connection_id=conn_id)
    return get_connection(db, conn_id)


def replace_keys(
    db: Database, vault: Vault, conn_id: int, *, api_key: str, secret: str, passphrase: str = ""
) -> Connection:
    """Store new keys for a connection; its status goes back to untested."""
    with write(db):
        conn = get_connection(db, conn_id)
        info = get_exchange(conn.exchange)
        clean = validate_keys(info, api_key=api_key, secret=secret, passphrase=passphrase)
        db.table(TABLE).update(
            conn_id,
            {
                **_encrypted(vault, conn_id, conn.exchange, _keys_of(clean)),
                "key_hint": "…" + clean["api_key"][-4:],
                "key_fingerprint": vault.fingerprint(clean["api_key"]),
                "status": Status.UNTESTED.value,
                "updated_at": now_iso(),
            },
        )
        audit(db, "keys replaced", connection_id=conn_id)
    return get_connection(db, conn_id)


def delete_connection(db: Database, conn_id: int) -> None:
    """Delete a connection with its reports, snapshots and strategies."""
    with write(db):
        conn = get_connection(db, conn_id)
        db.table(TABLE).delete(conn_id)
        audit(db, "connection deleted", connection_id=conn_id, detail=conn.exchange)


def set_status(db: Database, conn_id: int, status: Status, tested_at: str) -> None:
    """Record a test's outcome (called inside the caller's `write`).

    Plain SQL on purpose: a connection deleted while its test ran is skipped, not an error.
    """
    db.execute(
        "UPDATE connections SET status = ?, last_tested_at = ? WHERE id = ?",
        [status.value, tested_at, conn_id],
    )
