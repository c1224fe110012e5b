"""Testing saved connections, each one on its own: its keys loaded, its test run and its report
saved, so that whatever goes wrong for one connection (keys that cannot be read, a connection
deleted in another tab meanwhile, an unexpected exception) becomes that connection's outcome,
named by it, and never stops the others. "Test all", "Test connection" and the CLI use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from backfuture_core.diagnostics.reports import save_report
from backfuture_core.diagnostics.run import Pair, failure_report, run_each
from backfuture_core.errors import (
    AddressChanged,
    BackfutureError,
    CorruptedRecord,
    KeyfileInsecure,
    KeyfileMissing,
    NotFound,
    VaultLocked,
    WrongMasterKey,
)
from backfuture_core.models import Connection, ConnectionReport
from backfuture_core.security.vault import Vault
from backfuture_core.storage.connections import load_credentials

VAULT_WIDE = (VaultLocked, WrongMasterKey, KeyfileMissing, KeyfileInsecure)


@dataclass(frozen=True)
class Outcome:
    """One connection's test: its report, and whether the report was saved (if not, why)."""

    connection: Connection
    report: ConnectionReport
    not_saved: str = ""  # why the report was not saved; empty when it was

    @property
    def saved(self) -> bool:
        return not self.not_saved


def unreadable_keys(connection: Connection, exc: Exception) -> BackfutureError:
    """The error for keys that could not be loaded, naming the connection (never its id)."""
    if isinstance(exc, NotFound | AddressChanged):  # their own message says what to do
        return exc
    if isinstance(exc, VAULT_WIDE):  # not this connection's fault: the vault's own message
        return BackfutureError(f"{connection.name}: {exc}")
    return CorruptedRecord(
        f"The saved keys of {connection.name} are damaged and cannot be read. Replace its keys "
        "on the Connections page."
    )


def _saved(db: Database, connection: Connection, report: ConnectionReport) -> Outcome:
    try:
        save_report(db, connection.id, report)
    except NotFound as exc:
        return Outcome(connection, report, f"{exc} Its report was not saved.")
    except BackfutureError as exc:
        return Outcome(connection, report, f"Its report was not saved: {exc}")
    except Exception as exc:  # any other failure stays on this connection's row
        return Outcome(connection, report, f"Its report was not saved ({type(exc).__name__}).")
    return Outcome(connection, report)


def run_saved(
    db: Database, vault: Vault, connections: Iterable[Connection], **adapter_options: Any
) -> Iterator[Outcome]:
    """Test saved connections at once (ready for exchange work, e.g. `demo.resolved`), yielding
    each outcome as it is known: a connection whose keys cannot be loaded first, as a failure
    report, then the others as their tests finish. Every report is saved on its own."""
    pairs: list[Pair] = []
    for connection in connections:
        try:
            pairs.append((connection, load_credentials(db, vault, connection.id)))
        except Exception as exc:  # damaged, deleted or locked: this connection's failure
            report = failure_report(connection, unreadable_keys(connection, exc))
            yield _saved(db, connection, report)
    try:
        for index, report in run_each(pairs, **adapter_options):
            yield _saved(db, pairs[index][0], report)
    finally:
        pairs.clear()  # the credentials leave memory with this run
