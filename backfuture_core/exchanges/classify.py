"""The one error classifier: any failure of an exchange call becomes one `ExchangeError`.

The exchange's own error code decides first (an adapter supplies its table), then the ccxt
exception class (reference/exchanges.md 0.4 lists the codes ccxt maps wrongly). Text from the
exchange is untrusted: `sanitize` strips query strings (they carry signatures) and HTML.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.redact import redact_tokens

CodeLookup = Callable[[str, str], "str | None"]  # (code, message) -> category id or None

_QUERY = re.compile(r"(https?://[^\s?]+)\?\S*")
_HTML = re.compile(r"<(?:!doctype|html|head|body)\b.*", re.IGNORECASE | re.DOTALL)
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
UNREADABLE = "The exchange sent a response BackFuture could not read."


def sanitize(text: str, limit: int = 300) -> str:
    """Exchange text made safe to show: no query strings (they carry signatures), bounded."""
    text = _HTML.sub("", _QUERY.sub(r"\1", str(text))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_error_body(message: str) -> tuple[str | None, str]:
    """ccxt formats exchange errors as '<id> <raw body>': recover the body's code and message."""
    start = message.find("{")
    if start < 0:
        return None, message
    try:
        body = json.loads(message[start:])
    except ValueError:
        return None, message
    if not isinstance(body, dict):
        return None, message
    code = body.get("code")
    text = body.get("msg") or body.get("message") or ""
    return (None if code is None else str(code)), str(text)


def class_category(exc: BaseException) -> str:
    """The fallback classification on the ccxt exception class (reference/exchanges.md 0.4)."""
    import ccxt

    ordered: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        (ccxt.InvalidNonce, "clock_skew"),
        ((ccxt.RateLimitExceeded, ccxt.DDoSProtection), "rate_limited"),
        (ccxt.AccountSuspended, "account_frozen"),
        (ccxt.PermissionDenied, "no_permission"),
        (ccxt.AuthenticationError, "invalid_key"),
        ((ccxt.NetworkError, ccxt.OperationFailed), "exchange_unavailable"),
        ((asyncio.TimeoutError, ConnectionError), "exchange_unavailable"),
    )
    for classes, category in ordered:
        if isinstance(exc, classes):
            return category
    return "unknown"


def classify(
    exc: BaseException,
    *,
    exchange: str,
    codes: CodeLookup,
    redact: Callable[[str], str] = redact_tokens,
) -> ExchangeError:
    """`exc` as an ExchangeError of `exchange` (its display name); `codes` reads its error codes.

    The detail is untrusted text: `redact` (the adapter's, with the connection's secrets)
    runs on it before anything else sees it.

    An ExchangeError passes through unchanged.
    """
    if isinstance(exc, ExchangeError):
        return exc
    text = str(exc)
    code, message = parse_error_body(text)
    category = codes(code, message) if code else None
    if category is None:
        category = class_category(exc)
    if category == "unknown" and isinstance(exc, (TypeError, KeyError, ValueError)):
        message = UNREADABLE
    reported_ip = None
    if category == "ip_not_allowed":
        found = _IPV4.search(message or text)
        reported_ip = found.group(0) if found else None
    detail = sanitize(redact(message or text))  # untrusted: redacted before anything sees it
    return ExchangeError(category, detail, exchange=exchange, code=code, reported_ip=reported_ip)
