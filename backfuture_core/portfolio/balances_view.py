"""The Balances page's view-model: every chosen connection's valued balances, positions and
totals, refreshed through the session cache (the last good data kept, marked stale, when a
refresh fails), and the asset table and allocation built from them."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from sqlite_utils import Database

from backfuture_core.config import EXCHANGE_DEADLINE_S
from backfuture_core.diagnostics.reports import latest_account_ids
from backfuture_core.models import Connection
from backfuture_core.portfolio.accounts import Accounts, group_accounts
from backfuture_core.portfolio.background import Wait, refresh_in_background
from backfuture_core.portfolio.holdings import portfolio_jobs
from backfuture_core.portfolio.notices import Shown, notices, oldest_fetch
from backfuture_core.portfolio.results import Portfolio
from backfuture_core.portfolio.rows import (
    BALANCE_COLUMNS,
    POSITION_COLUMNS,
    TABLE_COLUMNS,
    TOTALS_COLUMNS,
    concat_frames,
    to_frame,
)
from backfuture_core.session_cache import Fetched, ResultCache

if TYPE_CHECKING:
    from backfuture_core.security.vault import Vault

DUST_USDT = 1.0


@dataclass(frozen=True)
class PortfolioView(Shown):
    balances: pd.DataFrame  # BALANCE_COLUMNS, the connection counted for each account
    positions: pd.DataFrame  # POSITION_COLUMNS, likewise
    totals: pd.DataFrame  # TOTALS_COLUMNS, one row per connection
    total_usdt: float  # each exchange account counted once
    futures: bool  # a futures connection is shown
    accounts: Accounts  # which connections share an account, and which one counts


def portfolio_view(
    connections: Sequence[Connection],
    entries: Sequence[Fetched[Portfolio]],
    account_ids: Mapping[int, str] | None = None,
    waiting: Collection[int] = (),
    polling: bool = False,
) -> PortfolioView:
    """The view of what has arrived (connections in `waiting`, by id, have not answered yet);
    with `account_ids` (from their tests), connections on one exchange account add to the
    total, the assets and the positions once."""
    pairs = list(zip(connections, entries, strict=True))
    fetched = {c.id for c, e in pairs if e.value is not None}
    accounts = group_accounts(connections, account_ids or {}, fetched=fetched)
    values = [e.value for c, e in pairs if e.value is not None and accounts.counts(c.id)]
    totals = []
    for conn, entry in pairs:
        p = entry.value
        state = "stale" if entry.stale else ("failed" if p is None else "fresh")
        state = "waiting" if conn.id in waiting else state
        totals.append(
            {
                "connection_id": conn.id,
                "connection": conn.name,
                "total_usdt": p.total_usdt if p is not None else math.nan,
                "unpriced": ", ".join(p.unpriced) if p is not None else "",
                "state": state,
                "account": accounts.note(conn.id),
            }
        )
    return PortfolioView(
        fetched_at=oldest_fetch(entries),
        notices=tuple(notices(connections, entries)),
        balances=concat_frames([p.balances for p in values], BALANCE_COLUMNS),
        positions=concat_frames([p.positions for p in values], POSITION_COLUMNS),
        totals=to_frame(totals, TOTALS_COLUMNS),
        total_usdt=float(sum(p.total_usdt for p in values)),
        futures=any(c.market.has_futures for c in connections),
        accounts=accounts,
        waiting=tuple(c.name for c in connections if c.id in waiting),
        polling=polling,
    )


def refresh_balances(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    cache: ResultCache,
    *,
    force: bool = False,
    deadline_s: float = EXCHANGE_DEADLINE_S,
    wait: Wait = Wait.ALL,
) -> PortfolioView:
    """The balances view of `connections`: fetched again where the session's copy is older
    than the TTL (or `force`), the last good data kept (stale) where a refresh fails or does
    not answer within `deadline_s`. The fetch runs in the background (`background.py`):
    `wait` says how long to wait for it; what has not arrived is `waiting`."""
    by_id = {c.id: c for c in connections}
    done = refresh_in_background(
        db,
        cache,
        [c.id for c in connections],
        lambda ids: portfolio_jobs(db, vault, [by_id[i] for i in ids], deadline_s=deadline_s),
        deadline_s=deadline_s,
        force=force,
        wait=wait,
    )
    return portfolio_view(
        connections, done.entries, latest_account_ids(db), done.waiting, done.polling
    )


def balance_table(
    balances: pd.DataFrame, *, hide_dust: bool = False, dust_usdt: float = DUST_USDT
) -> pd.DataFrame:
    """TABLE_COLUMNS, largest value first; share is % of the priced total. Hiding dust drops
    priced rows worth less than `dust_usdt`; an asset with no price always stays (flagged)."""
    frame = balances.copy()
    priced_total = float(frame["value"].sum(skipna=True))
    frame["share"] = frame["value"] / priced_total * 100 if priced_total > 0 else math.nan
    if hide_dust:
        frame = frame[~(frame["value"] < dust_usdt)]
    frame = frame.sort_values("value", ascending=False, na_position="last", kind="stable")
    return frame[list(TABLE_COLUMNS)].reset_index(drop=True)


def allocation(balances: pd.DataFrame) -> pd.DataFrame:
    """asset -> value (USDT) summed over connections and markets, priced assets only."""
    priced = balances[balances["value"] > 0]
    out = priced.groupby("asset")["value"].sum().reset_index()
    return out.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
