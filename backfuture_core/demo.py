"""Demo mode: connections to the built-in sandbox exchange that show every test outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from itertools import chain, count

from sqlite_utils import Database

from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.models import Connection
from backfuture_core.security.vault import Vault
from backfuture_core.storage.connections import ConnectionForm, add_connection, list_connections
from backfuture_core.storage.database import audit, write
from backfuture_core.validation import name_key

# One connection per outcome a person should see: online (MEXC spot, KuCoin with passphrase and
# futures), warning (no IP restriction), unsafe (withdrawal enabled), failed (IP refused).
DEMO_LABELS = (
    "MEXC Spot Main (demo)",
    "KuCoin Futures Conservative (demo)",
    "MEXC No IP Restriction (demo)",
    "MEXC Withdrawal Enabled (demo)",
    "MEXC Wrong IP (demo)",
    "Binance Spot Main (demo)",
    "Bybit Unified Futures (demo)",
    "OKX Spot Main (demo)",
    "Bitget Spot Main (demo)",
)


def demo_name(label: str, taken: set[str]) -> str:
    """`label`, or else "<label without (demo)> (demo N)" for the first N from 2 whose name
    looks like no taken name (`taken` holds `name_key`s): a user's name never blocks the demo."""
    base = label.removesuffix(" (demo)")
    names = chain([label], (f"{base} (demo {number})" for number in count(2)))
    return next(name for name in names if name_key(name) not in taken)


def _is_demo_of(connection: Connection, label: str) -> bool:
    """A demo connection added for `label` (under its own name or a numbered one)."""
    base = label.removesuffix(" (demo)")
    numbered = connection.name.startswith(f"{base} (demo ") and connection.name.endswith(")")
    return connection.is_demo and (connection.name == label or numbered)


def start_demo(db: Database, vault: Vault) -> list[Connection]:
    """Start the in-process sandbox and add the demo connections (idempotent).

    Demo connections store no base URL: `resolved` points them at the running sandbox, whose
    port changes with every start of the app. A demo label that looks like a user's connection
    name gets a numbered name instead, "MEXC Spot Main (demo 2)".
    """
    from backfuture_core.sandbox import (  # lazy: the sandbox is only needed in demo mode
        demo_keys,
        shared_sandbox,
    )

    shared_sandbox()
    added = []
    with write(db):
        existing = list_connections(db)
        taken = {name_key(c.name) for c in existing}
        for key in demo_keys():
            if key.label not in DEMO_LABELS or any(_is_demo_of(c, key.label) for c in existing):
                continue
            form = ConnectionForm(
                exchange=key.exchange,
                name=demo_name(key.label, taken),
                api_key=key.api_key,
                secret=key.secret,
                passphrase=key.passphrase or "",
                market=key.market,
                note=key.note,
            )
            added.append(add_connection(db, vault, form, is_demo=True))
            taken.add(name_key(form.name))
        audit(db, "demo started", detail=f"{len(added)} demo connections added")
    return added


def demo_counts(db: Database) -> tuple[int, int]:
    """(demo connections, strategies saved on them): what `remove_demo` deletes."""
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM connections WHERE is_demo = 1), (SELECT COUNT(*) FROM "
        "strategies WHERE connection_id IN (SELECT id FROM connections WHERE is_demo = 1))"
    ).fetchone()
    return int(row[0]), int(row[1])


def remove_demo(db: Database) -> int:
    """Delete every demo connection (with its reports, snapshots and the strategies saved on
    it: a strategy belongs to its connection; `demo_counts` tells the user first)."""
    with write(db):
        count = db.execute("DELETE FROM connections WHERE is_demo = 1").rowcount
        audit(db, "demo removed", detail=f"{count} demo connections removed")
    return count


def has_demo(db: Database) -> bool:
    return db.execute("SELECT 1 FROM connections WHERE is_demo = 1 LIMIT 1").fetchone() is not None


def resolved(connections: Iterable[Connection]) -> list[Connection]:
    """Connections ready for exchange work: each demo connection is pointed at the running
    sandbox (started on first need); every other connection is returned as it is."""
    out = list(connections)
    if not any(c.is_demo and not c.api_base_url for c in out):
        return out
    from backfuture_core.sandbox import shared_sandbox  # lazy: the sandbox is only for demo

    sandbox = shared_sandbox()
    return [
        replace(c, api_base_url=sandbox.base_url(get_exchange(c.exchange).sandbox_dialect))
        if c.is_demo and not c.api_base_url
        else c
        for c in out
    ]
