"""Signed requests never follow redirects: the session wrapper that turns them off.

aiohttp follows a redirect by default, resending the request with its headers (the API key,
the signature) to wherever `Location` points. ccxt opens its session lazily before each
request and offers no switch, so `forbid_redirects` wraps whatever session it opens; the
adapter then reports a 3xx answer as `wrong_address` (base.py).
"""

from __future__ import annotations

import functools
from typing import Any

VERBS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "request"})


class NoRedirectSession:
    """An aiohttp session whose every request is made with `allow_redirects=False`."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.session, name)
        if name in VERBS:
            return functools.partial(attribute, allow_redirects=False)
        return attribute


def forbid_redirects(client: Any) -> None:
    """Make the ccxt async `client` open only sessions that never follow a redirect."""
    open_session = client.open

    def open_without_redirects(lazy: bool = False) -> None:
        open_session(lazy)
        if client.session is not None and not isinstance(client.session, NoRedirectSession):
            client.session = NoRedirectSession(client.session)

    client.open = open_without_redirects
