"""Balances and futures positions of every chosen connection, valued in USDT.

Every connection is fetched concurrently (one job each) and, inside a connection, its balance
and position calls run together. The balances of connections to the same exchange source (demo,
custom base URL and the real exchange are priced apart) are then valued from ONE batched ticker
call (plus one futures ticker call for positions without a mark price). Every success stores a
balance snapshot, so the value history grows with each refresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.errors import BackfutureError
from backfuture_core.exchanges.base import FUTURES, SPOT, ExchangeAdapter
from backfuture_core.exchanges.runner import Job
from backfuture_core.market_data.markets import cache_source
from backfuture_core.models import Connection
from backfuture_core.portfolio.fetch import Finish, prepare, run_now, together
from backfuture_core.portfolio.history import save_snapshot
from backfuture_core.portfolio.markets import load_markets, market_symbols, markets_of
from backfuture_core.portfolio.results import Portfolio
from backfuture_core.portfolio.rows import (
    BALANCE_COLUMNS,
    POSITION_COLUMNS,
    balance_rows,
    mapping,
    position_rows,
    records,
    tag_rows,
    to_frame,
    wrong_shape,
)
from backfuture_core.portfolio.valuation import (
    Tickers,
    ticker_price,
    unpriced_assets,
    valuation_symbols,
    value_balances,
)
from backfuture_core.values import to_float

if TYPE_CHECKING:
    from backfuture_core.security.vault import Vault

Prices = tuple[dict[str, Any], dict[str, Any]]  # (spot tickers, futures tickers)


@dataclass(frozen=True)
class Holdings:
    """One connection's balances and positions before valuation, and the tickers they need."""

    balances: pd.DataFrame  # BALANCE_COLUMNS, not valued yet
    positions: list[dict]  # ccxt positions
    needed: list[str]  # spot symbols that value the balances
    unmarked: list[str]  # futures symbols of positions without a mark price
    futures_markets: dict[str, Mapping[str, Any]]


async def fetch_holdings(adapter: ExchangeAdapter, connection: Connection) -> Holdings:
    """Markets (unless cached), then balances and positions together."""
    await load_markets(adapter, [SPOT, *markets_of(connection)])
    jobs: dict[str, Awaitable[Any]] = {}
    if connection.market.has_spot:
        jobs["spot"] = adapter.call(SPOT, "fetch_balance")
    if connection.market.has_futures:
        jobs["futures"] = adapter.fetch_futures_balance()
        jobs["positions"] = adapter.call(FUTURES, "fetch_positions")
    got = dict(zip(jobs, await together(*jobs.values()), strict=True))
    rows = balance_rows(got.get("spot"), SPOT)
    rows += balance_rows(got.get("futures"), FUTURES)
    balances = to_frame(tag_rows(rows, connection), BALANCE_COLUMNS)
    positions = [dict(p) for p in records(got.get("positions"), "positions")]
    unmarked = {
        p["symbol"] for p in positions if p.get("symbol") and not to_float(p.get("markPrice")) > 0
    }
    return Holdings(
        balances,
        positions,
        valuation_symbols(balances["asset"], market_symbols(adapter, SPOT)),
        sorted(unmarked),
        market_symbols(adapter, FUTURES) if connection.market.has_futures else {},
    )


def valued(connection: Connection, held: Holdings, spot: Tickers, futures: Tickers) -> Portfolio:
    """The connection's portfolio from its holdings and the tickers that price them."""
    balances = value_balances(held.balances, spot)
    marks = {s: ticker_price(t) for s, t in futures.items()}
    rows = position_rows(held.positions, marks, held.futures_markets)
    return Portfolio(
        connection.id,
        connection.name,
        connection.exchange,
        balances,
        to_frame(tag_rows(rows, connection), POSITION_COLUMNS),
        float(balances["value"].sum(skipna=True)),
        unpriced_assets(balances),
    )


