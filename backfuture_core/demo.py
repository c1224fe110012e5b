"""Demo mode: connections to the built-in sandbox exchange that show every test outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlite_utils import Database

from backfuture_core.exchanges.registry import get_exchange
from backfuture_core.models import Connection
from backfuture_core.security.vault import Vault
from backfuture_core.storage.connections import ConnectionForm, add_connection, list_connections
from backfuture_core.storage.database import audit, write

# One connection per outcome a person should see: online (MEXC spot, KuCoin with passphrase and
# futures), warning (no IP restriction), unsafe (withdrawal enabled), failed (IP refused).
DEMO_LABELS = (
    "MEXC Spot Main (demo)",
    "KuCoin Futures Conservative (demo)",
    "MEXC No IP Restriction (demo)",
    "MEXC Withdrawal Enabled (demo)",
    "MEXC Wrong IP (demo)",
    "OKX Spot Main (demo)",
    "Bitget Spot Main (demo)",
)


def start_demo(db: Database, vault: Vault) -> list[Connection]:
    """Start the in-process sandbox and add the demo connections (idempotent).

    Demo connections store no base URL: `resolved` points them at the running sandbox, whose
    port changes with every start of the app.
    """
    from backfuture_core.sandbox import (  # lazy: the sandbox is only needed in demo mode
        demo_keys,
        shared_sandbox,
    )

    shared_sandbox()
    existing = {c.name for c in list_connections(db)}
    added = []
    with write(db):
        for key in demo_keys():
            if key.label not in DEMO_LABELS or key.label in existing:
                continue
            form = ConnectionForm(
                exchange=key.exchange,
                name=key.label,
                api_key=key.api_key,
                secret=key.secret,
                passphrase=key.passphrase or "",
                market=key.market,
                note=key.note,
            )
            added.append(add_connection(db, vault, form, is_demo=True))
        audit(db, "demo started", detail=f"{len(added)} demo connections added")
    return added


def remove_demo(db: Database) -> int:
    """Delete every demo connection (with its reports, snapshots and strategies)."""
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
