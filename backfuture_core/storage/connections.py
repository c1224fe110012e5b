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
from backfuture_core.errors import CorruptedRecord, NotFound, StaleEdit, StorageError, VaultLocked
from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.models import Connection, Credentials, Market, Secret, Status
from backfuture_core.security.vault import Vault, address_binding, open_secret
from backfuture_core.storage.database import audit, now_iso, write
from backfuture_core.validation import name_key

__all__ = [
    "GONE",
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
PUBLIC_COLUMNS = (
    "id, name, exchange, market, key_hint, api_base_url, proxy, note, is_demo, status, "
    "created_at, updated_at, last_tested_at, version"
)
BOUND = 2  # key_binding: the keys are bound to the connection's address (migration m006)
GONE = "This connection was deleted in another tab or window."


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
        version=row["version"],
    )


def _public_rows(
    db: Database, where: str | None = None, args: list[Any] | None = None
) -> Iterator[dict[str, Any]]:
    order = "name COLLATE NOCASE, id"
    return db.table(TABLE).rows_where(where, args, select=PUBLIC_COLUMNS, order_by=order)


# --- Reading -----------------------------------------------------------------------------------


def list_connections(db: Database) -> list[Connection]:
    """Every connection, ordered by name (case-insensitively)."""
    return [_to_connection(row) for row in _public_rows(db)]


def get_connection(db: Database, conn_id: int) -> Connection:
    """Raises NotFound when the connection was deleted."""
    row = next(iter(_public_rows(db, "id = ?", [conn_id])), None)
    if row is None:
        raise NotFound(GONE)
    return _to_connection(row)


def find_connection(db: Database, name: str) -> Connection:
    """The connection called `name` (or a name that looks the same); raises NotFound."""
    row = next(iter(_public_rows(db, "name_key = ?", [name_key(name)])), None)
    if row is None:
        raise NotFound("No connection has that name.")
    return _to_connection(row)


def load_credentials(db: Database, vault: Vault, conn_id: int) -> Credentials:
    """Decrypt a connection's keys just in time. Never cache the result.

    A damaged or missing secret raises CorruptedRecord naming the connection; a connection
    whose API base URL or proxy was edited outside BackFuture raises AddressChanged (its keys
    are bound to the address they were saved with).
    """
    bind_legacy_keys(db, vault)
    opened = _open_keys(vault, _secret_row(db, conn_id))
    return Credentials(opened["api_key"], opened["secret"], opened.get("passphrase"))


def _secret_row(db: Database, conn_id: int) -> dict[str, Any]:
    columns = "id, name, exchange, api_base_url, proxy, key_binding, " + ", ".join(
        SECRET_COLUMNS.values()
    )
    row = next(iter(db.table(TABLE).rows_where("id = ?", [conn_id], select=columns)), None)
    if row is None:
        raise NotFound(GONE)
    return row


