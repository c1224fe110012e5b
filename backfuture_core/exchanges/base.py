"""The shared exchange adapter: ccxt's async clients with BackFuture's safety rules.

One adapter serves one connection for one piece of work (a test, a refresh) and is used as an
async context manager, so its clients and sessions always close. It builds the ccxt clients it
needs lazily (spot, and the futures client only for futures work), points them at the
connection's `api_base_url` (demo connections arrive already pointed at the sandbox), and routes every call
through `call()`, which retries only transient failures and turns every error into one
`ExchangeError` (see `classify.py`).

Time comes from an injected `Timing` (clocks, sleep, jitter), so tests never wait for real.
Exchange modules subclass `ExchangeAdapter` and hold only their quirks: how to point the URLs,
their error codes, how their key-info endpoint reads, and which raw endpoints prove a balance.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from backfuture_core.errors import ConfigError, ExchangeError
from backfuture_core.exchanges.answers import FieldTypes, expect
from backfuture_core.exchanges.classify import classify
from backfuture_core.exchanges.key_info import KeyInfo
from backfuture_core.exchanges.paging import Paging
from backfuture_core.exchanges.redact import Redactor
from backfuture_core.exchanges.redirects import forbid_redirects
from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.exchanges.timing import SYSTEM_TIMING, Timing
from backfuture_core.models import Connection, Credentials
from backfuture_core.validation import is_loopback_host

if TYPE_CHECKING:
    import ssl

# ccxt logs every request's URL and headers (API key, signature) at DEBUG: never let them
# through, whatever level the app's root logger runs at.
logging.getLogger("ccxt").setLevel(logging.WARNING)

SPOT = "spot"
FUTURES = "futures"

RETRYABLE = frozenset({"exchange_unavailable", "rate_limited"})
MAX_RETRIES = 3
BACKOFF_S = 0.2  # the first retry waits 0.1-0.3 s, doubling after each
REQUEST_TIMEOUT_MS = 10_000
DEADLINE_S = 25.0
# ccxt's leaky bucket starts empty, which would space the probes of one test by up to half a
# second each; a small starting burst lets them leave together while later calls stay throttled.
BURST_TOKENS = 60

Client = Any  # a ccxt async exchange instance (ccxt ships no type information)


def deadline_options(deadline_s: float | None) -> dict[str, Any]:
    """The adapter's options for a deadline on every exchange call (None: the defaults)."""
    if deadline_s is None:
        return {}
    return {"deadline_s": deadline_s, "timeout_ms": max(int(deadline_s * 1000), 1)}


