"""The one bridge from synchronous code (pages, CLI) to the async exchange clients.

Every piece of async work runs in a fresh event loop on a worker thread, so it works whether or
not the caller's thread already runs a loop (Streamlit's does not; AppTest's may). `run_each`
yields each job's outcome as soon as it finishes, so a page can show results while slower
exchanges are still answering; a job that raises yields its exception instead of a result, and
never stops the others.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
Job = Callable[[], Awaitable[T]]


def run_sync(make: Job[T]) -> T:
    """Run the coroutine from `make()` to completion and return its result (or raise)."""

    async def main() -> T:
        return await make()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def run_each(jobs: Sequence[Job[T]]) -> Iterator[tuple[int, T | Exception]]:
    """Run every job concurrently in one loop; yield (index, result or exception) as each ends."""
    done: queue.Queue[tuple[int, T | Exception]] = queue.Queue()

    async def one(index: int, job: Job[T]) -> None:
        try:
            outcome: T | Exception = await job()
        except Exception as exc:  # reported on its own job's row; the others go on
            outcome = exc
        done.put((index, outcome))

    async def every() -> None:
        await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))

    worker = threading.Thread(target=asyncio.run, args=(every(),), daemon=True)
    worker.start()
    try:
        for _ in jobs:
            yield done.get()
    finally:
        worker.join()


def run_all(jobs: Sequence[Job[T]]) -> list[T | Exception]:
    """Run every job concurrently; outcomes in the jobs' order (a result or its exception)."""
    outcomes: list[T | Exception] = [Exception("not run")] * len(jobs)
    for index, outcome in run_each(jobs):
        outcomes[index] = outcome
    return outcomes
