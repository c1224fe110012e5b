"""What every exchange dialect shares: the route table and its dispatch, key lookup and the
checks that follow a valid signature (IP list, then permission), HMAC signing helpers and the
signing schemes several exchanges share (passphrase headers, a recvWindow), the time window of
list endpoints, and the replies to injected faults.

A dialect's handlers return a :class:`Reply` or raise the :class:`ApiError` its own
:class:`ErrorTable` makes; public handlers take the request, private ones also the key that
signed it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from backfuture_core.sandbox.accounts import Account
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.messages import ApiError, ErrorTable, Reply, Request, nginx_reply
from backfuture_core.sandbox.records import Order, PositionState
from backfuture_core.sandbox.world import World

V = TypeVar("V")
KeyLookup = Callable[[str], DemoKey | None]
PublicHandler = Callable[[Request], Reply]
PrivateHandler = Callable[[Request, DemoKey], Reply]


@dataclass(frozen=True)
class Public:
    handler: PublicHandler


@dataclass(frozen=True)
class Private:
    handler: PrivateHandler
    scheme: str  # how the dialect authenticates the route (an exchange may have several)
    permission: str | None = None  # the key permission the route needs


Route = Public | Private
RouteTable = dict[tuple[str, str], Route]  # (method, path) -> route


class WorldView:
    """A group of a dialect's handlers, over the shared world."""

    def __init__(self, world: World) -> None:
        self.world = world


def listed(table: Mapping[str, V], name: str, errors: ErrorTable, kind: str) -> V:
    """The entry `name` of `table` (a market, an instrument), or the exchange's `kind` error."""
    entry = table.get(name)
    if entry is None:
        raise errors(kind)
    return entry


def get_routes(
    public: Mapping[str, PublicHandler],
    private: Mapping[str, tuple[PrivateHandler, str | None]],
    scheme: str,
    prefix: str = "",
) -> RouteTable:
    """The GET routes of `prefix` + path: public handlers, and private ones with the permission
    each needs, all authenticated by `scheme`."""
    routes: RouteTable = {("GET", prefix + p): Public(h) for p, h in public.items()}
    routes.update(
        {("GET", prefix + p): Private(h, scheme, perm) for p, (h, perm) in private.items()}
    )
    return routes


def order_status(o: Order, new: str, partly: str, filled: str, cancelled: str) -> str:
    """An order's status in the exchange's words: open with nothing or something filled, or
    closed filled or cancelled."""
    if o.is_open:
        return partly if o.filled > 0 else new
    return filled if o.status == "filled" else cancelled


def futures_totals(
    account: Account, now_ms: int
) -> tuple[list[PositionState], float, float, float]:
    """The open positions' states, the futures wallet's cash, the margin the positions hold and
    their unrealised P&L."""
    states = account.position_states(now_ms)
    margin = sum(s.margin for s in states)
    return states, account.futures_cash, margin, sum(s.unrealised for s in states)


