"""Refreshes that run in the background, so one dead exchange never holds a page.

A refresh starts one job per connection on the runner (`Running`, kept in the session's store
beside the results; it holds outcomes, never credentials). A script run waits only as long as
it needs (`Wait`), records what has arrived in the session cache, and leaves the rest running;
a later run (a fragment that polls, or the next full run) collects them. At the deadline a
connection still not answering is recorded as not answering (its last good data kept, stale),
and its answer still replaces that if it comes later.

The database stays on the caller's thread: `finish(db, index, outcome)` runs there.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlite_utils import Database

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.runner import Job, run_each
from backfuture_core.session_cache import Fetched, ResultCache

Finish = Callable[[Database, int, Any], Any]  # (db, index, outcome) -> what to record
Clock = Callable[[], float]

POLL_S = 1.0  # how often a page looks for answers still out
GRACE_SHARE = 0.5  # after the first good answer, wait at most half as long again
GRACE_MIN_S = 0.2


class Wait(Enum):
    """How long a refresh waits for answers before it returns."""

    ALL = "all"  # every answer (commands, tests, core callers; each call has its deadline)
    SETTLE = "settle"  # a page's first paint: the answers that come close after the first
    NONE = "none"  # a poll: only what has already arrived


def not_answering(deadline_s: float) -> ExchangeError:
    # The request left and no answer came in time: a timeout (exchange_unavailable), not a
    # failure to reach the exchange; the answer still fills in if it comes later.
    return ExchangeError(
        "exchange_unavailable",
        f"No answer within {deadline_s:g} s; the last data is shown until one comes.",
    )


class Running:
    """One refresh's jobs on a worker thread; the outcomes wait here until a run collects them."""

    def __init__(
        self, keys: Sequence[Any], finish: Finish, deadline_s: float, clock: Clock
    ) -> None:
        self.keys = list(keys)
        self.finish = finish
        self.deadline_s = deadline_s
        self.clock = clock
        self.started = clock()
        self.first: float | None = None  # when the first good answer came
        self.late: set[Any] = set()  # recorded as not answering at the deadline
        self._arrived: dict[int, Any] = {}
        self._collected: set[int] = set()
        self._changed = threading.Condition()

    def start(self, jobs: Sequence[Job[Any]]) -> Running:
        def consume() -> None:
            for index, outcome in run_each(jobs):
                with self._changed:
                    self._arrived[index] = outcome
                    if self.first is None and not isinstance(outcome, BaseException):
                        self.first = self.clock()
                    self._changed.notify_all()

        threading.Thread(target=consume, daemon=True, name="backfuture-refresh").start()
        return self

    @property
    def deadline(self) -> float:
        return self.started + self.deadline_s

    def expires(self) -> float:
        return self.deadline

    @property
    def done(self) -> bool:
        return len(self._collected) == len(self.keys)

    def pending(self) -> list[Any]:
        """Keys whose answer has not been collected yet."""
        return [k for i, k in enumerate(self.keys) if i not in self._collected]

    def wait_until(self, until: Callable[[], float]) -> None:
        """Block until every answer arrived or the clock passes `until()` (re-read on change)."""
        with self._changed:
            while len(self._arrived) < len(self.keys):
                left = until() - self.clock()
                if left <= 0:
                    return
                self._changed.wait(None if math.isinf(left) else left)

    def settle_time(self) -> float:
        """When a page's first paint stops waiting: a little after the first good answer (an
        error can come at once, long before the healthy answers)."""
        if self.first is None:
            return self.deadline
        grace = max((self.first - self.started) * GRACE_SHARE, GRACE_MIN_S)
        return min(self.first + grace, self.deadline)

    def collect(self, db: Database, cache: ResultCache) -> None:
        """Record every arrived outcome (finished on this thread); past the deadline, mark the
        keys still out as not answering (once)."""
        with self._changed:
            arrived = {i: o for i, o in self._arrived.items() if i not in self._collected}
            self._collected |= set(arrived)
        for index, outcome in sorted(arrived.items()):
            cache.record(self.keys[index], self.finish(db, index, outcome))
        if self.clock() >= self.deadline:
            for key in self.pending():
                if key not in self.late:
                    self.late.add(key)
                    cache.record(key, not_answering(self.deadline_s))


def _never() -> float:
    return math.inf


@dataclass(frozen=True)
class Refreshed:
    """Every key's entry, and the keys whose first answer is still awaited (not yet late)."""

    entries: list[Fetched]
    waiting: frozenset[Any]
    polling: bool  # some answer is still out (the page should poll)


def refresh_in_background(
    db: Database,
    cache: ResultCache,
    keys: Sequence[Any],
    start: Callable[[list[Any]], tuple[Sequence[Job[Any]], Finish]],
    *,
    deadline_s: float,
    force: bool = False,
    wait: Wait = Wait.ALL,
) -> Refreshed:
    """Refresh the due keys in the background (`start(due)` gives their jobs and how to finish
    each outcome), wait as `wait` says, and record what has arrived."""
    running: list[Running] = cache.running
    out = {k for r in running for k in r.pending()}
    due = [k for k in keys if k not in out and cache.due(k, force=force)]
    new = None
    if due:
        jobs, finish = start(due)
        new = Running(due, finish, deadline_s, cache.clock).start(jobs)
        running.append(new)
    for r in list(running):
        if wait is Wait.SETTLE and r is new:
            r.wait_until(r.settle_time)
        elif wait is Wait.SETTLE:  # an earlier refresh: it has had its chance to settle
            r.wait_until(r.expires)
        elif wait is Wait.ALL:
            r.wait_until(_never)
        r.collect(db, cache)
        if r.done:
            running.remove(r)
    out = {k for r in running for k in r.pending()}
    late = {k for r in running for k in r.late}
    entries = [cache.get(k) or Fetched() for k in keys]
    return Refreshed(entries, frozenset(k for k in keys if k in out and k not in late), bool(out))
