"""The one error classifier: any failure of an exchange call becomes one `ExchangeError`.

Order: a failure that never reached the exchange (DNS, refused connection, TLS, proxy: read
from the exception's cause chain) is `network_unreachable`; then the exchange's own error code
(an adapter supplies its table); then what the HTTP answer says (a 404, a redirect or a web
page is `wrong_address`, a 5xx `exchange_unavailable`); then the ccxt exception class
(reference/exchanges.md 0.4 lists the codes ccxt maps wrongly). An answer the adapter cannot
read (text instead of JSON, missing fields) is `wrong_address`.

Text from the exchange is untrusted: `sanitize` strips query strings (they carry signatures)
and HTML. Details are sentences naming the host and the HTTP status, never a raw ccxt string.
"""

from __future__ import annotations

import asyncio
import errno
import json
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.redact import redact_tokens

CodeLookup = Callable[[str, str], "str | None"]  # (code, message) -> category id or None

_QUERY = re.compile(r"(https?://[^\s?]+)\?\S*")
_HTML = re.compile(r"<(?:!doctype|html|head|body)\b.*", re.IGNORECASE | re.DOTALL)
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# ccxt's own message: "<id> <METHOD> <url>[ <status> <reason> <body>]"
_CCXT = re.compile(
    r"^\w+ (?:GET|POST|PUT|DELETE|PATCH|HEAD) (?P<url>\S+)(?: (?P<status>\d{3}) (?P<rest>.*))?$",
    re.DOTALL,
)
UNREADABLE = "The exchange sent a response BackFuture could not read."
# Statuses that mean "this is not the exchange's API" when no exchange code explains them.
_NOT_THE_API = frozenset({301, 302, 303, 307, 308, 404, 405, 410})
_UNREACHABLE_ERRNO = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED})


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


@dataclass(frozen=True)
class HttpAnswer:
    """What a ccxt message says about the request: where it went and the status, if any."""

    host: str
    status: int | None
    reason: str
    html: bool


def http_answer(message: str) -> HttpAnswer | None:
    found = _CCXT.match(message.strip())
    if found is None:
        return None
    host = urlsplit(found["url"]).netloc
    if found["status"] is None:
        return HttpAnswer(host, None, "", False)
    status = int(found["status"])
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return HttpAnswer(host, status, reason, bool(_HTML.search(found["rest"] or "")))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def transport_failure(exc: BaseException, host: str) -> tuple[str, str] | None:
    """(category, detail) when the request failed on the way: never reached, or no answer."""
    import aiohttp

    where = host or "the exchange"
    for cause in _chain(exc):
        if isinstance(cause, (aiohttp.ClientConnectorDNSError, socket.gaierror)):
            return "network_unreachable", f"The name {where} could not be resolved (DNS)."
        if isinstance(cause, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
            return "network_unreachable", f"The proxy did not connect this computer to {where}."
        if isinstance(cause, (aiohttp.ClientSSLError, ssl.SSLError)):
            return "network_unreachable", f"The secure (TLS) connection to {where} failed."
        refused = getattr(cause, "os_error", cause)
        if isinstance(refused, ConnectionRefusedError):
            return "network_unreachable", f"{where} refused the connection."
        if isinstance(cause, aiohttp.ClientConnectorError) or (
            isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNO
        ):
            return "network_unreachable", f"{where} could not be reached (no route)."
        if isinstance(cause, aiohttp.TooManyRedirects):
            return "wrong_address", f"{where} answered with a redirect, not with the API."
        if isinstance(cause, (asyncio.TimeoutError, TimeoutError)):
            return "exchange_unavailable", f"{where} did not answer in time."
    return None


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
        ((TypeError, KeyError, ValueError), "wrong_address"),  # an answer of the wrong shape
    )
    for classes, category in ordered:
        if isinstance(exc, classes):
            return category
    return "unknown"


def _status_category(answer: HttpAnswer, category: str) -> str:
    """Refine the class fallback with the HTTP answer: not the API, or the API unavailable."""
    status = answer.status
    if status is None or category != "exchange_unavailable":
        return category
    if status in _NOT_THE_API or (answer.html and status < 500 and status not in (403, 429)):
        return "wrong_address"
    return "exchange_unavailable" if status >= 500 else category


def _http_detail(answer: HttpAnswer, category: str, exchange: str) -> str:
    where = answer.host or exchange
    said = f"{where} answered HTTP {answer.status}" + (
        f" ({answer.reason})" if answer.reason else ""
    )
    if category == "wrong_address":
        return f"{said}: that is not {exchange}'s API."
    return f"{said}."


def classify(
    exc: BaseException,
    *,
    exchange: str,
    codes: CodeLookup,
    host: str = "",
    redact: Callable[[str], str] = redact_tokens,
) -> ExchangeError:
    """`exc` as an ExchangeError of `exchange` (its display name); `codes` reads its error
    codes; `host` is where the connection's requests go (for the detail).

    The detail is untrusted text: `redact` (the adapter's, with the connection's secrets)
    runs on it before anything else sees it. An ExchangeError passes through unchanged.
    """
    if isinstance(exc, ExchangeError):
        return exc
    text = str(exc)
    answer = http_answer(text)
    where = (answer.host if answer else "") or host
    failed = transport_failure(exc, where)
    if failed is not None:
        return ExchangeError(failed[0], failed[1], exchange=exchange)
    code, message = parse_error_body(text)
    category = codes(code, message) if code else None
    detail = sanitize(message) if code else ""
    if code and not detail:
        detail = f"{exchange} answered with code {sanitize(code, 40)}."
    if category is None:
        category = class_category(exc)
        if answer is not None and answer.status is not None:
            category = _status_category(answer, category)
            detail = detail or _http_detail(answer, category, exchange)
        elif answer is not None:
            detail = f"The request to {where or exchange} failed."
    if isinstance(exc, (TypeError, KeyError, ValueError)) and not detail:
        detail = UNREADABLE if not where else f"{UNREADABLE[:-1]} from {where}."
    reported_ip = None
    if category == "ip_not_allowed":
        found = _IPV4.search(message or text)
        reported_ip = found.group(0) if found else None
    detail = redact(detail or _plain(text))  # untrusted: redacted before anything sees it
    return ExchangeError(category, detail, exchange=exchange, code=code, reported_ip=reported_ip)


def _plain(text: str) -> str:
    """ccxt's text without its "<exchange id> " prefix, sanitised."""
    return sanitize(re.sub(r"^[a-z0-9]+ (?=[{\[])", "", text.strip()))
