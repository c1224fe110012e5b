"""The sandbox's HTTP server: one aiohttp server on loopback, in a background thread with its
own event loop, routing ``/<exchange>/...`` to that exchange's dialect, recording every request
and injecting faults (globally or for one API key)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from backfuture_core.sandbox.dialects.base import Dialect
from backfuture_core.sandbox.dialects.binance import BinanceDialect
from backfuture_core.sandbox.dialects.bitget import BitgetDialect
from backfuture_core.sandbox.dialects.bybit import BybitDialect
from backfuture_core.sandbox.dialects.kucoin import KucoinDialect
from backfuture_core.sandbox.dialects.mexc import MexcDialect
from backfuture_core.sandbox.dialects.okx import OkxDialect
from backfuture_core.sandbox.faults import FAULT_KINDS, Fault, Faults
from backfuture_core.sandbox.keys import DemoKey, demo_keys
from backfuture_core.sandbox.messages import ApiError, Reply, Request, nginx_reply
from backfuture_core.sandbox.world import DEFAULT_ORDER_HISTORY, World

if TYPE_CHECKING:  # aiohttp is imported when the server starts, to keep imports light
    from aiohttp import web

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_SEED = 7
DEFAULT_TIMEOUT_SECONDS = 30.0
DIALECTS: tuple[type[Dialect], ...] = (
    MexcDialect,
    KucoinDialect,
    BinanceDialect,
    BybitDialect,
    OkxDialect,
    BitgetDialect,
)
__all__ = ["FAULT_KINDS", "RequestRecord", "Sandbox", "shared_sandbox"]


@dataclass(frozen=True)
class RequestRecord:
    exchange: str  # "mexc" | "kucoin" ("" for an unknown prefix)
    method: str
    path: str  # without the exchange prefix, e.g. "/api/v3/account"
    query: dict[str, str]
    api_key: str | None
    status: int


class Sandbox:
    """An embedded fake MEXC + KuCoin exchange over real HTTP on 127.0.0.1.

    ``Sandbox(port=0, seed=7, order_history=300)``: port 0 picks a free port; ``order_history``
    sizes the generated order history (an int, or ``{"main": 10_000}`` per account name);
    ``keys`` replaces the demo keys. Use ``start()``/``stop()`` or ``with Sandbox() as sb:``.
    """

    def __init__(
        self,
        port: int = 0,
        seed: int = DEFAULT_SEED,
        *,
        order_history: int | Mapping[str, int] = DEFAULT_ORDER_HISTORY,
        keys: Iterable[DemoKey] | None = None,
    ) -> None:
        self.seed = seed
        self.world = World(seed, order_history)
        self._requested_port = port
        self._port: int | None = None
        self._lock = threading.Lock()
        self._keys = {k.api_key: k for k in (demo_keys() if keys is None else keys)}
        self._requests: list[RequestRecord] = []
        self._faults = Faults()
        self._dialects: dict[str, Dialect] = {d.name: d(self.world, self.key) for d in DIALECTS}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None

    # ------------------------------------------------------------------ public API
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._port is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def base_url(self, exchange: str) -> str:
        if exchange not in self._dialects:
            raise ValueError(
                f"unknown exchange {exchange!r}; the sandbox serves {list(self._dialects)}"
            )
        return f"{self.url}/{exchange}"

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the requests served so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def keys(self) -> list[DemoKey]:
        with self._lock:
            return list(self._keys.values())

    def key(self, api_key: str) -> DemoKey | None:
        with self._lock:
            return self._keys.get(api_key)

    def add_key(self, key: DemoKey) -> None:
        """Add a key, or replace the key with the same api_key."""
        with self._lock:
            self._keys[key.api_key] = key

    def set_fault(self, kind: str, *, key: str | None = None, **params: Any) -> None:
        """Inject a fault for every request (key=None) or only those signed with `key`.

        Kinds and parameters: latency(seconds), timeout(seconds=30: no answer until then or
        until stop), rate_limit(retry_after=1), server_error(status=502, html=True),
        maintenance, malformed_json, clock_skew(ms), account(state) (see faults.py). Every
        kind takes count=N (only the next
        N matching requests). Setting a kind again for the same key replaces it.
        """
        self._faults.set(kind, key, params)

    def clear_faults(self) -> None:
        self._faults.clear()

    def start(self) -> Sandbox:
        if self.running:
            return self
        ready = threading.Event()
        errors: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, errors), name="backfuture-sandbox", daemon=True
        )
        self._thread.start()
        ready.wait()
        if errors:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"the sandbox could not start: {errors[0]}") from errors[0]
        return self

    def stop(self) -> None:
        """Stop serving; quick even while a timeout fault holds requests open."""
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None or runner is None or not thread.is_alive():
            return
        stopping = self._stopping
        if stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        future = asyncio.run_coroutine_threadsafe(runner.cleanup(), loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        self._port = None
        self._runner = None
        self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not started"
        return f"Sandbox({where}, seed={self.seed}, keys={len(self._keys)})"

    # ------------------------------------------------------------------ event loop
    def _serve(self, ready: threading.Event, errors: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # reported to start() in the calling thread
            errors.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _startup(self) -> None:
        from aiohttp import web

        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    # -------------------------------------------------------------------- requests
    async def _handle(self, request: web.Request) -> web.Response:
        from aiohttp import web

        path, _, raw_query = request.raw_path.partition("?")
        _, exchange, rest = (unquote(path) + "/").split("/", 2)
        dialect = self._dialects.get(exchange)
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        if dialect is None:
            self._record("", request.method, unquote(path), query, None, 404)
            return web.Response(status=404, text="Not Found")
        body = await request.text()
        req = Request(
            method=request.method,
            path="/" + rest.rstrip("/") if rest.strip("/") else "/",
            raw_query=raw_query,
            query=query,
            headers=request.headers,
            body=body,
            remote=request.remote or "",
            now_ms=int(time.time() * 1000),
        )
        api_key = dialect.api_key_of(req)
        faults = self._faults.take(api_key)
        if faults.skew_ms:
            req = dataclasses.replace(req, now_ms=req.now_ms + faults.skew_ms)
        if faults.delay_seconds > 0:
            await asyncio.sleep(faults.delay_seconds)
        reply = await self._reply(dialect, req, faults.terminal)
        self._record(exchange, req.method, req.path, query, api_key, reply.status)
        return web.Response(
            status=reply.status,
            text=reply.body,
            content_type=reply.content_type,
            headers=reply.headers,
        )

    async def _reply(self, dialect: Dialect, req: Request, fault: Fault | None) -> Reply:
        kind = fault.kind if fault is not None else None
        params = fault.params if fault is not None else {}
        if kind == "timeout":
            seconds = float(params.get("seconds", DEFAULT_TIMEOUT_SECONDS))
            if self._stopping is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
            return nginx_reply(504, 504)
        if kind == "rate_limit":
            return dialect.rate_limited(req, int(params.get("retry_after", 1)))
        if kind == "server_error":
            return dialect.server_error(
                req, int(params.get("status", 502)), bool(params.get("html", True))
            )
        if kind == "maintenance":
            return dialect.maintenance(req)
        if kind == "account":
            answer = dialect.account_state(req, str(params.get("state", "")))
            if answer is not None:
                return answer
        try:
            reply = dialect.handle(req)
        except ApiError as error:  # the exchange's own error reply
            reply = error.reply()
        except Exception:
            logger.exception("sandbox: %s %s failed", req.method, req.path)
            reply = dialect.server_error(req, 500, html=False)
        if kind == "malformed_json":
            reply.body = reply.body[: max(len(reply.body) // 2, 1)]
            reply.content_type = "application/json"
        return reply

    def _record(
        self,
        exchange: str,
        method: str,
        path: str,
        query: dict[str, str],
        api_key: str | None,
        status: int,
    ) -> None:
        record = RequestRecord(exchange, method, path, query, api_key, status)
        with self._lock:
            self._requests.append(record)


_shared: Sandbox | None = None
_shared_lock = threading.Lock()


ORDER_HISTORY_ENV = "BACKFUTURE_SANDBOX_ORDER_HISTORY"  # JSON: 10000 or {"main": 10000}


def shared_sandbox() -> Sandbox:
    """The process-wide sandbox (demo mode), started on a free port on first use; the
    environment variable BACKFUTURE_SANDBOX_ORDER_HISTORY sizes its order history."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            first = _shared is None
            history = os.environ.get(ORDER_HISTORY_ENV)
            sizes = json.loads(history) if history else DEFAULT_ORDER_HISTORY
            _shared = Sandbox(order_history=sizes).start()
            if first:
                atexit.register(_stop_shared)
        return _shared


def _stop_shared() -> None:
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
