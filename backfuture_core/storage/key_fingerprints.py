"""One API key saved in several connections: keyed fingerprints of the saved keys, filled in
for rows saved before they existed, and the groups of connections that share a key.

The seed's advice is "use separate API keys for different strategies"; these groups are how the
pages notice it is not followed. Only fingerprints are compared (`Vault.fingerprint`, keyed with
the vault's data key); no key is ever shown or stored in the clear.
"""

from __future__ import annotations

from sqlite_utils import Database

from backfuture_core.errors import BackfutureError
from backfuture_core.formatting import format_names
from backfuture_core.models import Connection
from backfuture_core.security.vault import Vault
from backfuture_core.storage.connections import list_connections, load_credentials
from backfuture_core.storage.database import write


def backfill_fingerprints(db: Database, vault: Vault) -> int:
    """Fingerprint every saved key that has none yet (rows saved before migration m007).

    Idempotent and cheap once done (one query). A row whose keys do not decrypt is left as it
    is: its connection reports that itself when used. Returns how many rows were filled in.
    """
    missing = [
        row_id
        for (row_id,) in db.execute(
            "SELECT id FROM connections WHERE key_fingerprint IS NULL AND api_key_enc IS NOT NULL"
        ).fetchall()
    ]
    filled = {}
    for conn_id in missing:
        try:
            api_key = load_credentials(db, vault, conn_id).api_key
        except BackfutureError:
            continue
        filled[conn_id] = vault.fingerprint(api_key.reveal())
    if filled:
        with write(db):
            for conn_id, fingerprint in filled.items():
                db.execute(
                    "UPDATE connections SET key_fingerprint = ? WHERE id = ? "
                    "AND key_fingerprint IS NULL",
                    [fingerprint, conn_id],
                )
    return len(filled)


def shared_keys(db: Database, vault: Vault) -> list[list[Connection]]:
    """Groups of two or more connections that hold the same API key (each ordered by name),
    after fingerprinting any key saved before fingerprints existed."""
    backfill_fingerprints(db, vault)
    rows = db.execute(
        "SELECT id, key_fingerprint FROM connections WHERE key_fingerprint IN ("
        " SELECT key_fingerprint FROM connections WHERE key_fingerprint IS NOT NULL"
        " GROUP BY key_fingerprint HAVING COUNT(*) > 1)"
    ).fetchall()
    group_of: dict[int, str] = dict(rows)
    groups: dict[str, list[Connection]] = {}
    for conn in list_connections(db):
        if conn.id in group_of:
            groups.setdefault(group_of[conn.id], []).append(conn)
    return list(groups.values())


def shared_key_warning(group: list[Connection]) -> str:
    """The seed's advice, naming every connection that holds the key."""
    return (
        f"The same API Key is saved in {format_names([c.name for c in group])}: "
        "use separate API keys for different strategies."
    )


def shared_key_warnings(db: Database, vault: Vault) -> dict[int, str]:
    """connection id -> the warning about the key it shares (connections with their own key
    are absent)."""
    return {c.id: shared_key_warning(group) for group in shared_keys(db, vault) for c in group}