def _open_keys(vault: Vault, row: dict[str, Any]) -> dict[str, Secret]:
    """The row's secrets, opened with the address the row names now (`address_binding`). The
    API Key and Secret Key must be there; the Passphrase only where one was saved."""
    address = address_binding(row["api_base_url"], row["proxy"])
    opened = {}
    for field, column in SECRET_COLUMNS.items():
        blob = row[column]
        if field == "passphrase" and blob is None:
            continue
        if row["key_binding"] >= BOUND and vault.is_legacy(blob):
            raise CorruptedRecord(
                f'The saved {field.replace("_", " ")} of "{row["name"]}" was replaced with an '
                "older copy; replace its keys."
            )
        opened[field] = open_secret(
            vault,
            blob,
            conn_id=row["id"],
            name=row["name"],
            field=field,
            exchange=row["exchange"],
            address=address,
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


def _based_on(db: Database, conn_id: int, version: int) -> Connection:
    """The row a change was based on, inside the change's transaction.

    Raises NotFound when it was deleted meanwhile and StaleEdit when it changed meanwhile
    (another tab saved first): the change then overwrites nothing.
    """
    conn = get_connection(db, conn_id)
    if conn.version != version:
        raise StaleEdit()
    return conn


def _change(db: Database, conn_id: int, version: int, columns: dict[str, Any]) -> None:
    """Write `columns` and the next version; the WHERE clause re-checks the version."""
    columns = {**columns, "updated_at": now_iso(), "version": version + 1}
    assignments = ", ".join(f"{column} = ?" for column in columns)
    cursor = db.execute(
        f"UPDATE {TABLE} SET {assignments} WHERE id = ? AND version = ?",  # noqa: S608
        [*columns.values(), conn_id, version],
    )
    if cursor.rowcount != 1:  # never expected inside BEGIN IMMEDIATE after _based_on
        raise StaleEdit()


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
        address = address_binding(clean["api_base_url"], clean["proxy"])
        keys = _encrypted(vault, conn_id, info.id, _keys_of(clean), address)
        table.update(conn_id, {**keys, "key_binding": BOUND})
        audit(db, "connection added", connection_id=conn_id, detail=info.name)
    return get_connection(db, conn_id)


def update_connection(
    db: Database,
    conn_id: int,
    *,
    version: int,
    name: str | None = None,
    market: str | None = None,
    api_base_url: str | None = None,
    proxy: str | None = None,
    note: str | None = None,
    vault: Vault | None = None,
) -> Connection:
    """Edit the non-secret fields the user changed (None: not changed, left as stored).

    `version` is the version the form showed. Raises ValidationError, NotFound (deleted
    meanwhile), StaleEdit (changed meanwhile); each leaves the row as it was. A new API base
    URL or proxy re-encrypts the keys bound to it, so `vault` is needed then (VaultLocked
    without it); keys that no longer open (their address was changed outside BackFuture) are
    left as they are: they open again if the edit restores that address.
    """
    given = {"name": name, "market": market, "api_base_url": api_base_url, "proxy": proxy}
    changes = {
        field: value for field, value in {**given, "note": note}.items() if value is not None
    }
    with write(db):
        conn = _based_on(db, conn_id, version)
        values = validate_edit(db, conn_id, example=get_exchange(conn.exchange).rest_url, **changes)
        if "name" in values:
            values["name_key"] = name_key(values["name"])
        if "market" in values:
            values["market"] = values["market"].value
        if not values:
            return conn
        address = address_binding(
            values.get("api_base_url", conn.api_base_url), values.get("proxy", conn.proxy)
        )
        if address != address_binding(conn.api_base_url, conn.proxy):
            if vault is None:
                raise VaultLocked("Unlock BackFuture to change where this connection's keys go.")
            rebound = _rebound(vault, _secret_row(db, conn_id), address)
            values.update(rebound or {})
        _change(db, conn_id, version, values)
        audit(db, "connection edited", connection_id=conn_id, detail=", ".join(sorted(changes)))
    return get_connection(db, conn_id)


def replace_keys(
    db: Database,
    vault: Vault,
    conn_id: int,
    *,
    version: int,
    api_key: str,
    secret: str,
    passphrase: str = "",
) -> Connection:
    """Store new keys for a connection; its status goes back to untested.

    `version` is the version the page showed; raises like `update_connection`.
    """
    with write(db):
        conn = _based_on(db, conn_id, version)
        info = get_exchange(conn.exchange)
        clean = validate_keys(info, api_key=api_key, secret=secret, passphrase=passphrase)
        address = address_binding(conn.api_base_url, conn.proxy)
        columns = {
            **_encrypted(vault, conn_id, conn.exchange, _keys_of(clean), address),
            "key_binding": BOUND,
        }
        _change(
            db,
            conn_id,
            version,
            {
                **columns,
                "key_hint": "…" + clean["api_key"][-4:],
                "key_fingerprint": vault.fingerprint(clean["api_key"]),
                "status": Status.UNTESTED.value,
            },
        )
        audit(db, "keys replaced", connection_id=conn_id)
    return get_connection(db, conn_id)


def delete_connection(db: Database, conn_id: int, *, version: int) -> None:
    """Delete a connection with its reports, snapshots and strategies.

    `version` is the version the page showed; raises NotFound or StaleEdit (nothing deleted).
    """
    with write(db):
        conn = _based_on(db, conn_id, version)
        db.execute(f"DELETE FROM {TABLE} WHERE id = ? AND version = ?", [conn_id, version])  # noqa: S608
        audit(db, "connection deleted", connection_id=conn_id, detail=conn.exchange)


def set_status(db: Database, conn_id: int, status: Status, tested_at: str) -> None:
    """Record a test's outcome (called inside the caller's `write`).

    Not a change of the connection: its version stays, so a test never makes a form stale.
    """
    db.execute(
        "UPDATE connections SET status = ?, last_tested_at = ? WHERE id = ?",
        [status.value, tested_at, conn_id],
    )
