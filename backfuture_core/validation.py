"""The one collector of form problems, and the checks every form shares.

Connections, strategies and the command line clean their input here. Each check returns the
cleaned value or raises `ValidationError({label: message})`; `Problems` runs several checks and
raises one error listing every rejected field. Labels are the form's labels, so a page can show
each message beside its field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from backfuture_core.errors import ValidationError
from backfuture_core.lookalikes import skeleton
from backfuture_core.models import Market

T = TypeVar("T")

NAME_MAX = 64
MARKS_PER_CHARACTER = 2  # combining marks on one character: Vietnamese needs two
KEY_LIMITS = {"API Key": (8, 256), "Secret Key": (8, 4096), "Passphrase": (1, 128)}
BASE_URL_EXAMPLE, PROXY_EXAMPLE = "https://api.mexc.com", "http://127.0.0.1:8080"


class Problems:
    """Collects cleaned values and problems so that one ValidationError lists every field."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}
        self.cleaned: dict[str, Any] = {}

    def attempt(self, key: str, check: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            self.cleaned[key] = check(*args, **kwargs)
        except ValidationError as exc:
            self.add_all(exc.problems)

    def add(self, label: str, message: str) -> None:
        """Record a problem; a second one for the same field is appended to the first."""
        self.problems[label] = (
            f"{self.problems[label]} {message}" if label in self.problems else message
        )

    def add_all(self, problems: dict[str, str]) -> None:
        for label, message in problems.items():
            self.add(label, message)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationError(dict(self.problems))


def problems_text(exc: ValidationError, labels: dict[str, str] | None = None) -> str:
    """One line for a terminal: 'label: message' per field, labels renamed by `labels`."""
    labels = labels or {}
    return " ".join(f"{labels.get(label, label)}: {text}" for label, text in exc.problems.items())


def has_invisible(text: str) -> bool:
    """Unicode category C*: control, format (zero-width, bidi), private use, unassigned."""
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def name_key(name: str) -> str:
    """What two names are compared by, so that names that look the same clash.

    NFKC (full-width "Ｍain" is "Main"), case folding, then upper case and the TR39 confusable
    skeleton (a Cyrillic "Мain" is "Main"). Upper case before the skeleton keeps the key exactly
    case-insensitive: the skeleton table maps some letters of one case only (Cyrillic "м" looks
    like a small capital, its capital "М" like "M"). Connections and strategies share this key.
    """
    folded = unicodedata.normalize("NFKC", name).strip().casefold()
    return skeleton(folded.upper())


def too_many_marks(text: str, limit: int = MARKS_PER_CHARACTER) -> bool:
    """True when a character carries more than `limit` combining marks (a "Z̷̛̝̊..." pile)."""
    run = 0
    for ch in unicodedata.normalize("NFD", text):
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        if run > limit:
            return True
    return False


def clean_name(label: str, what: str, name: str, *, max_len: int = NAME_MAX) -> str:
    """A display name (connection, strategy): trimmed, NFC, 1-`max_len` plain characters, at
    most `MARKS_PER_CHARACTER` accents on a letter.

    `what` is how the message names it ("connection name"); uniqueness is the caller's, by
    `name_key`.
    """
    text = unicodedata.normalize("NFC", name or "").strip()
    if not text:
        raise ValidationError({label: f"Enter a {what}."})
    if len(text) > max_len:
        raise ValidationError({label: f"Use at most {max_len} characters for the {what}."})
    if has_invisible(text):
        raise ValidationError(
            {label: f"The {what} contains control or invisible characters; type it again."}
        )
    if too_many_marks(text):
        raise ValidationError(
            {
                label: f"The {what} stacks too many accents on one letter (at most "
                f"{MARKS_PER_CHARACTER}); type it again."
            }
        )
    return text


def clean_key(label: str, value: str) -> str:
    """An API Key, Secret Key or Passphrase as pasted; "" when empty (the caller decides)."""
    text = (value or "").strip()
    low, high = KEY_LIMITS[label]
    if not text:
        return ""
    if any(ch.isspace() for ch in text):
        raise ValidationError({label: f"The {label} must not contain spaces or line breaks."})
    if has_invisible(text):
        raise ValidationError({label: f"The {label} contains control or invisible characters."})
    if len(text) < low:
        raise ValidationError({label: f"The {label} looks too short; copy it again."})
    if len(text) > high:
        raise ValidationError(
            {label: f"The {label} is too long (at most {high} characters); copy it again."}
        )
    return text


def clean_url(label: str, value: str, *, example: str) -> str | None:
    """An http(s) URL without credentials, query or fragment; None when empty."""
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
        and not has_invisible(text)
        and len(text) <= 2048
    )
    if ok and parts is not None:
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            ok = False
    if not ok:
        raise ValidationError({label: f"Enter a full URL such as {example}."})
    return text.rstrip("/")


def clean_market(value: str) -> Market:
    try:
        return Market(value)
    except ValueError:
        raise ValidationError({"Market": "Choose Spot, Futures or Spot and futures."}) from None


def clean_text(label: str, value: str, *, max_len: int) -> str:
    """Free text such as a note: plain characters and line breaks, at most `max_len`."""
    text = (value or "").strip()
    if len(text) > max_len or has_invisible(text.replace("\n", "")):
        raise ValidationError(
            {label: f"Keep the {label.lower()} under {max_len} characters of plain text."}
        )
    return text
