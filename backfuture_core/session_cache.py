"""The one session cache of the pages: results per browser session with a time-to-live, and the
last good value kept (marked stale, with the classified error) when a refresh fails.

A page passes `st.session_state` as the store; the cache holds frames and messages only, never
credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from backfuture_core.errors import BackfutureError, ExchangeError

T = TypeVar("T")

SESSION_TTL_S = 60.0


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """The last good value of a view, when it was fetched, and the last refresh's error."""

    value: T | None = None
    fetched_at: float | None = None  # epoch seconds of `value`
    error: str | None = None  # classified message of the last failed refresh
    error_category: str | None = None
    checked_at: float = 0.0  # last attempt, good or not

    @property
    def stale(self) -> bool:
        """True when a refresh failed and an older good value is still shown."""
        return self.value is not None and self.error is not None


def _error_text(exc: BaseException) -> tuple[str, str | None]:
    if isinstance(exc, ExchangeError):
        return exc.message, exc.category.id
    return str(exc), None


def keep_last_good(previous: Fetched | None, outcome: Any, now: float) -> Fetched:
    """The new entry after a refresh: a value replaces everything; an error keeps the previous
    value (now stale) and records the classified message."""
    if isinstance(outcome, BaseException):
        message, category = _error_text(outcome)
        if previous is not None and previous.value is not None:
            return replace(previous, error=message, error_category=category, checked_at=now)
        return Fetched(None, None, message, category, now)
    return Fetched(outcome, now, None, None, now)


class ResultCache:
    """Per-session results (a page passes `st.session_state`) with a time-to-live.

    Holds frames and messages only, never credentials.
    """

    def __init__(
        self,
        store: MutableMapping[str, Any],
        name: str,
        *,
        ttl_s: float = SESSION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = f"{name}.results"
        if not isinstance(store.get(key), dict):
            store[key] = {}
        self._entries: dict[Any, Fetched] = store[key]
        # Refreshes still running in the background (portfolio/background.py): outcomes only.
        running = f"{name}.running"
        if not isinstance(store.get(running), list):
            store[running] = []
        self.running: list[Any] = store[running]
        self.ttl_s = ttl_s
        self.clock = clock

    def get(self, key: Any) -> Fetched | None:
        return self._entries.get(key)

    def due(self, key: Any, *, force: bool = False) -> bool:
        """Whether `key` needs a refresh: forced, never fetched, or older than the TTL."""
        entry = self._entries.get(key)
        return force or entry is None or self.clock() - entry.checked_at >= self.ttl_s

    def amend(self, key: Any, outcome: Any, merge: Callable[[Any, Any], Any]) -> Fetched:
        """Join `outcome` into the kept value with `merge(value, outcome)`, keeping its fetch
        time; an error leaves the value and marks it stale."""
        entry = self._entries[key]
        if isinstance(outcome, BaseException):
            return self.record(key, outcome)
        entry = replace(entry, value=merge(entry.value, outcome), error=None, error_category=None)
        self._entries[key] = entry
        return entry

    def record(self, key: Any, outcome: Any) -> Fetched:
        entry = keep_last_good(self._entries.get(key), outcome, self.clock())
        self._entries[key] = entry
        return entry

    def kept(self, key: Any, make: Callable[[], Any]) -> Fetched:
        """The entry for `key`, fetched with `make()` when due; a BackfutureError it raises is
        recorded (the last good value kept) instead of being raised again on every rerun."""
        if self.due(key):
            try:
                outcome = make()
            except BackfutureError as exc:
                outcome = exc
            self.record(key, outcome)
        return self._entries[key]

    def refresh(
        self,
        keys: Sequence[Any],
        fetch: Callable[[list[Any]], Sequence[Any]],
        *,
        force: bool = False,
    ) -> list[Fetched]:
        """Refresh the due keys with one `fetch(due_keys)` call (results in order) and return
        every key's entry."""
        due = [k for k in keys if self.due(k, force=force)]
        if due:
            for key, outcome in zip(due, fetch(due), strict=True):
                self.record(key, outcome)
        return [self._entries[k] for k in keys]


def freshness_text(fetched_at: float | None, now: float | None = None) -> str:
    """ "Last updated 14:03:05 UTC (12 s ago)", or that nothing has been fetched yet."""
    if fetched_at is None:
        return "Not fetched yet."
    now = time.time() if now is None else now
    when = datetime.fromtimestamp(fetched_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    age = max(int(now - fetched_at), 0)
    ago = f"{age} s" if age < 120 else f"{age // 60} min"
    return f"Last updated {when} ({ago} ago)."
