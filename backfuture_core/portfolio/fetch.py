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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlite_utils import Database

from backfuture_core.errors import BackfutureError, ExchangeError
from backfuture_core.exchanges.base import ExchangeAdapter, deadline_options
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.exchanges.runner import Job, run_all
from backfuture_core.market_data.markets import read_market_cache, store_market_cache
from backfuture_core.models import Connection, Credentials
from backfuture_core.storage.connections import load_credentials

if TYPE_CHECKING:
    from backfuture_core.security.vault import Vault

T = TypeVar("T")
Work = Callable[[ExchangeAdapter, Connection], Awaitable[T]]
Finish = Callable[[Database, int, Any], "T | BackfutureError"]  # (db, index, outcome)
After = Callable[[Database, Connection, T], T]  # a result's last step on the caller's thread


@dataclass(frozen=True)
class Finisher(Generic[T]):
    """What ends each connection's job on the caller's thread (no credentials in here)."""

    connections: Sequence[Connection]
    fresh: list[dict[str, dict]]  # per connection: the markets its adapter downloaded
    after: After[T] | None = None

    def __call__(self, db: Database, index: int, outcome: object) -> T | BackfutureError:
        """Keep the markets the job downloaded; an outcome that is not a result or a
        BackfutureError becomes a classified error of that connection alone; a result goes
        through `after`."""
        connection = self.connections[index]
        store_market_cache(db, connection, self.fresh[index])
        result = as_result(outcome)
        if self.after is None or isinstance(result, BackfutureError):
            return result
        return self.after(db, connection, result)


def as_result(outcome: Any) -> Any:
    """A result or BackfutureError as it is; any other exception (a bug, an answer nobody
    expected) as an 'unknown' ExchangeError, so it stays on its own connection's row."""
    if isinstance(outcome, BaseException) and not isinstance(outcome, BackfutureError):
        return ExchangeError("unknown", type(outcome).__name__)
    return outcome


def prepare(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    work: Work[T],
    *,
    finished: Callable[[Connection], None] | None = None,
    deadline_s: float | None = None,
    after: After[T] | None = None,
) -> tuple[list[Job[T]], Finisher[T]]:
    """The jobs of `work(adapter, connection)`, one adapter each, and their finisher;
    credentials and the market cache are read here, on the caller's thread. A connection whose
    credentials cannot be read (damaged row, deleted meanwhile) gets a job that raises that
    error. The jobs hold the credentials: run them, never keep them (session, cache)."""
    cached = read_market_cache(db, connections)
    fresh: list[dict[str, dict]] = [{} for _ in connections]
    options = deadline_options(deadline_s)

    def job(index: int, conn: Connection, creds: Credentials | BackfutureError) -> Job[T]:
        async def run() -> T:
            try:
                if isinstance(creds, BackfutureError):
                    raise creds
                markets = cached.get(conn.id, {})
                async with create_adapter(conn, creds, markets=markets, **options) as adapter:
                    try:
                        return await work(adapter, conn)
                    finally:
                        fresh[index] = adapter.fresh_markets
            finally:
                if finished is not None:
                    finished(conn)

        return run

    jobs = [job(i, conn, _credentials(db, vault, conn)) for i, conn in enumerate(connections)]
    return jobs, Finisher(connections, fresh, after)


def fetch_each(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    work: Work[T],
    *,
    finished: Callable[[Connection], None] | None = None,
    deadline_s: float | None = None,
) -> list[T | BackfutureError]:
    """`work(adapter, connection)` for every connection concurrently, one adapter each; the
    result or the classified error of each, in order (see `prepare` and `as_result`).

    `finished(connection)` is called when a connection's job ends, whatever the outcome: work
    that waits for several connections (one ticker call per exchange) stops waiting for it.
    """
    return run_now(
        db, prepare(db, vault, connections, work, finished=finished, deadline_s=deadline_s)
    )


def run_now(
    db: Database, prepared: tuple[Sequence[Job[T]], Finish[T]]
) -> list[T | BackfutureError]:
    """Run prepared jobs to the end; each outcome finished on this thread, in order."""
    jobs, finish = prepared
    return [finish(db, i, outcome) for i, outcome in enumerate(run_all(jobs))]


def _credentials(db: Database, vault: Vault, conn: Connection) -> Credentials | BackfutureError:
    try:
        return load_credentials(db, vault, conn.id)
    except BackfutureError as exc:
        return exc
    except Exception as exc:  # a damaged row the storage layer did not name
        return as_result(exc)


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
