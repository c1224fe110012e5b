"""What the pages tell about the data they show: when it was fetched, and for each connection
whose refresh failed, a stale copy kept (a warning with the classified error) or nothing to
show at all (the error)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from backfuture_core.errors import page_message
from backfuture_core.models import Connection
from backfuture_core.session_cache import Fetched, freshness_text


@dataclass(frozen=True)
class Notice:
    """Something to tell about one connection's data: `connection` is user text (plain text
    only), `text` is BackFuture's own wording."""

    connection: str
    level: str  # "warning" (stale data shown) | "error" (nothing to show)
    text: str


def notices(connections: Sequence[Connection], entries: Sequence[Fetched]) -> list[Notice]:
    """One notice per connection whose last refresh failed, in the connections' order."""
    found = []
    for conn, entry in zip(connections, entries, strict=True):
        if entry.error:  # advice for this page, not the connection test's
            entry = replace(entry, error=page_message(entry.error, entry.error_category))
        if entry.stale:
            found.append(
                Notice(
                    conn.name,
                    "warning",
                    f"Showing stale data. {freshness_text(entry.fetched_at)} "
                    f"The refresh failed: {entry.error}",
                )
            )
        elif entry.value is None and entry.error:
            found.append(Notice(conn.name, "error", entry.error))
    return found


def oldest_fetch(entries: Sequence[Fetched]) -> float | None:
    """When the oldest data shown was fetched (epoch seconds), None if nothing was."""
    times = [e.fetched_at for e in entries if e.fetched_at is not None]
    return min(times) if times else None


@dataclass(frozen=True)
class Shown:
    """How fresh a page's data is, and the notices to show above it (base of the views)."""

    fetched_at: float | None  # the oldest data shown
    notices: tuple[Notice, ...]
    # connections (names) whose answer has not come yet; whether the page should look again
    waiting: tuple[str, ...] = field(default=(), kw_only=True)
    polling: bool = field(default=False, kw_only=True)

    @property
    def last_updated(self) -> str:
        return freshness_text(self.fetched_at)

    @property
    def waiting_text(self) -> str:
        """ "Waiting for an answer from: A, B." (plain text: names are user text), or ""."""
        return f"Waiting for an answer from: {', '.join(self.waiting)}." if self.waiting else ""
