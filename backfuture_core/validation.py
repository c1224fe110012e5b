"""The one collector of form problems, and the checks every form shares.

Connections, strategies and the command line clean their input here. Each check returns the
cleaned value or raises `ValidationError({label: message})`; `Problems` runs several checks and
raises one error listing every rejected field. Labels are the form's labels, so a page can show
each message beside its field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
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
        raise ValidationError(
            {label: f"The {what} is {len(text)} characters; use at most {max_len}."}
        )
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
    """An http(s) URL that signed requests may be sent to; None when empty.

    The shape: no credentials, query or fragment. The destination (`destination_problem`):
    https://, or http:// on this computer only; never a link-local or metadata address or a
    number written in a form that hides which address it is.
    """
    text = (value or "").strip()
    if not text:
        return None
    parts = urlsplit(text) if not any(ch.isspace() for ch in text) else None
    if parts is not None and parts.scheme in SOCKS_SCHEMES:
        raise ValidationError({label: SOCKS_REFUSED})
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
    if not ok or parts is None:
        raise ValidationError({label: f"Enter a full URL such as {example}."})
    problem = destination_problem(parts.scheme, parts.hostname or "")
    if problem:
        raise ValidationError({label: problem})
    return text.rstrip("/")


# --- Where signed requests may go ---------------------------------------------------------------

# ccxt would need aiohttp-socks (not installed) and a second session that the adapter's
# no-redirect wrapper does not cover: refused, with an https:// or loopback proxy as the way.
SOCKS_SCHEMES = frozenset({"socks4", "socks4a", "socks5", "socks5h"})
SOCKS_REFUSED = (
    "SOCKS addresses are not supported: use an https:// proxy, or an http:// proxy on this "
    "computer."
)
LOOPBACK_NAMES = frozenset({"localhost"})
# Cloud instance metadata services: they answer on this machine's network, never an exchange.
METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "instance-data", "100.100.100.200", "fd00:ec2::254"}
)
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


def host_address(host: str) -> IPv4Address | IPv6Address | None:
    """The IP address a host literal names (None for a host name); raises ValueError for a
    number in a non-canonical form (2130706433, 0x7f.1, 0177.0.0.1, 127.1, 127.0.0.1.)."""
    labels = host.split(".")
    if ":" in host:
        return ip_address(host.split("%", 1)[0])
    last = labels[-1] if labels[-1] or len(labels) == 1 else labels[-2]
    if not _NUMERIC_LABEL.fullmatch(last):
        return None  # a host name (its last label is not a number)
    address = IPv4Address(host)  # only the canonical dotted quad: ValueError otherwise
    if str(address) != host:
        raise ValueError(host)
    return address


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: this computer (the sandbox)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = host_address(host)
    except ValueError:
        return False
    return address is not None and address.is_loopback


def destination_problem(scheme: str, host: str) -> str | None:
    """Why signed requests must not go to `scheme`://`host`, or None when they may."""
    if not _HOST_NAME.fullmatch(host) and ":" not in host:
        return (
            f"The host name {host!r} has characters an exchange's address does not use; write "
            "it in plain letters, digits, dots and hyphens (its xn-- form for other scripts)."
        )
    try:
        address = host_address(host)
    except ValueError:
        return (
            f"{host} is a number in an unusual form (decimal, octal or hexadecimal) that hides "
            "which address it is: write four decimal numbers such as 127.0.0.1, or the host name."
        )
    if host in METADATA_HOSTS or (address is not None and str(address) in METADATA_HOSTS):
        return f"{host} is a cloud metadata address, not an exchange: keys are never sent there."
    if isinstance(address, IPv6Address) and (address.ipv4_mapped or address.sixtofour):
        return f"{host} hides an IPv4 address inside an IPv6 one: write the IPv4 address itself."
    if address is not None and address.is_link_local:
        return (
            f"{host} is a link-local address (169.254.x.x or fe80::, where cloud metadata "
            "services answer), not an exchange: keys are never sent there."
        )
    if (
        address is not None
        and not address.is_loopback
        and (address.is_unspecified or address.is_multicast or address.is_reserved)
    ):
        return f"{host} is not an address a server can have."
    if scheme == "http" and not is_loopback_host(host):
        return (
            f"Plain http:// would send the API Key unencrypted to {host}: use https:// "
            "(http:// is accepted only for this computer: localhost, 127.0.0.1, ::1)."
        )
    return None


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


def destination_note(
    exchange_name: str, api_base_url: str | None, proxy: str | None, *, demo: bool = False
) -> str:
    """One line for the form: where this connection's signed requests (with the API Key) go."""
    if demo and not api_base_url:
        return "This demo key is sent only to the built-in sandbox exchange on this computer."
    via = f", through the proxy {urlsplit(proxy).netloc}" if proxy else ""
    if not api_base_url:
        return f"The API Key is sent only to {exchange_name}'s own API address{via}."
    parts = urlsplit(api_base_url)
    return (
        f"The API Key and signed requests go to {parts.netloc} ({parts.scheme}){via}, "
        f"not to {exchange_name}'s own API address."
    )
