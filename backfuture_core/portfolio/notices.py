"""What the pages tell about each connection's data: a stale copy kept after a failed refresh
(a warning with the classified error), or nothing to show at all (the error)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
