"""Open orders, order history and fills of every chosen connection over a period.

Every connection is fetched concurrently (one job each), and inside a connection every market
and listing too. Exchanges that answer one symbol per call (MEXC spot) are asked about the held
assets' USDT pairs, the open positions, the saved strategy pairs and the user's choice. Settled
rows come from disk where they were fetched before (`settled`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.errors import BackfutureError
from backfuture_core.exchanges.base import FUTURES, SPOT, ExchangeAdapter
from backfuture_core.exchanges.paging import Paging
from backfuture_core.exchanges.runner import Job
from backfuture_core.models import Connection
from backfuture_core.portfolio.fetch import Finish, Work, prepare, run_now, together
from backfuture_core.portfolio.markets import (
    listed_symbols,
    load_markets,
    market_symbols,
    markets_of,
)
from backfuture_core.portfolio.paging import listing
from backfuture_core.portfolio.results import Activity, Coverage
from backfuture_core.portfolio.rows import (
    ORDER_COLUMNS,
    TRADE_COLUMNS,
    balance_rows,
    order_rows,
    records,
    tag_rows,
    to_frame,
    trade_rows,
    unique_activity,
)
from backfuture_core.portfolio.settled import fetch_start, new_coverage, read_coverage, with_settled
from backfuture_core.portfolio.symbols import strategy_pairs
from backfuture_core.portfolio.valuation import VALUE_CURRENCY
from backfuture_core.values import parse_symbol

if TYPE_CHECKING:
    from backfuture_core.security.vault import Vault

KINDS = ("open", "orders", "trades")  # the listings of a market, as in the adapters' PAGING


def wanted_symbols(
    symbols: Mapping[str, Any], held: Iterable[str], pairs: Iterable[str], market: str
) -> list[str]:
    """Symbols to ask one by one: the held assets' USDT pairs (spot) or open positions
    (futures), plus saved strategy pairs and the user's choice, where the exchange lists them."""
    wanted = set(held)
    wanted |= {p for p in pairs if parse_symbol(p).is_perpetual == (market == FUTURES)}
    return sorted(s for s in wanted if s in symbols)


async def _held_symbols(adapter: ExchangeAdapter, market: str) -> list[str]:
    if market == SPOT:
        rows = balance_rows(await adapter.call(SPOT, "fetch_balance"), SPOT)
        return [f"{r['asset']}/{VALUE_CURRENCY}" for r in rows if r["asset"] != VALUE_CURRENCY]
    positions = records(await adapter.call(FUTURES, "fetch_positions"), "positions")
    return [str(p["symbol"]) for p in positions if p.get("symbol")]


async def _market_activity(
    adapter: ExchangeAdapter,
    market: str,
    since: int,
    until: int,
    pairs: Sequence[str],
    calls: list[int],
    only_pairs: bool,
    coverage: Coverage,
) -> tuple[list[dict], list[dict], list[str], Coverage]:
    """(order rows, trade rows, symbols asked, new coverage) of one market."""
    plans = {k: adapter.PAGING[(market, k)] for k in KINDS}
    if only_pairs:  # adding pairs to an earlier answer: only the per-symbol listings
        plans = {k: plan for k, plan in plans.items() if plan.per_symbol}
    symbols: list[str] = []
    if any(plan.per_symbol for plan in plans.values()):
        held = [] if only_pairs else await _held_symbols(adapter, market)
        symbols = wanted_symbols(market_symbols(adapter, market), held, pairs, market)
    none = Paging("", 0, per_symbol=True)  # a listing left out: asks nothing, lists nothing
    keys: dict[str, list[str]] = {
        kind: [s or "" for s in (symbols if plans[kind].per_symbol else [None])]
        for kind in ("orders", "trades")
        if kind in plans
    }
    starts: dict[str, dict[str, int]] = {
        kind: {key: fetch_start(coverage, market, kind, key, since) for key in kinds}
        for kind, kinds in keys.items()
    }

    def listed(kind: str, since_ms: int | None, until_ms: int | None) -> Awaitable[list[dict]]:
        plan = plans.get(kind, none)
        return listing(adapter, market, plan, symbols, since_ms, until_ms, calls, starts.get(kind))

    open_orders, history, trades = await together(
        listed("open", None, None), listed("orders", since, until), listed("trades", since, until)
    )
    orders = order_rows(history, market) + order_rows(open_orders, market)
    covered = new_coverage(coverage, market, starts, since, until, orders)
    return orders, trade_rows(trades, market), symbols, covered


