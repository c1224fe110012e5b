"""Exchange accounts behind the connections: which connections hold the same funds, and which
one of them counts, so that totals, allocation and value history count each account once.

Two connections are on one account when they are on the same exchange and their latest
connection tests read the same account id (keys of one account share its holdings: a read key
and a trade key, or the demo's MEXC keys). The connection that counts for an account is the one
added first (`COUNTING_RULE`); where balances were fetched, the first one that has them. A
connection with no account id yet (never tested, new keys, or a test that could not read it) is
counted on its own and marked "account not yet identified".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils import Database

from backfuture_core.diagnostics.reports import latest_account_ids
from backfuture_core.models import Connection

if TYPE_CHECKING:  # pandas only for annotations: pages that only count accounts load faster
    import pandas as pd

NOT_IDENTIFIED = "account not yet identified"
COUNTING_RULE = (
    "Connections on the same exchange account hold the same funds: each account is counted "
    "once, under the connection added to BackFuture first (or the next one when its balances "
    "could not be fetched)."
)


@dataclass(frozen=True)
class Accounts:
    """Where each connection stands among the exchange accounts."""

    counted_as: Mapping[int, int]  # connection id -> id of the connection counted for its account
    identified: frozenset[int]  # connections whose account id is known
    names: Mapping[int, str]  # connection id -> name
    sizes: Mapping[int, int]  # counted connection id -> connections on its account

    def counts(self, conn_id: int) -> bool:
        """True when the connection's holdings are added to totals (one per account)."""
        return self.counted_as.get(conn_id, conn_id) == conn_id

    @property
    def shared(self) -> bool:
        """True when some account has more than one connection."""
        return any(n > 1 for n in self.sizes.values())

    def note(self, conn_id: int) -> str:
        """What the pages say about the connection's account ("" for an account of its own)."""
        if conn_id not in self.identified:
            return NOT_IDENTIFIED
        counted = self.counted_as.get(conn_id, conn_id)
        if counted != conn_id:
            return f"same account as {self.names[counted]}"
        others = self.sizes.get(conn_id, 1) - 1
        if others:
            more = "1 more connection" if others == 1 else f"{others} more connections"
            return f"counted once for its account, also used by {more}"
        return ""

    def notes(self) -> dict[int, str]:
        return {conn_id: self.note(conn_id) for conn_id in self.counted_as}


def group_accounts(
    connections: Sequence[Connection],
    account_ids: Mapping[int, str],
    *,
    fetched: Collection[int] = (),
) -> Accounts:
    """Group `connections` by (exchange, account id). For each account the connection that
    counts is the first added (lowest id) among those in `fetched` (the ones whose balances
    arrived), or the first added when none of them is."""
    order = sorted(connections, key=lambda c: (c.id not in fetched, c.id))
    first: dict[tuple[str, str], int] = {}
    counted_as: dict[int, int] = {}
    for conn in order:
        account = account_ids.get(conn.id)
        if account is None:
            counted_as[conn.id] = conn.id
            continue
        counted_as[conn.id] = first.setdefault((conn.exchange, account), conn.id)
    sizes: dict[int, int] = {}
    for counted in counted_as.values():
        sizes[counted] = sizes.get(counted, 0) + 1
    return Accounts(
        counted_as=counted_as,
        identified=frozenset(c.id for c in connections if account_ids.get(c.id) is not None),
        names={c.id: c.name for c in connections},
        sizes=sizes,
    )


def accounts_of(
    db: Database, connections: Sequence[Connection], *, fetched: Collection[int] = ()
) -> Accounts:
    """`group_accounts` with the account ids of the connections' latest tests."""
    return group_accounts(connections, latest_account_ids(db), fetched=fetched)


def history_per_account(history: pd.DataFrame, accounts: Accounts) -> pd.DataFrame:
    """Value history (HISTORY_COLUMNS) with each connection's snapshots filed under the
    connection counted for its account: one line, and one share of the total, per account."""
    if history.empty:
        return history
    out = history.copy()
    out["connection_id"] = [accounts.counted_as.get(int(i), int(i)) for i in out["connection_id"]]
    out["connection"] = [
        accounts.names.get(i, name)
        for i, name in zip(out["connection_id"], out["connection"], strict=True)
    ]
    # Two connections of one account refreshed at the same moment: keep one connection's
    # snapshots there (a connection's own snapshots of one second all stay).
    source = history["connection_id"].astype(int)
    kept = source.groupby([out["taken_at"], out["connection_id"]]).transform("last")
    return out[source == kept].reset_index(drop=True)
