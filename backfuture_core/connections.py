"""Connections: validation of the add/edit forms, encrypted storage, and credential loading.

Field labels used in validation messages are exactly the form's labels, so a page can show each
message beside its field.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlite_utils import Database

from backfuture_core.errors import NotFound, ValidationError
from backfuture_core.exchanges import get_exchange
from backfuture_core.models import Connection, Credentials, Market, Status
from backfuture_core.store import audit, now_iso, write
from backfuture_core.vault import Vault

NAME_MAX = 64
NOTE_MAX = 500
KEY_LIMITS = {"API Key": (8, 256), "Secret Key": (8, 4096), "Passphrase": (1, 128)}
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


def _has_invisible(text: str) -> bool:
    # Unicode category C*: control, format (zero-width, bidi), private use, unassigned.
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def clean_name(db: Database, name: str, *, ignore_id: int | None = None) -> str:
    text = unicodedata.normalize("NFC", name or "").strip()
    if not text:
        raise ValidationError({"Connection name": "Enter a connection name."})
    if len(text) > NAME_MAX:
        raise ValidationError(
            {"Connection name": f"Use at most {NAME_MAX} characters for the connection name."}
        )
    if _has_invisible(text):
        raise ValidationError(
            {
                "Connection name": "The connection name contains control or invisible "
                "characters; type it again."
            }
        )
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


def _clean_key(label: str, value: str) -> str:
    text = (value or "").strip()
    low, high = KEY_LIMITS[label]
    if not text:
        return ""
    if any(ch.isspace() for ch in text):
        raise ValidationError({label: f"The {label} must not contain spaces or line breaks."})
    if _has_invisible(text):
        raise ValidationError({label: f"The {label} contains control or invisible characters."})
    if len(text) < low:
        raise ValidationError({label: f"The {label} looks too short; copy it again."})
    if len(text) > high:
        raise ValidationError(
            {label: f"The {label} is too long (at most {high} characters); copy it again."}
        )
    return text


def _clean_url(label: str, value: str, *, example: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    parts = urlsplit(text) if not any(ch.isspace() for ch in text) else None
    ok = (
        parts is not None
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.username
        and not parts.password
        and not parts.query
        and not parts.fragment
        and not _has_invisible(text)
        and len(text) <= 2048
    )
    if ok:
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            ok = False
    if not ok:
        raise ValidationError({label: f"Enter a full URL such as {example}."})
    return text.rstrip("/")


def _clean_market(value: str) -> Market:
    try:
        return Market(value)
    except ValueError:
        raise ValidationError({"Market": "Choose Spot, Futures or Spot and futures."}) from None


class _Fields:
    """Collects cleaned values and problems so one ValidationError can list every field."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}
        self.cleaned: dict = {}

    def attempt(self, key: str, fn, *args, **kwargs) -> None:
        try:
            self.cleaned[key] = fn(*args, **kwargs)
        except ValidationError as exc:
            self.problems.update(exc.problems)

    def raise_problems(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)


BASE_URL_EXAMPLE, PROXY_EXAMPLE = "https://api.mexc.com", "http://127.0.0.1:8080"


def _clean_note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > NOTE_MAX or _has_invisible(text.replace("\n", "")):
        raise ValidationError({"Note": f"Keep the note under {NOTE_MAX} characters of plain text."})
    return text


def validate_form(db: Database, form: ConnectionForm) -> dict:
    """Check every field; raise one ValidationError listing each rejected field."""
    fields = _Fields()
    problems, cleaned, attempt = fields.problems, fields.cleaned, fields.attempt
    attempt("exchange", get_exchange, form.exchange)
    attempt("name", clean_name, db, form.name)
    attempt("api_key", _clean_key, "API Key", form.api_key)
    attempt("secret", _clean_key, "Secret Key", form.secret)
    attempt("passphrase", _clean_key, "Passphrase", form.passphrase)
    attempt("market", _clean_market, form.market)
    attempt("api_base_url", _clean_url, "API base URL", form.api_base_url, example=BASE_URL_EXAMPLE)
    attempt("proxy", _clean_url, "Proxy", form.proxy, example=PROXY_EXAMPLE)
    attempt("note", _clean_note, form.note)
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
    fields.raise_problems()
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
        fields = _Fields()
        fields.attempt("name", clean_name, db, name, ignore_id=conn_id)
        fields.attempt("market", _clean_market, market)
        fields.attempt("api_base_url", _clean_url, "API base URL", api_base_url,
                       example=BASE_URL_EXAMPLE)  # fmt: skip
        fields.attempt("proxy", _clean_url, "Proxy", proxy, example=PROXY_EXAMPLE)
        fields.attempt("note", _clean_note, note)
        fields.raise_problems()
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
        problems: dict[str, str] = {}
        clean: dict[str, str] = {}
        for field, label, value in (
            ("api_key", "API Key", api_key),
            ("secret", "Secret Key", secret),
            ("passphrase", "Passphrase", passphrase),
        ):
            try:
                clean[field] = _clean_key(label, value)
            except ValidationError as exc:
                problems.update(exc.problems)
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
        if problems:
            raise ValidationError(problems)
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