def hmac_hex(secret: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def hmac_b64(secret: str, payload: str) -> str:
    """Base64 HMAC-SHA256."""
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def same_signature(expected: str, sent: str) -> bool:
    """Constant-time comparison (of any text, not only ASCII)."""
    return hmac.compare_digest(expected.encode(), sent.encode())


def hex_signed(secret: str, payload: str, signature: str) -> bool:
    """Whether `signature` (any case) is the hex HMAC-SHA256 of `payload`; an empty one is not."""
    return bool(signature) and same_signature(hmac_hex(secret, payload), signature.lower())


def check_recv_window(
    req: Request,
    errors: ErrorTable,
    *,
    default: int,
    maximum: int,
    missing: str,
    **missing_fields: object,
) -> None:
    """The Binance-style time check: a ``recvWindow`` (else `default`) of at most `maximum`, then
    a ``timestamp`` (else the `missing` error) with ``timestamp < now + 1000`` and
    ``now - timestamp <= recvWindow``."""
    recv_window = req.int_param("recvWindow") or default
    if recv_window > maximum:
        raise errors("recv_window")
    timestamp = req.int_param("timestamp")
    if timestamp is None:
        raise errors(missing, **missing_fields)
    if not (timestamp < req.now_ms + 1000 and req.now_ms - timestamp <= recv_window):
        raise errors("timestamp")


def time_window(
    start: int | None, end: int | None, now_ms: int, default_span: int, max_span: int | None
) -> tuple[int, int]:
    """The [start, end] a list request covers: without a start, `default_span` back from the
    end (or now); from a start, up to the end or `max_span` (else `default_span`) later, and
    never more than `max_span`."""
    if start is None:
        end = now_ms if end is None else end
        return end - default_span, end
    if end is None:
        end = start + (max_span or default_span)
    if max_span is not None:
        end = min(end, start + max_span)
    return start, end


class Dialect(ABC):
    """One exchange's REST API over the shared world.

    A subclass fills ``routes`` and says where a request's key is, how a private route is
    authenticated, which error table applies to a path and how maintenance looks.
    """

    name: ClassVar[str]

    def __init__(self, world: World, keys: KeyLookup) -> None:
        self.world = world
        self.keys = keys
        self.routes: RouteTable = {}

    # ------------------------------------------------------------------ dispatching
    def handle(self, req: Request) -> Reply:
        """Answer one request; raises :class:`ApiError` for the exchange's error replies."""
        route = self.route(req)
        if isinstance(route, Private):
            return route.handler(req, self.authenticate(req, route))
        return route.handler(req)

    def route(self, req: Request) -> Route:
        route = self.routes.get((req.method, req.path))
        if route is None:
            raise self.not_found(req)
        return route

    def account(self, key: DemoKey) -> Account:
        return self.world.account_of(key)

    # ------------------------------------------------------------------------ keys
    def signing_key(
        self, api_key: str | None, errors: ErrorTable, *, missing: str, unknown: str
    ) -> DemoKey:
        """The key a request names: raises `missing` without one, `unknown` for a key that is
        not one of this exchange's."""
        if not api_key:
            raise errors(missing)
        key = self.keys(api_key)
        if key is None or key.exchange != self.name:
            raise errors(unknown)
        return key

    def passphrase_key(
        self,
        req: Request,
        errors: ErrorTable,
        headers: tuple[tuple[str, str], ...],
        *,
        sent_ms: Callable[[str], int | None],
        bad_timestamp: str,
        window: int,
        query: str,
    ) -> DemoKey:
        """The key of a request signed the OKX/Bitget way, before its IP list and permission:
        `headers` are (name, error if absent) for the key, signature, timestamp and passphrase,
        in that order; the timestamp (read by `sent_ms`) within `window` ms of now; a known key
        with that passphrase; ``sign = base64(HMAC_SHA256(secret, timestamp + METHOD + path
        [?query] + body))``."""
        h = req.headers
        for header, error in headers:
            if not h.get(header):
                raise errors(error)
        key_header, sign_header, time_header, passphrase_header = (name for name, _ in headers)
        timestamp = h[time_header]
        sent = sent_ms(timestamp)
        if sent is None:
            raise errors(bad_timestamp)
        if abs(req.now_ms - sent) > window:
            raise errors("timestamp")
        key = self.signing_key(h[key_header], errors, missing="missing_key", unknown="unknown_key")
        if not same_signature(key.passphrase or "", h[passphrase_header]):
            raise errors("passphrase")
        path = req.path + ("?" + query if query else "")
        expected = hmac_b64(key.secret, timestamp + req.method + path + req.body)
        if not same_signature(expected, h[sign_header]):
            raise errors("signature")
        return key

    @staticmethod
    def admit(key: DemoKey, req: Request, permission: str | None, errors: ErrorTable) -> DemoKey:
        """The checks after a valid signature: the key's IP list, then the permission."""
        if not key.allows_ip(req.remote):
            raise errors("ip", ip=req.remote)
        if permission is not None and permission not in key.permissions:
            raise errors("no_permission")
        return key

    @abstractmethod
    def api_key_of(self, req: Request) -> str | None:
        """The API key a request names (for per-key faults and the request records)."""

    @abstractmethod
    def authenticate(self, req: Request, route: Private) -> DemoKey:
        """The key that validly signed a request for `route`, or raise the exchange's error."""

    @abstractmethod
    def errors_for(self, req: Request) -> ErrorTable:
        """The error table of the API a path belongs to."""

    def not_found(self, req: Request) -> ApiError:
        return self.errors_for(req)("not_found")

    # ---------------------------------------------------------------------- faults
    @abstractmethod
    def maintenance(self, req: Request) -> Reply:
        """What the exchange answers while it is under maintenance."""

    def account_state(self, req: Request, state: str) -> Reply | None:
        """The answer to `req` while the key's account is in `state` (the ``account`` fault):
        the error of that name in the path's own table, on signed routes; None: as usual."""
        try:
            route = self.route(req)
        except ApiError:
            return None
        errors = self.errors_for(req)
        if isinstance(route, Private) and state in errors:
            return errors(state).reply()
        return None

    def rate_limited(self, req: Request, retry_after: int) -> Reply:
        error = self.errors_for(req)("rate_limit")
        error.headers["Retry-After"] = str(retry_after)
        return error.reply()

    def server_error(self, req: Request, status: int, html: bool) -> Reply:
        """A 5xx: the gateway's HTML page, or the exchange's own JSON error body."""
        if html:
            return nginx_reply(status, 503 if status == 503 else 502)
        error = self.errors_for(req)("server_error")
        error.status = status
        return error.reply()


class OneTableDialect(Dialect):
    """A dialect with one error table for all its paths (`errors`, whose ``maintenance`` error is
    its maintenance reply), its API key in one header (`key_header`) and its routes from
    :meth:`route_table`."""

    errors: ClassVar[ErrorTable]
    key_header: ClassVar[str]

    def __init__(self, world: World, keys: KeyLookup) -> None:
        super().__init__(world, keys)
        self.routes = self.route_table(world)

    @abstractmethod
    def route_table(self, world: World) -> RouteTable:
        """The dialect's routes, its handlers over `world`."""

    def errors_for(self, req: Request) -> ErrorTable:
        return self.errors

    def maintenance(self, req: Request) -> Reply:
        return self.errors("maintenance").reply()

    def api_key_of(self, req: Request) -> str | None:
        return req.headers.get(self.key_header)
