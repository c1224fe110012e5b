"""Transport-neutral request and reply types shared by the server and the exchange modules.

The exchange modules are plain synchronous functions of a :class:`Request`; only the server
knows about aiohttp, sockets, threads and injected faults.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from backfuture_core.sandbox.world import DemoKey

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
HTML_503 = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
HTML_504 = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Request:
    """One HTTP request as an exchange module sees it (the URL prefix already removed)."""

    method: str
    path: str  # e.g. "/api/v3/account"
    raw_query: str  # exactly as received, still percent-encoded
    query: Mapping[str, str]  # decoded; the last value wins for repeated names
    headers: Mapping[str, str]  # case-insensitive
    body: str
    remote: str  # the socket peer's IP
    now_ms: int  # the server's clock, including an injected skew


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data, separators=(",", ":")), headers=headers or {})


def html_reply(status: int, html: str) -> Reply:
    return Reply(status, html, content_type="text/html")


KeyLookup = Callable[[str], DemoKey | None]


class ExchangeApi(Protocol):
    """What the server needs from an exchange module."""

    name: str

    def handle(self, req: Request) -> Reply: ...

    def api_key_of(self, req: Request) -> str | None: ...

    def rate_limited(self, req: Request, retry_after: int) -> Reply: ...

    def maintenance(self, req: Request) -> Reply: ...

    def server_error(self, req: Request, status: int, html: bool) -> Reply: ...
