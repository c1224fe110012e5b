"""Transport-neutral requests and replies, and the sandbox's one error mechanism.

A dialect is plain synchronous code over a :class:`Request`: it returns a :class:`Reply`, or
raises :class:`ApiError` carrying the exchange's error status and body, which the server turns
into the HTTP reply. Each dialect names its own error bodies in an :class:`ErrorTable`. Only the
server knows about aiohttp, sockets, threads and injected faults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

NGINX_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def parse_int(text: str | None) -> int | None:
    """A whole number sent as text; None when absent, empty or not a number."""
    try:
        return int(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Request:
    """One HTTP request as a dialect sees it (the URL prefix already removed)."""

    method: str
    path: str  # e.g. "/api/v3/account"
    raw_query: str  # exactly as received, still percent-encoded
    query: Mapping[str, str]  # decoded; the last value wins for repeated names
    headers: Mapping[str, str]  # case-insensitive
    body: str
    remote: str  # the socket peer's IP
    now_ms: int  # the server's clock, including an injected skew

    def int_param(self, name: str) -> int | None:
        """A whole-number query parameter; None when absent, empty or not a number."""
        return parse_int(self.query.get(name))

    def limit(self, name: str, default: int, low: int, high: int) -> int:
        """A row-count parameter: `default` when absent, clamped to [low, high]."""
        return min(max(self.int_param(name) or default, low), high)


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data, separators=(",", ":")), headers=dict(headers or {}))


def nginx_reply(status: int, page: int) -> Reply:
    """The HTML page a gateway in front of the exchange answers (`page` picks the title)."""
    title = NGINX_TITLES[page]
    html = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Reply(status, html, content_type="text/html")


class ApiError(Exception):
    """An exchange's error answer, raised by a dialect and served by the server as is."""

    def __init__(
        self, status: int, body: Mapping[str, object], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        return json_reply(self.body, self.status, self.headers)


class ErrorTable:
    """One dialect's own error bodies by name: ``raise ERRORS("bad_param", name="type")``.

    Text values of a body may hold ``{field}`` placeholders, filled from the keywords.
    """

    def __init__(self, bodies: Mapping[str, tuple[int, Mapping[str, object]]]) -> None:
        self._bodies = dict(bodies)

    def __contains__(self, kind: object) -> bool:
        return kind in self._bodies

    def __call__(self, kind: str, /, **fields: object) -> ApiError:
        status, body = self._bodies[kind]
        filled = {k: v.format(**fields) if isinstance(v, str) else v for k, v in body.items()}
        return ApiError(status, filled)
