"""Connections: validation of the add/edit forms, encrypted storage, and credential loading.

Field labels used in validation messages are exactly the form's labels, so a page can show each
message beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from backfuture_core.errors import NotFound, ValidationError
from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.models import Connection, Credentials, Market, Status
from backfuture_core.store import audit, now_iso, write
from backfuture_core.validation import (
    BASE_URL_EXAMPLE,
    PROXY_EXAMPLE,
    Problems,
    clean_key,
    clean_market,
    clean_name,
    clean_text,
    clean_url,
    name_key,
)
from backfuture_core.vault import Vault

NOTE_MAX = 500
SECRET_COLUMNS = {"api_key": "api_key_enc", "secret": "secret_enc", "passphrase": "passphrase_enc"}


@dataclass(frozen=True)
class ConnectionForm:
    """Raw text from the add form; secrets arrive here once and are encrypted at once."""

    exchange: str
    name: str
    api_key: str
    secret: str
    passphrase: str = ""
    market: str = "spot"
    api_base_url: str = ""
    proxy: str = ""
    note: str = ""

    def __repr__(self) -> str:
        return f"ConnectionForm(exchange={self.exchange!r}, name={self.name!r}, keys=***)"


def clean_connection_name(db: Database, name: str, *, ignore_id: int | None = None) -> str:
    text = clean_name("Connection name", "connection name", name)
    clash = db.execute(
        "SELECT id FROM connections WHERE name_key = ? AND id IS NOT ?",
        [name_key(text), ignore_id],
    ).fetchone()
    if clash:
        raise ValidationError(
            {
                "Connection name": "A connection with this name already exists (names are not "
                "case-sensitive). Choose another name."
            }
        )
    return text


def validate_form(db: Database, form: ConnectionForm) -> dict:
    """Check every field; raise one ValidationError listing each rejected field."""
    fields = Problems()
    problems, cleaned, attempt = fields.problems, fields.cleaned, fields.attempt
    attempt("exchange", get_exchange, form.exchange)
    attempt("name", clean_connection_name, db, form.name)
    attempt("api_key", clean_key, "API Key", form.api_key)
    attempt("secret", clean_key, "Secret Key", form.secret)
    attempt("passphrase", clean_key, "Passphrase", form.passphrase)
    attempt("market", clean_market, form.market)
    attempt("api_base_url", clean_url, "API base URL", form.api_base_url, example=BASE_URL_EXAMPLE)
    attempt("proxy", clean_url, "Proxy", form.proxy, example=PROXY_EXAMPLE)
    attempt("note", clean_text, "Note", form.note, max_len=NOTE_MAX)
    if "api_key" in cleaned and not cleaned["api_key"]:
        problems["API Key"] = "Enter the API Key."
    if "secret" in cleaned and not cleaned["secret"]:
        problems["Secret Key"] = "Enter the Secret Key."
    info = cleaned.get("exchange")
    if info is not None:
        if info.requires_passphrase and "passphrase" in cleaned and not cleaned["passphrase"]:
            problems["Passphrase"] = (
                f"Enter the Passphrase: {info.name} requires the one set when the API key was "
                "created."
            )
        if not info.requires_passphrase:
            cleaned["passphrase"] = ""
    fields.raise_if_any()
    return cleaned


def _encrypt_fields(
    db: Database, vault: Vault, conn_id: int, exchange: str, values: dict[str, str]
) -> None:
    for field, value in values.items():
        blob = (
            vault.encrypt(value, conn_id=conn_id, field=field, exchange=exchange) if value else None
        )
        db.execute(
            f"UPDATE connections SET {SECRET_COLUMNS[field]} = ? WHERE id = ?",  # noqa: S608 - fixed column names
            [blob, conn_id],
        )


def add_connection(
    db: Database, vault: Vault, form: ConnectionForm, *, is_demo: bool = False
) -> Connection:
    """Validate, encrypt and store a new connection in one transaction.

    Raises ValidationError (nothing stored) for any bad field.
    """
    with write(db):
        clean = validate_form(db, form)
        info, now = clean["exchange"], now_iso()
        cursor = db.execute(
            "INSERT INTO connections (name, name_key, exchange, market, key_hint, api_base_url, "
            "proxy, note, is_demo, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'untested', ?, ?)",
            [
                clean["name"],
                name_key(clean["name"]),
                info.id,
                clean["market"].value,
                "…" + clean["api_key"][-4:],
                clean["api_base_url"],
                clean["proxy"],
                clean["note"],
                int(is_demo),
                now,
                now,
            ],
        )
        conn_id = cursor.lastrowid
        _encrypt_fields(
            db,
            vault,
            conn_id,
            info.id,
            {
                "api_key": clean["api_key"],
                "secret": clean["secret"],
                "passphrase": clean["passphrase"],
            },
        )
        audit(db, "connection added", connection_id=conn_id, detail=info.name)
    return get_connection(db, conn_id)


def _row_to_connection(row: dict) -> Connection:
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


_PUBLIC_COLUMNS = (
    "id, name, exchange, market, key_hint, api_base_url, proxy, note, is_demo, status, "
    "created_at, updated_at, last_tested_at"
)


def list_connections(db: Database) -> list[Connection]:
    rows = db.query(f"SELECT {_PUBLIC_COLUMNS} FROM connections ORDER BY name_key")  # noqa: S608
    return [_row_to_connection(row) for row in rows]


def get_connection(db: Database, conn_id: int) -> Connection:
    row = next(
        iter(db.query(f"SELECT {_PUBLIC_COLUMNS} FROM connections WHERE id = ?", [conn_id])),  # noqa: S608
        None,
    )
    if row is None:
        raise NotFound("This connection no longer exists.")
    return _row_to_connection(row)


def find_connection(db: Database, name: str) -> Connection:
    row = db.execute("SELECT id FROM connections WHERE name_key = ?", [name_key(name)]).fetchone()
    if row is None:
        raise NotFound("No connection has that name.")
    return get_connection(db, row[0])


def load_credentials(db: Database, vault: Vault, conn_id: int) -> Credentials:
    """Decrypt a connection's keys just in time. Never cache the result."""
    row = next(
        iter(
            db.query(
                "SELECT exchange, api_key_enc, secret_enc, passphrase_enc FROM connections "
                "WHERE id = ?",
                [conn_id],
            )
        ),
        None,
    )
    if row is None:
        raise NotFound("This connection no longer exists.")

    def open_field(field: str):
        blob = row[SECRET_COLUMNS[field]]
        if blob is None:
            return None
        return vault.decrypt(blob, conn_id=conn_id, field=field, exchange=row["exchange"])

    return Credentials(open_field("api_key"), open_field("secret"), open_field("passphrase"))


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
        fields = Problems()
        fields.attempt("name", clean_connection_name, db, name, ignore_id=conn_id)
        fields.attempt("market", clean_market, market)
        fields.attempt("api_base_url", clean_url, "API base URL", api_base_url,
                       example=BASE_URL_EXAMPLE)  # fmt: skip
        fields.attempt("proxy", clean_url, "Proxy", proxy, example=PROXY_EXAMPLE)
        fields.attempt("note", clean_text, "Note", note, max_len=NOTE_MAX)
        fields.raise_if_any()
        values = fields.cleaned
        db.execute(
            "UPDATE connections SET name = ?, name_key = ?, market = ?, api_base_url = ?, "
            "proxy = ?, note = ?, updated_at = ? WHERE id = ?",
            [
                values["name"],
                name_key(values["name"]),
                values["market"].value,
                values["api_base_url"],
                values["proxy"],
                values["note"],
                now_iso(),
                conn_id,
            ],
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
        fields = Problems()
        for field, label, value in (
            ("api_key", "API Key", api_key),
            ("secret", "Secret Key", secret),
            ("passphrase", "Passphrase", passphrase),
        ):
            fields.attempt(field, clean_key, label, value)
        problems, clean = fields.problems, fields.cleaned
        if not clean.get("api_key") and "API Key" not in problems:
            problems["API Key"] = "Enter the API Key."
        if not clean.get("secret") and "Secret Key" not in problems:
            problems["Secret Key"] = "Enter the Secret Key."
        if (
            info.requires_passphrase
            and not clean.get("passphrase")
            and "Passphrase" not in problems
        ):
            problems["Passphrase"] = f"Enter the Passphrase: {info.name} requires it."
        fields.raise_if_any()
        if not info.requires_passphrase:
            clean["passphrase"] = ""
        _encrypt_fields(db, vault, conn_id, conn.exchange, clean)
        db.execute(
            "UPDATE connections SET key_hint = ?, status = 'untested', updated_at = ? WHERE id = ?",
            ["…" + clean["api_key"][-4:], now_iso(), conn_id],
        )
        audit(db, "keys replaced", connection_id=conn_id)
    return get_connection(db, conn_id)


def delete_connection(db: Database, conn_id: int) -> None:
    """Delete a connection with its reports, snapshots and strategies."""
    with write(db):
        conn = get_connection(db, conn_id)
        db.execute("DELETE FROM connections WHERE id = ?", [conn_id])
        audit(db, "connection deleted", connection_id=conn_id, detail=conn.exchange)


def set_status(db: Database, conn_id: int, status: Status, tested_at: str) -> None:
    db.execute(
        "UPDATE connections SET status = ?, last_tested_at = ? WHERE id = ?",
        [status.value, tested_at, conn_id],
    )
