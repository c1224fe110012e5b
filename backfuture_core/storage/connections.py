"""The connections table: rows <-> `Connection`, and every change to a connection.

Secrets are encrypted by the vault before they reach a row, bound to the connection's
address (API base URL and proxy), and decrypted only by `load_credentials`, just in time (and
to bind them to a new address); the other functions never read the ciphertext columns.
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
from backfuture_core.errors import (
    CorruptedRecord,
    NotFound,
    StorageError,
    VaultLocked,
)
from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.models import Connection, Credentials, Market, Secret, Status
from backfuture_core.security.vault import Vault, address_binding
from backfuture_core.storage.database import audit, now_iso, write
from backfuture_core.validation import name_key

__all__ = [
    "ConnectionForm",  # the add form's input, re-exported beside add_connection
    "add_connection",
    "bind_legacy_keys",
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
BOUND = 2  # key_binding: the keys are bound to the connection's address (migration m006)
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

    Raises AddressChanged when the connection's API base URL or proxy was edited outside
    BackFuture (its keys are bound to the address they were saved with), CorruptedRecord when
    a key fails its integrity check.
    """
    bind_legacy_keys(db, vault)
    row = _secret_row(db, conn_id)
    opened = _open_keys(vault, row)
    api_key, secret = opened.get("api_key"), opened.get("secret")
    if api_key is None or secret is None:
        raise CorruptedRecord(f"Connection {conn_id} has no saved keys; replace its keys.")
    return Credentials(api_key, secret, opened.get("passphrase"))


def _secret_row(db: Database, conn_id: int) -> dict[str, Any]:
    columns = "id, exchange, api_base_url, proxy, key_binding, " + ", ".join(
        SECRET_COLUMNS.values()
    )
    row = next(iter(db.table(TABLE).rows_where("id = ?", [conn_id], select=columns)), None)
    if row is None:
        raise NotFound("This connection no longer exists.")
    return row


def _open_keys(vault: Vault, row: dict[str, Any]) -> dict[str, Secret]:
    """The row's secrets, opened with the address the row names now (`address_binding`)."""
    address = address_binding(row["api_base_url"], row["proxy"])
    opened = {}
    for field, column in SECRET_COLUMNS.items():
        blob = row[column]
        if blob is None:
            continue
        if row["key_binding"] >= BOUND and not vault.is_bound(blob):
            raise CorruptedRecord(
                f"The stored {field} of connection {row['id']} was replaced with an older copy; "
                "replace its keys."
            )
        opened[field] = vault.decrypt(
            blob, conn_id=row["id"], field=field, exchange=row["exchange"], address=address
        )
    return opened


def _rebound(vault: Vault, row: dict[str, Any], address: str) -> dict[str, Any] | None:
    """The row's ciphertext columns sealed again for `address`, with the binding marker;
    None (change nothing) when its keys do not open with the address the row names now."""
    try:
        opened = _open_keys(vault, row)
    except CorruptedRecord:
        return None
    keys = {field: secret.reveal() for field, secret in opened.items()}
    return {**_encrypted(vault, row["id"], row["exchange"], keys, address), "key_binding": BOUND}


def bind_legacy_keys(db: Database, vault: Vault) -> int:
    """Re-encrypt the keys saved before migration m006 bound them to their connection's
    address; returns how many connections were bound. A row whose keys do not open is left
    as it is (its keys are never lost), so the user can still replace them."""
    legacy = db.execute("SELECT id FROM connections WHERE key_binding < ?", [BOUND]).fetchall()
    bound = 0
    if not legacy:
        return bound
    with write(db):
        for (conn_id,) in legacy:
            row = _secret_row(db, conn_id)
            update = _rebound(vault, row, address_binding(row["api_base_url"], row["proxy"]))
            if update is not None:
                db.table(TABLE).update(conn_id, update)
                bound += 1
        if bound:
            audit(db, "keys bound to their address", detail=f"{bound} connections")
    return bound


# --- Changing ----------------------------------------------------------------------------------


def _encrypted(
    vault: Vault, conn_id: int, exchange: str, keys: dict[str, str], address: str
) -> dict[str, Any]:
    """The ciphertext columns for `keys` (an empty value stores NULL), bound to `address`."""
    return {
        SECRET_COLUMNS[field]: (
            vault.encrypt(value, conn_id=conn_id, field=field, exchange=exchange, address=address)
            if value
            else None
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
        address = address_binding(clean["api_base_url"], clean["proxy"])
        keys = _encrypted(vault, conn_id, info.id, _keys_of(clean), address)
        table.update(conn_id, {**keys, "key_binding": BOUND})
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
    vault: Vault | None = None,
) -> Connection:
    """Rename or edit the non-secret fields. Raises ValidationError, NotFound.

    A new API base URL or proxy re-encrypts the keys bound to it, so `vault` is needed then
    (VaultLocked without it). Keys that no longer open (their address was changed outside
    BackFuture) are left as they are: they open again if the edit restores that address.
    """
    with write(db):
        get_connection(db, conn_id)
        values = validate_edit(
            db, conn_id, name=name, market=market, api_base_url=api_base_url, proxy=proxy, note=note
        )
        row = _secret_row(db, conn_id)
        address = address_binding(values["api_base_url"], values["proxy"])
        if address != address_binding(row["api_base_url"], row["proxy"]):
            if vault is None:
                raise VaultLocked("Unlock BackFuture to change where this connection's keys go.")
            rebound = _rebound(vault, row, address)
            if rebound is not None:
                db.table(TABLE).update(conn_id, rebound)
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
        address = address_binding(conn.api_base_url, conn.proxy)
        db.table(TABLE).update(
            conn_id,
            {
                **_encrypted(vault, conn_id, conn.exchange, _keys_of(clean), address),
                "key_binding": BOUND,
                "key_hint": "…" + clean["api_key"][-4:],
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