ResponseHook = Callable[..., Any]


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context for every client: loading the CA bundle costs ~40 ms a time."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class ExchangeAdapter:
    """Base adapter; `registry.create_adapter` picks the exchange's subclass."""

    exchange_id: ClassVar[str] = ""
    # The exchange's own error codes, checked before the ccxt class (ccxt maps several wrongly).
    ERROR_CODES: ClassVar[dict[str, str]] = {}
    # How the exchange lists (market, "open" | "orders" | "trades") records (portfolio).
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = {}
    CANDLES_PER_CALL: ClassVar[int] = 500  # ccxt's own maximum for the exchange

    def __init__(
        self,
        connection: Connection,
        credentials: Credentials,
        *,
        markets: Mapping[str, dict] | None = None,
        timeout_ms: int = REQUEST_TIMEOUT_MS,
        deadline_s: float = DEADLINE_S,
        timing: Timing = SYSTEM_TIMING,
    ) -> None:
        self.connection = connection
        self.info = get_exchange(connection.exchange)
        self._credentials = credentials
        self._redact = Redactor.for_credentials(credentials)  # for text the exchange sends
        self._clients: dict[str, Client] = {}
        self._preloaded = dict(markets or {})
        self.fresh_markets: dict[str, dict] = {}  # downloaded here, for the caller to cache
        self.timeout_ms = timeout_ms
        self.deadline_s = deadline_s
        self.timing = timing
        self.retries = 0  # transient retries made, for tests and benchmarks
        self.resynced = False
        self._resync_lock = asyncio.Lock()  # concurrent probes share the one resync
        self._retry_after: float | None = None

    async def __aenter__(self) -> ExchangeAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()

    # --- clients -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str | None:
        """Where requests go: the connection's own base URL, else the exchange's real one."""
        if self.connection.api_base_url:
            return self.connection.api_base_url.rstrip("/")
        if self.connection.is_demo:
            # A demo key must never reach a real exchange: `demo.resolved` gives the address.
            raise ConfigError("This demo connection has no sandbox address; start the demo again.")
        return None

    def ccxt_id(self, market: str) -> str:
        return self.info.futures_ccxt_id if market == FUTURES else self.info.spot_ccxt_id

    def client(self, market: str = SPOT) -> Client:
        """The ccxt async client for `market`, built on first use (credentials revealed here)."""
        ccxt_id = self.ccxt_id(market)
        if ccxt_id not in self._clients:
            self._clients[ccxt_id] = self._build_client(ccxt_id)
        return self._clients[ccxt_id]

    def _build_client(self, ccxt_id: str) -> Client:
        import ccxt.async_support as ccxt_async

        creds = self._credentials
        config: dict[str, Any] = {
            "apiKey": creds.api_key.reveal(),
            "secret": creds.secret.reveal(),
            "enableRateLimit": True,
            "timeout": self.timeout_ms,
            "tokenBucket": {"tokens": BURST_TOKENS},
            "options": self.client_options(ccxt_id),
        }
        if creds.passphrase is not None:
            config["password"] = creds.passphrase.reveal()
        base = self.base_url
        if base and is_loopback_host(urlsplit(base).hostname or ""):
            # ccxt's throttle models the real exchange's request budget (MEXC's order history
            # weighs 10 points of 50 ms); a server on this machine (the sandbox) has none.
            config["enableRateLimit"] = False
        if self.connection.proxy:
            config["httpsProxy"] = self.connection.proxy
        client = getattr(ccxt_async, ccxt_id)(config)
        client.timeout_on_exit = 0  # ccxt otherwise sleeps 250 ms in close()
        client.ssl_context = _ssl_context()
        client.on_rest_response = self._watch_response(client.on_rest_response)
        forbid_redirects(client)
        if base:
            self.point_urls(client, base)
        if ccxt_id in self._preloaded:
            client.set_markets(self._preloaded[ccxt_id])
        self.prepare_client(client)
        return client

    def _watch_response(self, original: ResponseHook) -> ResponseHook:
        """Remember Retry-After from a 429 (last_response_headers is shared by parallel calls)."""

        def on_rest_response(
            code: int, reason: str, url: str, method: str, headers: Mapping[str, str], *rest: Any
        ) -> Any:
            if 300 <= code < 400:
                # Signed requests carry the key: a redirect is never followed (the session
                # refuses), and the answer says the address is not the exchange's API.
                raise ExchangeError(
                    "wrong_address",
                    f"{urlsplit(url).hostname} answered with a redirect (HTTP {code}); "
                    "BackFuture never sends a signed request on to another address.",
                    exchange=self.info.name,
                )
            if code == 429:
                value = next((v for k, v in headers.items() if k.lower() == "retry-after"), "")
                try:
                    self._retry_after = float(value)
                except ValueError:
                    self._retry_after = None
            return original(code, reason, url, method, headers, *rest)

        return on_rest_response

    # --- exchange quirks (subclasses) ----------------------------------------------------------

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        return {}

    def prepare_client(self, client: Client) -> None:
        """Last adjustments to a freshly built client (switch off calls the product never needs)."""

    def point_urls(self, client: Client, base: str) -> None:
        """Send every REST call of `client` to `base` (regional domain, gateway, sandbox)."""
        raise NotImplementedError

    def error_code_category(self, code: str, message: str) -> str | None:
        return self.ERROR_CODES.get(code)

    async def key_info(self) -> KeyInfo:
        raise NotImplementedError

    async def account_id(self) -> str | None:
        """The account's id when the key info does not carry it: one more probe of the test,
        asked concurrently with the others (None: the exchange needs no extra call)."""
        return None

    async def account_mode(self) -> str | None:
        """How the account holds its funds where the exchange has modes (KuCoin "CLASSIC" or
        "UNIFIED"); asked concurrently in the test; None where there is no such mode."""
        return None

    async def spot_balance(self) -> Any:
        """One signed call that proves read access to the spot account (no market download)."""
        raise NotImplementedError

    async def futures_balance(self) -> Any:
        """One signed call that proves read access to the futures account."""
        raise NotImplementedError

    # --- calls ---------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """Where this connection's requests go, as the details name it ("" for the exchange's
        own address)."""
        base = self.connection.api_base_url
        return urlsplit(base).netloc if base else ""

    def classify(self, exc: BaseException) -> ExchangeError:
        """The one error translator (classify.py) with this exchange's codes."""
        return classify(
            exc,
            exchange=self.info.name,
            codes=self.error_code_category,
            host=self.host,
            redact=self._redact,
        )

    def expect(self, body: Any, what: str, **fields: FieldTypes) -> dict:
        """`body` if it has `fields` of those types, else `wrong_address` (answers.py)."""
        return expect(body, what, self.info.name, self.host, **fields)

    async def call(
        self,
        market: str,
        method: str,
        *args: Any,
        on_attempt: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ccxt `method` on the `market` client with retries, resync and classification.

        Transient failures (unavailable, rate limited) are retried at most MAX_RETRIES times
        with jittered back-off, honouring Retry-After, within the deadline; a clock error gets
        one time resync and one more try; anything else is raised at once as ExchangeError.
        """
        timing = self.timing
        deadline = timing.now() + self.deadline_s
        client = self.client(market)
        attempt = 0
        clock_retried = False
        while True:
            try:
                if on_attempt is not None:
                    on_attempt()
                remaining = deadline - timing.now()
                if remaining <= 0:
                    raise TimeoutError(f"{method} ran out of time")
                pending = getattr(client, method)(*args, **kwargs)
                return self.check_shape(method, await asyncio.wait_for(pending, remaining))
            except Exception as exc:
                error = self.classify(exc)
            # Out of the handler, so the ccxt error (its URL holds the signed query) is not
            # even kept as the raised error's __context__.
            wait = self._retry_wait(error, attempt)
            if error.category.id == "clock_skew" and not clock_retried:
                clock_retried = True
                async with self._resync_lock:
                    if not self.resynced:
                        self.resynced = True
                        await self._resync(client)
                continue
            if wait is None or timing.now() + wait > deadline:
                raise error
            attempt += 1
            self.retries += 1
            await timing.sleep(wait)

    @staticmethod
    def check_shape(method: str, result: Any) -> Any:
        # A malformed body, a web page or a redirect reaches us as a raw string; implicit
        # endpoints answer objects (classified as wrong_address).
        if isinstance(result, str):
            raise ValueError(f"{method} returned text instead of JSON")
        return result

    def _retry_wait(self, error: ExchangeError, attempt: int) -> float | None:
        if error.category.id not in RETRYABLE or attempt >= MAX_RETRIES:
            return None
        backoff = BACKOFF_S * 2**attempt * (0.5 + self.timing.jitter())
        if error.category.id == "rate_limited" and self._retry_after is not None:
            retry_after, self._retry_after = self._retry_after, None
            return max(backoff, retry_after)
        return backoff

    async def _resync(self, client: Client) -> None:
        try:
            await client.load_time_difference()
        except Exception:
            return
        # Every client of this connection signs with the same clock.
        for other in self._clients.values():
            other.options["timeDifference"] = client.options.get("timeDifference", 0)

    async def clock_offset(self) -> tuple[int, int]:
        """The exchange's clock and its offset from ours, in milliseconds (public, unsigned).

        The offset is taken around the attempt that answered, so a retried request (rate limit,
        5xx) does not look like a slow clock.
        """
        started = 0.0

        def mark_attempt() -> None:
            nonlocal started
            started = self.timing.wall_ms()

        server_time = await self.call(SPOT, "fetch_time", on_attempt=mark_attempt)
        if not isinstance(server_time, (int, float)):
            raise self.classify(ValueError("the server time is not a number"))
        ended = self.timing.wall_ms()
        return int(server_time), int(server_time - (started + ended) / 2)

    async def load_markets(self, market: str = SPOT) -> dict:
        """Markets from the preloaded cache, else downloaded once and offered to the caller."""
        client = self.client(market)
        if client.markets:
            return client.markets
        markets = await self.call(market, "load_markets", *self.load_markets_args())
        self.fresh_markets[self.ccxt_id(market)] = markets
        return markets

    def load_markets_args(self) -> tuple[Any, ...]:
        """Arguments of ccxt's load_markets (an exchange may skip lists it never needs)."""
        return ()

    async def fetch_futures_balance(self) -> dict:
        """The futures account as a ccxt balance (free, used, total per currency)."""
        await self.load_markets(FUTURES)
        return await self.call(FUTURES, "fetch_balance")

    async def fetch_balance(self, market: str = SPOT) -> dict:
        await self.load_markets(market)
        return await self.call(market, "fetch_balance")

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        since: int | None = None,
        limit: int | None = None,
        market: str = SPOT,
    ) -> list:
        await self.load_markets(market)
        return await self.call(market, "fetch_ohlcv", symbol, timeframe, since, limit)