def activity_work(
    since: int,
    until: int,
    pairs: Mapping[int, Sequence[str]],
    only_pairs: bool = False,
    coverage: Mapping[int, Coverage] | None = None,
) -> Work[Activity]:
    """The job that fetches one connection's activity over [since, until]."""

    async def work(adapter: ExchangeAdapter, connection: Connection) -> Activity:
        markets = markets_of(connection)
        await load_markets(adapter, markets)
        calls = [0]
        chosen = pairs.get(connection.id, ())
        stored = (coverage or {}).get(connection.id, {})
        parts = await together(
            *(
                _market_activity(adapter, m, since, until, chosen, calls, only_pairs, stored)
                for m in markets
            )
        )
        orders, trades = unique_activity(
            to_frame(tag_rows([r for p in parts for r in p[0]], connection), ORDER_COLUMNS),
            to_frame(tag_rows([r for p in parts for r in p[1]], connection), TRADE_COLUMNS),
        )
        return Activity(
            connection.id,
            connection.name,
            connection.exchange,
            orders,
            trades,
            since,
            until,
            tuple(sorted({s for p in parts for s in p[2]})),
            calls[0],
            listed_symbols(adapter, markets),
            {key: span for p in parts for key, span in p[3].items()},
        )

    return work


def merge_activity(earlier: Activity, added: Activity) -> Activity:
    """`earlier` with the orders and fills of more symbols (`added`, same period) joined in."""
    orders, trades = unique_activity(
        pd.concat([earlier.orders, added.orders], ignore_index=True),
        pd.concat([earlier.trades, added.trades], ignore_index=True),
    )
    return replace(
        earlier,
        orders=orders,
        trades=trades,
        symbols=tuple(sorted({*earlier.symbols, *added.symbols})),
        calls=earlier.calls + added.calls,
    )


def activity_jobs(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    *,
    since_ms: int,
    until_ms: int | None = None,
    pairs: Iterable[str] = (),
    only_pairs: bool = False,
    deadline_s: float | None = None,
) -> tuple[list[Job[Activity]], Finish[Activity]]:
    """One job per connection (see `fetch.prepare`); finishing an Activity joins in the settled
    rows kept on disk (see `fetch_activity`)."""
    until = int(time.time() * 1000) if until_ms is None else int(until_ms)
    chosen = tuple(pairs)
    per_connection = {
        c.id: chosen if only_pairs else (*strategy_pairs(db, c.id), *chosen) for c in connections
    }
    coverage = {c.id: read_coverage(db, c.id) for c in connections}
    work = activity_work(int(since_ms), until, per_connection, only_pairs, coverage)
    return prepare(db, vault, connections, work, deadline_s=deadline_s, after=with_settled)


def fetch_activity(
    db: Database,
    vault: Vault,
    connections: Sequence[Connection],
    *,
    since_ms: int,
    until_ms: int | None = None,
    pairs: Iterable[str] = (),
    only_pairs: bool = False,
    deadline_s: float | None = None,
) -> list[Activity | BackfutureError]:
    """Open orders, order history and fills since `since_ms` for every connection,
    concurrently; one result or classified error per connection. `pairs` are the user's
    chosen pairs (asked on exchanges that need a symbol, with saved strategy pairs). With
    `only_pairs`, only the per-symbol listings of `pairs` are asked (to `merge_activity`
    into an earlier answer)."""
    return run_now(
        db,
        activity_jobs(
            db, vault, connections, since_ms=since_ms, until_ms=until_ms, pairs=pairs,
            only_pairs=only_pairs, deadline_s=deadline_s,
        ),
    )  # fmt: skip
