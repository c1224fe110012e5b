"""The fan-out over connections: one job per connection on the one async runner, each with its
own adapter; a connection's failure stays on its own row and never stops the others.

Database rules (`store.py`): credentials and the market cache are read on the caller's thread
before the network work runs on the runner's worker thread, and the markets the adapters
downloaded are written on the caller's thread afterwards. Inside a connection, `together` runs
independent calls concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlite_utils import Database

from backfuture_core.errors import BackfutureError
from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.exchanges.runner import Job, run_all
from backfuture_core.market_data.markets import read_market_cache, store_market_cache
from backfuture_core.models import Connection, Credentials
from backfuture_core.storage.connections import load_credentials

if TYPE_CHECKING:
    from backfuture_core.security.vault import Vault

T = TypeVar("T")
Work = Callable[[ExchangeAdapter, Connection], Awaitable[T]]


def fetch_each(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    work: Work[T],
    *,
    finished: Callable[[Connection], None] | None = None,
) -> list[T | BackfutureError]:
    """`work(adapter, connection)` for every connection concurrently, one adapter each; the
    result or the BackfutureError (credentials, adapter, exchange) of each, in order.

    `finished(connection)` is called when a connection's job ends, whatever the outcome: work
    that waits for several connections (one ticker call per exchange) stops waiting for it.
    Any other exception is a bug and is raised.
    """
    cached = read_market_cache(db, connections)
    fresh: list[dict[str, dict]] = [{} for _ in connections]

    def job(index: int, conn: Connection, creds: Credentials | BackfutureError) -> Job[T]:
        async def run() -> T:
            try:
                if isinstance(creds, BackfutureError):
                    raise creds
                async with create_adapter(conn, creds, markets=cached.get(conn.id, {})) as adapter:
                    try:
                        return await work(adapter, conn)
                    finally:
                        fresh[index] = adapter.fresh_markets
            finally:
                if finished is not None:
                    finished(conn)

        return run

    jobs = [job(i, conn, _credentials(db, vault, conn)) for i, conn in enumerate(connections)]
    outcomes = run_all(jobs)
    for conn, markets in zip(connections, fresh, strict=True):
        store_market_cache(db, conn, markets)
    results: list[T | BackfutureError] = []
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, BackfutureError):
            raise outcome
        results.append(outcome)
    return results


def _credentials(db: Database, vault: Vault, conn: Connection) -> Credentials | BackfutureError:
    try:
        return load_credentials(db, vault, conn.id)
    except BackfutureError as exc:
        return exc


def _first_error(group: BaseExceptionGroup) -> BaseException:
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    return next((e for e in leaves if isinstance(e, BackfutureError)), leaves[0])


async def together(*jobs: Awaitable[Any]) -> list[Any]:
    """Run `jobs` concurrently; on the first failure cancel the rest and raise that error."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(job)) for job in jobs]
    except BaseExceptionGroup as failed:
        raise _first_error(failed) from None
    return [task.result() for task in tasks]


async def _awaited(job: Awaitable[T]) -> T:
    return await job