async def _tickers(adapter: ExchangeAdapter, market: str, symbols: Sequence[str]) -> dict:
    if not symbols:
        return {}
    found = mapping(await adapter.call(market, "fetch_tickers", list(symbols)), "tickers")
    if not all(isinstance(t, Mapping) for t in found.values()):
        raise wrong_shape("tickers")
    return dict(found)


class TickerBatch:
    """One batched ticker call for every connection of one exchange source.

    Each member job joins with its holdings and waits until every member has joined or ended
    (`leave`); the first member (in the order given) then makes the call with its adapter (the
    futures call with the first futures connection's), and every member gets the same tickers
    or error. Members are connection ids.
    """

    def __init__(self, members: Sequence[int]) -> None:
        self._order = {member: i for i, member in enumerate(members)}
        self._pending = set(members)
        self._members: dict[int, tuple[Connection, ExchangeAdapter, Holdings]] = {}
        self._ready = asyncio.Event()
        self._done = asyncio.Event()
        self._prices: Prices | BackfutureError = ({}, {})

    def leave(self, member: int) -> None:
        """`member` needs nothing more (it joined, or it failed before it could)."""
        self._pending.discard(member)
        if not self._pending:
            self._ready.set()

    async def prices(
        self, connection: Connection, adapter: ExchangeAdapter, held: Holdings
    ) -> Prices:
        self._members[connection.id] = (connection, adapter, held)
        self.leave(connection.id)
        await self._ready.wait()
        if connection.id == min(self._members, key=self._order.__getitem__):
            try:
                self._prices = await self._call()
            except BackfutureError as exc:
                self._prices = exc
            self._done.set()
        await self._done.wait()
        if isinstance(self._prices, BackfutureError):
            raise self._prices
        return self._prices

    async def _call(self) -> Prices:
        members = [self._members[m] for m in sorted(self._members, key=self._order.__getitem__)]
        adapter = members[0][1]
        futures = next((a for c, a, _ in members if c.market.has_futures), adapter)
        needed = sorted({s for _, _, h in members for s in h.needed})
        unmarked = sorted({s for _, _, h in members for s in h.unmarked})
        spot, marks = await together(
            _tickers(adapter, SPOT, needed), _tickers(futures, FUTURES, unmarked)
        )
        return spot or {}, marks or {}


def portfolio_jobs(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    *,
    deadline_s: float | None = None,
) -> tuple[list[Job[Portfolio]], Finish[Portfolio]]:
    """One job per connection (see `fetch.prepare`); finishing a Portfolio stores its balance
    snapshot. Balances of connections to the same exchange are valued from one batched ticker
    call."""
    groups: dict[str, list[int]] = {}
    for conn in connections:
        groups.setdefault(cache_source(conn), []).append(conn.id)
    batches = {source: TickerBatch(ids) for source, ids in groups.items()}

    def batch(connection: Connection) -> TickerBatch:
        return batches[cache_source(connection)]

    async def work(adapter: ExchangeAdapter, connection: Connection) -> Portfolio:
        held = await fetch_holdings(adapter, connection)
        spot, futures = await batch(connection).prices(connection, adapter, held)
        return valued(connection, held, spot, futures)

    def snapshot(db: Database, connection: Connection, portfolio: Portfolio) -> Portfolio:
        save_snapshot(db, portfolio)
        return portfolio

    return prepare(
        db, vault, connections, work, finished=lambda c: batch(c).leave(c.id),
        deadline_s=deadline_s, after=snapshot,
    )  # fmt: skip


def fetch_portfolios(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    *,
    deadline_s: float | None = None,
) -> list[Portfolio | BackfutureError]:
    """Fetch every connection concurrently; one result or classified error per connection.

    Each success stores a balance snapshot. Downloaded markets are cached on disk.
    """
    return run_now(db, portfolio_jobs(db, vault, connections, deadline_s=deadline_s))
