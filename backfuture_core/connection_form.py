"""The connection forms' rules: what the add, edit and replace-keys forms accept.

Each function checks every field and raises one `ValidationError` listing each rejected field
(through `validation.Problems`), keyed by the form's own labels so a page can show each message
beside its field. Nothing here writes; `storage.connections` stores what these return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from backfuture_core.errors import ValidationError
from backfuture_core.exchanges.registry import ExchangeInfo, get_exchange
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

NOTE_MAX = 500
KEY_FIELDS = (("api_key", "API Key"), ("secret", "Secret Key"), ("passphrase", "Passphrase"))
SETTINGS: dict[str, tuple[Callable[..., Any], str, dict[str, Any]]] = {
    "api_base_url": (clean_url, "API base URL", {"example": BASE_URL_EXAMPLE}),
    "proxy": (clean_url, "Proxy", {"example": PROXY_EXAMPLE}),
    "note": (clean_text, "Note", {"max_len": NOTE_MAX}),
}


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
    """A valid name that no other connection uses (`name_key`: names that look the same, in any
    case or alphabet, clash)."""
    text = clean_name("Connection name", "connection name", name)
    clashes = db.table("connections").count_where(
        "name_key = ? AND id IS NOT ?", [name_key(text), ignore_id]
    )
    if clashes:
        raise ValidationError(
            {
                "Connection name": "A connection with this name, or one that looks the same, "
                "already exists (names are not case-sensitive). Choose another name."
            }
        )
    return text


def _check_keys(fields: Problems, keys: dict[str, str]) -> None:
    for field, label in KEY_FIELDS:
        fields.attempt(field, clean_key, label, keys.get(field, ""))


def _require_keys(fields: Problems, info: ExchangeInfo | None, passphrase_reason: str) -> None:
    """Both keys are required; the passphrase only where the exchange needs one (else dropped)."""
    cleaned = fields.cleaned
    if "api_key" in cleaned and not cleaned["api_key"]:
        fields.add("API Key", "Enter the API Key.")
    if "secret" in cleaned and not cleaned["secret"]:
        fields.add("Secret Key", "Enter the Secret Key.")
    if info is None:
        return
    if info.requires_passphrase:
        if "passphrase" in cleaned and not cleaned["passphrase"]:
            fields.add("Passphrase", f"Enter the Passphrase: {info.name} {passphrase_reason}.")
    else:
        cleaned["passphrase"] = ""


def validate_form(db: Database, form: ConnectionForm) -> dict[str, Any]:
    """Check every field of the add form; raise one ValidationError listing each rejected field.

    Returns the cleaned values: `exchange` as its `ExchangeInfo`, `market` as a `Market`.
    """
    fields = Problems()
    fields.attempt("exchange", get_exchange, form.exchange)
    fields.attempt("name", clean_connection_name, db, form.name)
    keys = {"api_key": form.api_key, "secret": form.secret, "passphrase": form.passphrase}
    _check_keys(fields, keys)
    fields.attempt("market", clean_market, form.market)
    info = fields.cleaned.get("exchange")
    _check_settings(
        fields,
        example=info.rest_url if info else BASE_URL_EXAMPLE,
        api_base_url=form.api_base_url,
        proxy=form.proxy,
        note=form.note,
    )
    _require_keys(
        fields, fields.cleaned.get("exchange"), "requires the one set when the API key was created"
    )
    fields.raise_if_any()
    return fields.cleaned


def validate_edit(
    db: Database, conn_id: int, *, example: str = BASE_URL_EXAMPLE, **changes: str
) -> dict[str, Any]:
    """Check the fields of the edit form that changed (any of name, market, api_base_url,
    proxy, note, non-secret fields of connection `conn_id`); returns only those, cleaned."""
    fields = Problems()
    if "name" in changes:
        fields.attempt("name", clean_connection_name, db, changes["name"], ignore_id=conn_id)
    if "market" in changes:
        fields.attempt("market", clean_market, changes["market"])
    settings = {k: v for k, v in changes.items() if k in SETTINGS}
    _check_settings(fields, example=example, **settings)
    fields.raise_if_any()
    return fields.cleaned


def validate_keys(
    info: ExchangeInfo, *, api_key: str, secret: str, passphrase: str
) -> dict[str, Any]:
    """Check the replace-keys form for a connection on exchange `info`."""
    fields = Problems()
    _check_keys(fields, {"api_key": api_key, "secret": secret, "passphrase": passphrase})
    _require_keys(fields, info, "requires it")
    fields.raise_if_any()
    return fields.cleaned


def _check_settings(fields: Problems, *, example: str, **settings: str) -> None:
    """Check the advanced settings given (api_base_url, proxy, note); `example` is the
    exchange's own REST address, shown in the API base URL's message."""
    for field, value in settings.items():
        check, label, options = SETTINGS[field]
        options = {**options, "example": example} if field == "api_base_url" else options
        fields.attempt(field, check, label, value, **options)
