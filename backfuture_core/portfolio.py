"""Balances, positions and orders across connections: fetching, valuation, frames, snapshots.

One refresh fetches every chosen connection concurrently (one adapter each) and, inside a
connection, every independent call concurrently. Balances are valued in USDT from one batched
ticker call per exchange: stablecoins count 1, an asset with a USDT market uses it, one with only
a BTC market goes through BTC (asset/BTC x BTC/USDT), and an asset with no price keeps a NaN value
flagged "no price". Every successful balance refresh stores a snapshot, so value history grows.

Order history is paged the way each exchange requires: MEXC spot answers one symbol per call and
at most 7 days per call, so the symbols come from non-zero balances, saved strategy pairs and the
user's choice, and every (symbol, window) is fetched concurrently; KuCoin pages by page number
inside 7-day windows.

Database rules (`store.py`): credentials, the market cache and strategy pairs are read on the
caller's thread before the network work runs on a worker thread (`run_sync`), and everything is
written on the caller's thread afterwards. Market lists are cached on disk (`market_cache`) for
`market_cache.TTL_S` and survive restarts.

Results are pandas frames with the stable columns below (empty frames keep them). For the pages,
`ResultCache` keeps results per browser session for a short time-to-live and, when a refresh
fails, keeps the last good result marked stale with the classified error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pandas as pd
from sqlite_utils import Database

from backfuture_core.connections import load_credentials
from backfuture_core.errors import BackfutureError
from backfuture_core.exchanges.base import (
    DAY_MS,
    FUTURES,
    SPOT,
    ExchangeAdapter,
    Paging,
    adapter_class,
    create_adapter,
)
from backfuture_core.exchanges.runner import run_sync
from backfuture_core.market_data import candles
from backfuture_core.market_data.candles import candle_symbol
from backfuture_core.market_data.markets import cache_source, read_market_cache, store_market_cache
from backfuture_core.models import Connection, Credentials
from backfuture_core.session_cache import Fetched, ResultCache, freshness_text
from backfuture_core.store import dumps, now_iso, write

T = TypeVar("T")

VALUE_CURRENCY = "USDT"
STABLECOINS = frozenset({"USDT", "USDC", "DAI", "FDUSD", "TUSD", "USD"})
DUST_USDT = 1.0

PERIOD_DAYS = (1, 7, 30, 90)
DEFAULT_PERIOD_DAYS = 7
CHART_TIMEFRAMES = {1: "15m", 7: "1h", 30: "4h", 90: "1d"}
MAX_PAGES = 500  # per window: a guard against an exchange that never stops paging

PRICED_STABLE, PRICED_USDT, PRICED_BTC, NO_PRICE = (
    "stablecoin",
    "USDT market",
    "via BTC",
    "no price",
)

BALANCE_COLUMNS = (
    "connection_id", "connection", "exchange", "market", "asset",
    "free", "used", "total", "price", "value", "priced_by",
)  # fmt: skip
POSITION_COLUMNS = (
    "connection_id", "connection", "symbol", "side", "contracts", "size", "notional",
    "entry_price", "mark_price", "unrealized_pnl", "leverage", "liquidation_price",
    "liquidation_distance_pct", "margin_mode",
)  # fmt: skip
ORDER_COLUMNS = (
    "connection_id", "connection", "market", "time", "symbol", "quote", "side", "type",
    "status", "price", "average", "amount", "filled", "cost", "order_id",
)  # fmt: skip
TRADE_COLUMNS = (
    "connection_id", "connection", "market", "time", "symbol", "quote", "side", "price",
    "amount", "cost", "fee", "fee_currency", "role", "order_id", "trade_id",
)  # fmt: skip
HISTORY_COLUMNS = ("taken_at", "connection_id", "connection", "total_usdt")
TABLE_COLUMNS = (
    "connection", "market", "asset", "free", "used", "total", "price", "value", "share",
    "priced_by",
)  # fmt: skip
TOTALS_COLUMNS = ("connection_id", "connection", "total_usdt", "unpriced", "state")

_NUMERIC = {
    "free", "used", "total", "price", "value", "share", "contracts", "size", "notional",
    "entry_price", "mark_price", "unrealized_pnl", "leverage", "liquidation_price",
    "liquidation_distance_pct", "average", "amount", "filled", "cost", "fee", "total_usdt",
}  # fmt: skip
_TIMES = {"time", "taken_at"}


# --- Small pure helpers ------------------------------------------------------------------------


def _num(value: Any) -> float:
    """A finite float, or NaN for None, text that is not a number, inf."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame with exactly `columns` (in order) and stable dtypes, also when there are no rows."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column in columns:
        if column in _NUMERIC:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif column in _TIMES:
            values = frame[column]
            numeric = pd.api.types.is_numeric_dtype(values) and not values.empty
            unit = {"unit": "ms"} if numeric else {}  # exchange times are epoch milliseconds
            frame[column] = pd.to_datetime(values, utc=True, errors="coerce", **unit)
        elif column == "connection_id":
            frame[column] = frame[column].astype("int64")
        else:
            frame[column] = frame[column].astype("object")
    return frame


def _quote(symbol: str) -> str:
    """ "ETH/BTC" -> "BTC", "BTC/USDT:USDT" -> "USDT"."""
    pair = symbol.split(":", 1)[0]
    return pair.split("/", 1)[1] if "/" in pair else ""


def ticker_price(ticker: Mapping[str, Any] | None) -> float:
    """The ticker's last price, else its close, else the bid/ask midpoint; NaN when none is > 0."""
    if not ticker:
        return math.nan
    for key in ("last", "close"):
        price = _num(ticker.get(key))
        if price > 0:
            return price
    bid, ask = _num(ticker.get("bid")), _num(ticker.get("ask"))
    return (bid + ask) / 2 if bid > 0 and ask > 0 else math.nan


def valuation_symbols(assets: Iterable[str], symbols: Iterable[str]) -> list[str]:
    """The ticker symbols (among the exchange's `symbols`) that value `assets` in USDT:
    asset/USDT, else asset/BTC plus BTC/USDT. Stablecoins need none."""
    listed = set(symbols)
    wanted: list[str] = []
    for asset in sorted(set(assets) - STABLECOINS):
        direct, via = f"{asset}/{VALUE_CURRENCY}", f"{asset}/BTC"
        if direct in listed:
            wanted.append(direct)
        elif via in listed and f"BTC/{VALUE_CURRENCY}" in listed:
            wanted += [via, f"BTC/{VALUE_CURRENCY}"]
    return sorted(set(wanted))


def usdt_prices(
    assets: Iterable[str], tickers: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[float, str]]:
    """asset -> (price in USDT, how it was priced); (NaN, "no price") when nothing prices it."""
    prices: dict[str, tuple[float, str]] = {}
    btc = ticker_price(tickers.get(f"BTC/{VALUE_CURRENCY}"))
    for asset in set(assets):
        if asset in STABLECOINS:
            prices[asset] = (1.0, PRICED_STABLE)
            continue
        direct = ticker_price(tickers.get(f"{asset}/{VALUE_CURRENCY}"))
        via = ticker_price(tickers.get(f"{asset}/BTC"))
        if not math.isnan(direct):
            prices[asset] = (direct, PRICED_USDT)
        elif not math.isnan(via) and not math.isnan(btc):
            prices[asset] = (via * btc, PRICED_BTC)
        else:
            prices[asset] = (math.nan, NO_PRICE)
    return prices


def value_balances(
    balances: pd.DataFrame, tickers: Mapping[str, Mapping[str, Any]]
) -> pd.DataFrame:
    """`balances` with price, value (total x price, NaN without a price) and priced_by set."""
    frame = balances.copy()
    prices = usdt_prices(frame["asset"], tickers)
    frame["price"] = pd.Series(
        [prices[a][0] for a in frame["asset"]], index=frame.index, dtype="float64"
    )
    frame["priced_by"] = pd.Series(
        [prices[a][1] for a in frame["asset"]], index=frame.index, dtype="object"
    )
    frame["value"] = frame["total"] * frame["price"]
    return frame


def balance_rows(balance: Mapping[str, Any], market: str) -> list[dict[str, Any]]:
    """(market, asset, free, used, total) rows from a ccxt balance; all-zero assets left out."""
    totals = balance.get("total") or {}
    free = balance.get("free") or {}
    used = balance.get("used") or {}
    rows = []
    for asset in sorted(set(totals) | set(free) | set(used)):
        f, u, t = _num(free.get(asset)), _num(used.get(asset)), _num(totals.get(asset))
        if math.isnan(t):
            t = (0.0 if math.isnan(f) else f) + (0.0 if math.isnan(u) else u)
        if t == 0 and not f and not u:
            continue
        rows.append({"market": market, "asset": asset, "free": f, "used": u, "total": t})
    return rows


def liquidation_distance_pct(side: str, mark: float, liquidation: float) -> float:
    """How far the mark price may move against the position before liquidation, in % of mark
    (negative once past it); NaN without a liquidation price."""
    mark, liquidation = _num(mark), _num(liquidation)
    if math.isnan(mark) or mark <= 0 or math.isnan(liquidation) or liquidation <= 0:
        return math.nan
    gap = (mark - liquidation) if side == "long" else (liquidation - mark)
    return gap / mark * 100


def position_rows(
    positions: Iterable[Mapping[str, Any]],
    marks: Mapping[str, float],
    markets: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Normalised open positions; mark, notional and unrealised PnL are computed where the
    exchange leaves them out (MEXC), from `marks` (symbol -> mark price); notional is always
    size x mark."""
    rows = []
    for p in positions:
        contracts = abs(_num(p.get("contracts")))
        if math.isnan(contracts) or contracts == 0:
            continue
        symbol = str(p.get("symbol") or "")
        size_per = _num(p.get("contractSize"))
        if math.isnan(size_per):
            size_per = _num((markets.get(symbol) or {}).get("contractSize"))
        size = contracts * (1.0 if math.isnan(size_per) else size_per)
        side = str(p.get("side") or "").lower()
        entry = _num(p.get("entryPrice"))
        mark = _num(p.get("markPrice"))
        if math.isnan(mark):
            mark = _num(marks.get(symbol))
        # size x mark everywhere: ccxt reports KuCoin's notional at the entry price.
        notional = size * mark if not math.isnan(mark) else abs(_num(p.get("notional")))
        pnl = _num(p.get("unrealizedPnl"))
        if math.isnan(pnl):
            pnl = (mark - entry) * size * (1 if side == "long" else -1)
        liquidation = _num(p.get("liquidationPrice"))
        rows.append(
            {
                "symbol": symbol,
                "side": side,
                "contracts": contracts,
                "size": size,
                "notional": notional,
                "entry_price": entry,
                "mark_price": mark,
                "unrealized_pnl": pnl,
                "leverage": _num(p.get("leverage")),
                "liquidation_price": liquidation,
                "liquidation_distance_pct": liquidation_distance_pct(side, mark, liquidation),
                "margin_mode": p.get("marginMode") or "",
            }
        )
    return rows


def order_rows(orders: Iterable[Mapping[str, Any]], market: str) -> list[dict[str, Any]]:
    rows = []
    for o in orders:
        symbol = str(o.get("symbol") or "")
        rows.append(
            {
                "market": market,
                "time": _num(o.get("timestamp")),  # ms; `_frame` converts the column at once
                "symbol": symbol,
                "quote": _quote(symbol),
                "side": o.get("side") or "",
                "type": o.get("type") or "",
                "status": o.get("status") or "",
                "price": _num(o.get("price")),
                "average": _num(o.get("average")),
                "amount": _num(o.get("amount")),
                "filled": _num(o.get("filled")),
                "cost": _num(o.get("cost")),
                "order_id": str(o.get("id") or ""),
            }
        )
    return rows


def trade_rows(trades: Iterable[Mapping[str, Any]], market: str) -> list[dict[str, Any]]:
    rows = []
    for t in trades:
        symbol = str(t.get("symbol") or "")
        fee = t.get("fee") or {}
        rows.append(
            {
                "market": market,
                "time": _num(t.get("timestamp")),
                "symbol": symbol,
                "quote": _quote(symbol),
                "side": t.get("side") or "",
                "price": _num(t.get("price")),
                "amount": _num(t.get("amount")),
                "cost": _num(t.get("cost")),
                "fee": _num(fee.get("cost")),
                "fee_currency": fee.get("currency") or "",
                "role": t.get("takerOrMaker") or "",
                "order_id": str(t.get("order") or ""),
                "trade_id": str(t.get("id") or ""),
            }
        )
    return rows


def _tag(rows: Iterable[dict[str, Any]], connection: Connection) -> list[dict[str, Any]]:
    """Rows with the connection's id, name and exchange added."""
    tags = {
        "connection_id": connection.id,
        "connection": connection.name,
        "exchange": connection.exchange,
    }
    return [{**tags, **row} for row in rows]


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Portfolio:
    """One connection's balances (valued) and futures positions at one moment."""

    connection_id: int
    connection: str
    exchange: str
    balances: pd.DataFrame  # BALANCE_COLUMNS
    positions: pd.DataFrame  # POSITION_COLUMNS
    total_usdt: float  # priced assets only
    unpriced: tuple[str, ...]  # assets shown as "no price"


@dataclass(frozen=True)
class Activity:
    """One connection's open orders, order history and fills over [since_ms, until_ms]."""

    connection_id: int
    connection: str
    exchange: str
    orders: pd.DataFrame  # ORDER_COLUMNS, open and past orders, newest first
    trades: pd.DataFrame  # TRADE_COLUMNS, newest first
    since_ms: int
    until_ms: int
    symbols: tuple[str, ...] = ()  # symbols asked one by one (exchanges that need a symbol)
    calls: int = 0  # order/fill calls made, pagination included
    listed: tuple[str, ...] = ()  # every active symbol the exchange lists for these markets
    # (market, kind, symbol) -> [from, until] ms that the settled rows fetched here cover
    coverage: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)


# --- Market cache (on disk) --------------------------------------------------------------------


# --- Snapshots and value history ---------------------------------------------------------------


def save_snapshot(db: Database, portfolio: Portfolio, *, taken_at: str | None = None) -> None:
    """Record the connection's value now (one row of `balance_snapshots`)."""
    body = {
        "balances": [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in portfolio.balances[["market", "asset", "total", "price", "value"]].to_dict(
                "records"
            )
        ],
        "unpriced": list(portfolio.unpriced),
        "positions": len(portfolio.positions),
    }
    with write(db):
        db.execute(
            "INSERT INTO balance_snapshots (connection_id, taken_at, total_usdt, body) "
            "VALUES (?, ?, ?, ?)",
            [portfolio.connection_id, taken_at or now_iso(), portfolio.total_usdt, dumps(body)],
        )


def value_history(db: Database, connection_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Snapshots as HISTORY_COLUMNS (oldest first), for the chosen connections or all."""
    query = (
        "SELECT s.taken_at, s.connection_id, c.name AS connection, s.total_usdt "
        "FROM balance_snapshots s JOIN connections c ON c.id = s.connection_id"
    )
    args: list[Any] = []
    if connection_ids is not None:
        ids = [int(i) for i in connection_ids]
        if not ids:
            return _frame([], HISTORY_COLUMNS)
        query += f" WHERE s.connection_id IN ({', '.join('?' * len(ids))})"
        args = ids
    rows = db.execute(query + " ORDER BY s.taken_at, s.id", args).fetchall()
    return _frame([dict(zip(HISTORY_COLUMNS, r, strict=True)) for r in rows], HISTORY_COLUMNS)


def latest_values(db: Database) -> dict[int, float]:
    """connection id -> total value (USDT) of its latest snapshot."""
    rows = db.execute(
        "SELECT connection_id, total_usdt FROM balance_snapshots WHERE id IN "
        "(SELECT MAX(id) FROM balance_snapshots GROUP BY connection_id)"
    ).fetchall()
    return {int(cid): float(total) for cid, total in rows if total is not None}


def strategy_pairs(db: Database, connection_id: int) -> tuple[str, ...]:
    """Pairs of the connection's saved strategies ("BTC/USDT", "ETH/USDT:USDT", ...)."""
    pairs: set[str] = set()
    for (params,) in db.execute(
        "SELECT params FROM strategies WHERE connection_id = ?", [connection_id]
    ).fetchall():
        try:
            found = json.loads(params).get("pairs") or []
        except (ValueError, AttributeError):
            continue
        pairs.update(p for p in found if isinstance(p, str) and "/" in p)
    return tuple(sorted(pairs))


# --- Async plumbing ----------------------------------------------------------------------------


def _first_error(group: BaseExceptionGroup) -> BaseException:
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    return next((e for e in leaves if isinstance(e, BackfutureError)), leaves[0])


async def _together(*jobs: Awaitable[Any]) -> list[Any]:
    """Run `jobs` concurrently; on the first failure cancel the rest and raise that error."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(job)) for job in jobs]
    except BaseExceptionGroup as failed:
        raise _first_error(failed) from None
    return [task.result() for task in tasks]


async def _awaited(job: Awaitable[T]) -> T:
    return await job


Work = Callable[[ExchangeAdapter, Connection], Awaitable[Any]]
Opened = list[tuple[Connection, ExchangeAdapter | BackfutureError]]
Batch = Callable[[Opened], Awaitable[list[Any]]]


async def _with_adapters(
    jobs: Sequence[tuple[Connection, Credentials | BackfutureError, dict[str, dict]]],
    batch: Batch,
) -> list[tuple[Any, dict[str, dict]]]:
    """Open one adapter per connection (or keep the reason it cannot be), run `batch` over
    them all, close them all: (result or BackfutureError, downloaded markets) per connection."""
    async with contextlib.AsyncExitStack() as stack:
        opened: Opened = []
        for conn, creds, markets in jobs:
            if isinstance(creds, BackfutureError):
                opened.append((conn, creds))
                continue
            try:
                adapter = create_adapter(conn, creds, markets=markets)
            except BackfutureError as exc:
                opened.append((conn, exc))
                continue
            opened.append((conn, await stack.enter_async_context(adapter)))
        outcomes = await batch(opened)
        fresh = [a.fresh_markets if isinstance(a, ExchangeAdapter) else {} for _, a in opened]
    return list(zip(outcomes, fresh, strict=True))


def each_connection(work: Work) -> Batch:
    """A batch that runs `work(adapter, connection)` for every connection concurrently; an
    ExchangeError (or any BackfutureError) becomes that connection's result."""

    async def batch(opened: Opened) -> list[Any]:
        async def one(conn: Connection, adapter: ExchangeAdapter | BackfutureError) -> Any:
            if isinstance(adapter, BackfutureError):
                return adapter
            try:
                return await work(adapter, conn)
            except BackfutureError as exc:
                return exc

        return list(await asyncio.gather(*(one(c, a) for c, a in opened)))

    return batch


def _run_each(db: Database, vault, connections: Sequence[Connection], batch: Batch) -> list[Any]:
    """Credentials and cached markets read here, network on a worker thread, markets stored
    here: the database handle never leaves the caller's thread."""
    cached = read_market_cache(db, connections)
    jobs = []
    for conn in connections:
        try:
            creds: Credentials | BackfutureError = load_credentials(db, vault, conn.id)
        except BackfutureError as exc:
            creds = exc
        jobs.append((conn, creds, cached.get(conn.id, {})))
    results = run_sync(lambda: _with_adapters(jobs, batch))
    for conn, (_, fresh) in zip(connections, results, strict=True):
        store_market_cache(db, conn, fresh)
    return [outcome for outcome, _ in results]


def _markets_of(connection: Connection) -> list[str]:
    market = connection.market
    return [m for m, ok in ((SPOT, market.has_spot), (FUTURES, market.has_futures)) if ok]


async def _load_markets(adapter: ExchangeAdapter, markets: Iterable[str]) -> None:
    """Load each ccxt client's markets once (MEXC serves spot and futures from one client)."""
    by_client = {adapter.ccxt_id(m): m for m in markets}
    await _together(*(adapter.load_markets(m) for m in by_client.values()))


def _symbols(adapter: ExchangeAdapter, market: str) -> dict[str, Mapping[str, Any]]:
    """symbol -> market of the client's `market` kind (MEXC's one client holds both kinds)."""
    markets = adapter.client(market).markets or {}
    if market == SPOT:
        return {s: m for s, m in markets.items() if m.get("spot")}
    return {s: m for s, m in markets.items() if m.get("swap") or m.get("future")}


# --- Balances ----------------------------------------------------------------------------------


async def _tickers(adapter: ExchangeAdapter, market: str, symbols: Sequence[str]) -> dict:
    return await adapter.call(market, "fetch_tickers", list(symbols)) if symbols else {}


@dataclass(frozen=True)
class _Holdings:
    """One connection's balances and positions before valuation, and the tickers they need."""

    balances: pd.DataFrame  # BALANCE_COLUMNS, not valued yet
    positions: list[dict]  # ccxt positions
    needed: list[str]  # spot symbols that value the balances
    unmarked: list[str]  # futures symbols of positions without a mark price
    futures_markets: dict[str, Mapping[str, Any]]


async def _holdings(adapter: ExchangeAdapter, connection: Connection) -> _Holdings:
    """Markets (unless cached), then balances and positions together."""
    await _load_markets(adapter, [SPOT, *_markets_of(connection)])
    jobs: dict[str, Awaitable[Any]] = {}
    if connection.market.has_spot:
        jobs["spot"] = adapter.call(SPOT, "fetch_balance")
    if connection.market.has_futures:
        jobs["futures"] = adapter.fetch_futures_balance()
        jobs["positions"] = adapter.call(FUTURES, "fetch_positions")
    got = dict(zip(jobs, await _together(*jobs.values()), strict=True))
    rows = balance_rows(got.get("spot") or {}, SPOT)
    rows += balance_rows(got.get("futures") or {}, FUTURES)
    balances = _frame(_tag(rows, connection), BALANCE_COLUMNS)
    positions = [p for p in got.get("positions") or [] if isinstance(p, dict)]
    unmarked = {
        p["symbol"] for p in positions if p.get("symbol") and not _num(p.get("markPrice")) > 0
    }
    return _Holdings(
        balances,
        positions,
        valuation_symbols(balances["asset"], _symbols(adapter, SPOT)),
        sorted(unmarked),
        _symbols(adapter, FUTURES) if connection.market.has_futures else {},
    )


def _valued(connection: Connection, held: _Holdings, spot: Mapping, futures: Mapping) -> Portfolio:
    balances = value_balances(held.balances, spot)
    marks = {s: ticker_price(t) for s, t in futures.items()}
    rows = position_rows(held.positions, marks, held.futures_markets)
    unpriced = tuple(sorted(set(balances.loc[balances["priced_by"] == NO_PRICE, "asset"])))
    return Portfolio(
        connection.id,
        connection.name,
        connection.exchange,
        balances,
        _frame(_tag(rows, connection), POSITION_COLUMNS),
        float(balances["value"].sum(skipna=True)),
        unpriced,
    )


async def _price(
    adapter: ExchangeAdapter, futures_adapter: ExchangeAdapter, held: Sequence[_Holdings]
) -> tuple[dict, dict]:
    """One batched spot ticker call for every balance of `held` (plus one futures call for
    positions without a mark price)."""
    needed = sorted({s for h in held for s in h.needed})
    unmarked = sorted({s for h in held for s in h.unmarked})
    spot, futures = await _together(
        _tickers(adapter, SPOT, needed), _tickers(futures_adapter, FUTURES, unmarked)
    )
    return spot or {}, futures or {}


async def _portfolios(opened: Opened) -> list[Any]:
    """Every connection's holdings concurrently, then ONE ticker call per exchange (per
    source: demo, custom base URL and the real exchange are priced apart)."""

    outcomes: list[Any] = await each_connection(_holdings)(opened)
    groups: dict[str, list[int]] = {}
    for i, (conn, _) in enumerate(opened):
        if isinstance(outcomes[i], _Holdings):
            groups.setdefault(cache_source(conn), []).append(i)

    async def value(indices: list[int]) -> None:
        adapter = opened[indices[0]][1]
        futures = next((i for i in indices if opened[i][0].market.has_futures), indices[0])
        try:
            spot, marks = await _price(adapter, opened[futures][1], [outcomes[i] for i in indices])
        except BackfutureError as exc:
            for i in indices:
                outcomes[i] = exc
            return
        for i in indices:
            outcomes[i] = _valued(opened[i][0], outcomes[i], spot, marks)

    await asyncio.gather(*(value(indices) for indices in groups.values()))
    return outcomes


def fetch_portfolios(
    db: Database, vault, connections: Sequence[Connection]
) -> list[Portfolio | BackfutureError]:
    """Fetch every connection concurrently; one result or classified error per connection.

    Balances of connections to the same exchange are valued from one batched ticker call.
    Each success stores a balance snapshot. Downloaded markets are cached on disk.
    """
    outcomes = _run_each(db, vault, connections, _portfolios)
    for outcome in outcomes:
        if isinstance(outcome, Portfolio):
            save_snapshot(db, outcome)
    return outcomes


# --- Orders and fills --------------------------------------------------------------------------


def _spans(since: int | None, until: int | None, window: int | None) -> list[tuple[Any, Any]]:
    if window is None or since is None or until is None:
        return [(since, until)]
    return [(start, min(start + window, until)) for start in range(since, until, window)]


async def _page_through(
    adapter: ExchangeAdapter,
    market: str,
    plan: Paging,
    symbol: str | None,
    start: int | None,
    end: int | None,
    calls: list[int],
) -> list[dict]:
    """Every record of one span, page by page."""
    rows: list[dict] = []
    cursor, page = start, 1
    for _ in range(MAX_PAGES):
        params = dict(plan.params)
        if plan.window_ms is not None and end is not None:
            params[plan.until_param] = end
        if plan.page_param:
            params[plan.page_param] = page
        batch = await adapter.call(market, plan.method, symbol, cursor, plan.limit, params)
        calls[0] += 1
        batch = [r for r in batch or [] if isinstance(r, dict)]
        rows += batch
        if plan.limit is None or len(batch) < plan.limit:
            break
        if plan.page_param:
            page += 1
            continue
        stamps = [_num(r.get("timestamp")) for r in batch]
        last = max((int(t) for t in stamps if t > 0), default=None)
        if cursor is None or last is None:
            break
        cursor = last if last > cursor else cursor + 1  # rows at `last` repeat: deduplicated
    return rows


async def _listing(
    adapter: ExchangeAdapter,
    market: str,
    plan: Paging,
    symbols: Sequence[str],
    since: int | None,
    until: int | None,
    calls: list[int],
    starts: Mapping[str, int] | None = None,
) -> list[dict]:
    """Every (symbol, span) of a listing concurrently; `starts` moves a symbol's start past
    what is already stored ("" for listings that take no symbol)."""
    targets: Sequence[str | None] = symbols if plan.per_symbol else [None]
    if not plan.method:
        return []
    starts = starts or {}
    jobs = [
        _page_through(adapter, market, plan, symbol, start, end, calls)
        for symbol in targets
        for start, end in _spans(starts.get(symbol or "", since), until, plan.window_ms)
    ]
    return [row for rows in await _together(*jobs) for row in rows]


def _wanted(
    symbols: Mapping[str, Any], held: Iterable[str], pairs: Iterable[str], market: str
) -> list[str]:
    """Symbols to ask one by one: the held assets' USDT pairs (spot) or open positions
    (futures), plus saved strategy pairs and the user's choice, where the exchange lists them."""
    wanted = set(held)
    for pair in pairs:
        is_futures = ":" in pair
        if is_futures == (market == FUTURES):
            wanted.add(pair)
    return sorted(s for s in wanted if s in symbols)


async def _held_symbols(adapter: ExchangeAdapter, connection: Connection, market: str) -> list[str]:
    if market == SPOT:
        rows = balance_rows(await adapter.call(SPOT, "fetch_balance"), SPOT)
        return [f"{r['asset']}/{VALUE_CURRENCY}" for r in rows if r["asset"] != VALUE_CURRENCY]
    positions = await adapter.call(FUTURES, "fetch_positions")
    return [p["symbol"] for p in positions or [] if isinstance(p, dict) and p.get("symbol")]


async def _market_activity(
    adapter: ExchangeAdapter,
    connection: Connection,
    market: str,
    since: int,
    until: int,
    pairs: Sequence[str],
    calls: list[int],
    only_pairs: bool,
    coverage: Coverage,
) -> tuple[list[dict], list[dict], list[str], Coverage]:
    plans = {k: adapter.PAGING[(market, k)] for k in ("open", "orders", "trades")}
    if only_pairs:  # adding pairs to an earlier answer: only the per-symbol listings
        plans = {k: plan for k, plan in plans.items() if plan.per_symbol}
    symbols: list[str] = []
    if any(plan.per_symbol for plan in plans.values()):
        held = [] if only_pairs else await _held_symbols(adapter, connection, market)
        symbols = _wanted(_symbols(adapter, market), held, pairs, market)
    none = Paging("", 0, per_symbol=True)  # a listing left out: asks nothing, lists nothing
    keys = {
        kind: [s or "" for s in (symbols if plans[kind].per_symbol else [None])]
        for kind in ("orders", "trades")
        if kind in plans
    }
    starts = {
        kind: {key: fetch_start(coverage, market, kind, key, since) for key in kinds}
        for kind, kinds in keys.items()
    }
    open_orders, history, trades = await _together(
        _listing(adapter, market, plans.get("open", none), symbols, None, None, calls),
        _listing(
            adapter, market, plans.get("orders", none), symbols, since, until, calls,
            starts.get("orders"),
        ),
        _listing(
            adapter, market, plans.get("trades", none), symbols, since, until, calls,
            starts.get("trades"),
        ),
    )  # fmt: skip
    orders = order_rows(history, market) + order_rows(open_orders, market)
    covered = new_coverage(coverage, market, starts, since, until, orders)
    return orders, trade_rows(trades, market), symbols, covered


def _listed(adapter: ExchangeAdapter, markets: Iterable[str]) -> tuple[str, ...]:
    symbols = set()
    for market in markets:
        symbols |= {s for s, m in _symbols(adapter, market).items() if m.get("active") is not False}
    return tuple(sorted(symbols))


def _unique(orders: pd.DataFrame, trades: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per order and fill, newest first. Window edges overlap and open orders also
    appear in some histories: the row listed last (the open-orders answer) wins."""
    orders = orders.drop_duplicates(["market", "order_id"], keep="last")
    trades = trades.drop_duplicates(["market", "trade_id"], keep="last")
    return (
        orders.sort_values("time", ascending=False, kind="stable").reset_index(drop=True),
        trades.sort_values("time", ascending=False, kind="stable").reset_index(drop=True),
    )


def _activity_work(
    since: int,
    until: int,
    pairs: Mapping[int, Sequence[str]],
    only_pairs: bool = False,
    coverage: Mapping[int, Coverage] | None = None,
) -> Work:
    async def work(adapter: ExchangeAdapter, connection: Connection) -> Activity:
        markets = _markets_of(connection)
        await _load_markets(adapter, markets)
        calls = [0]
        chosen = pairs.get(connection.id, ())
        stored = (coverage or {}).get(connection.id, {})
        parts = await _together(
            *(
                _market_activity(
                    adapter, connection, m, since, until, chosen, calls, only_pairs, stored
                )
                for m in markets
            )
        )
        orders, trades = _unique(
            _frame(_tag([r for p in parts for r in p[0]], connection), ORDER_COLUMNS),
            _frame(_tag([r for p in parts for r in p[1]], connection), TRADE_COLUMNS),
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
            _listed(adapter, markets),
            {key: span for p in parts for key, span in p[3].items()},
        )

    return work


def merge_activity(earlier: Activity, added: Activity) -> Activity:
    """`earlier` with the orders and fills of more symbols (`added`, same period) joined in."""
    orders, trades = _unique(
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


def fetch_activity(
    db: Database,
    vault,
    connections: Sequence[Connection],
    *,
    since_ms: int,
    until_ms: int | None = None,
    pairs: Iterable[str] = (),
    only_pairs: bool = False,
) -> list[Activity | BackfutureError]:
    """Open orders, order history and fills since `since_ms` for every connection,
    concurrently; one result or classified error per connection. `pairs` are the user's
    chosen pairs (asked on exchanges that need a symbol, with saved strategy pairs). With
    `only_pairs`, only the per-symbol listings of `pairs` are asked (to `merge_activity`
    into an earlier answer)."""
    until = int(time.time() * 1000) if until_ms is None else int(until_ms)
    chosen = tuple(pairs)
    per_connection = {
        c.id: chosen if only_pairs else (*strategy_pairs(db, c.id), *chosen) for c in connections
    }
    coverage = {c.id: read_coverage(db, c.id) for c in connections}
    work = _activity_work(int(since_ms), until, per_connection, only_pairs, coverage)
    results = _run_each(db, vault, connections, each_connection(work))
    return [
        with_settled(db, conn, result) if isinstance(result, Activity) else result
        for conn, result in zip(connections, results, strict=True)
    ]


# --- Settled history (on disk) -----------------------------------------------------------------

SETTLE_MS = 5 * 60_000  # fills and closed orders younger than this may still be arriving
Coverage = dict[tuple[str, str, str], tuple[int, int]]


def read_coverage(db: Database, connection_id: int) -> Coverage:
    rows = db.execute(
        "SELECT market, kind, symbol, covered_from, covered_until FROM activity_coverage"
        " WHERE connection_id = ?",
        [connection_id],
    ).fetchall()
    return {(m, k, sym): (int(f), int(u)) for m, k, sym, f, u in rows}


def fetch_start(coverage: Coverage, market: str, kind: str, symbol: str, since: int) -> int:
    """Where a listing must start: after the stored rows, when they reach back to `since`."""
    covered = coverage.get((market, kind, symbol))
    if covered is None or not covered[0] <= since < covered[1]:
        return since
    return covered[1]


def new_coverage(
    coverage: Coverage,
    market: str,
    starts: Mapping[str, Mapping[str, int]],
    since: int,
    until: int,
    orders: Sequence[Mapping[str, Any]],
) -> Coverage:
    """What the stored rows cover after this fetch. An order still open may close later with
    its old time, so order coverage stops before the oldest open order of its symbol."""
    oldest_open: dict[str, float] = {}
    for row in orders:
        if row["status"] == "open" and not math.isnan(row["time"]):
            for key in (row["symbol"], ""):
                oldest_open[key] = min(oldest_open.get(key, math.inf), row["time"])
    spans: Coverage = {}
    for kind, by_symbol in starts.items():
        for symbol, start in by_symbol.items():
            end = until - SETTLE_MS
            if kind == "orders" and symbol in oldest_open:
                end = min(end, int(oldest_open[symbol]) - 1)
            previous = coverage.get((market, kind, symbol))
            first = previous[0] if previous is not None and start > since else since
            spans[(market, kind, symbol)] = (first, max(end, start))
    return spans


_TAGS = ("connection_id", "connection", "exchange")


def _settled_records(frame: pd.DataFrame, kind: str, id_column: str) -> list[list[Any]]:
    if kind == "orders":
        frame = frame[frame["status"] != "open"]
    if frame.empty:
        return []
    times = frame["time"].map(lambda t: None if pd.isna(t) else t.value // 1_000_000)
    body = frame.drop(columns=[c for c in _TAGS if c in frame]).assign(time=times)
    return [
        [record["market"], kind, str(record[id_column]), record["time"], dumps(record)]
        for record in body.to_dict("records")
        if record[id_column]
    ]


def with_settled(db: Database, connection: Connection, activity: Activity) -> Activity:
    """`activity` joined with the stored closed orders and fills of its period; what it fetched
    that is settled is stored, with the span it covers."""
    rows = db.execute(
        "SELECT kind, body FROM activity_rows WHERE connection_id = ? AND time_ms BETWEEN ? AND ?",
        [connection.id, activity.since_ms, activity.until_ms],
    ).fetchall()
    stored = {"orders": [], "trades": []}
    for kind, body in rows:
        stored[kind].append(json.loads(body))
    records = _settled_records(activity.orders, "orders", "order_id")
    records += _settled_records(activity.trades, "trades", "trade_id")
    with write(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO activity_rows VALUES (?, ?, ?, ?, ?, ?)",
            [[connection.id, *record] for record in records],
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO activity_coverage VALUES (?, ?, ?, ?, ?, ?)",
            [[connection.id, *key, *span] for key, span in activity.coverage.items()],
        )
    if not rows:
        return activity
    orders, trades = _unique(
        pd.concat(
            [_frame(_tag(stored["orders"], connection), ORDER_COLUMNS), activity.orders],
            ignore_index=True,
        ),
        pd.concat(
            [_frame(_tag(stored["trades"], connection), TRADE_COLUMNS), activity.trades],
            ignore_index=True,
        ),
    )
    return replace(activity, orders=orders, trades=trades)


# --- Keep the last good result, mark it stale --------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """Something to tell about one connection's data: `connection` is user text (plain text
    only), `text` is BackFuture's own wording."""

    connection: str
    level: str  # "warning" (stale data shown) | "error" (nothing to show)
    text: str


def _notices(connections: Sequence[Connection], entries: Sequence[Fetched]) -> list[Notice]:
    notices = []
    for conn, entry in zip(connections, entries, strict=True):
        if entry.stale:
            notices.append(
                Notice(
                    conn.name,
                    "warning",
                    f"Showing stale data. {freshness_text(entry.fetched_at)} "
                    f"The refresh failed: {entry.error}",
                )
            )
        elif entry.value is None and entry.error:
            notices.append(Notice(conn.name, "error", entry.error))
    return notices


def _oldest(entries: Sequence[Fetched]) -> float | None:
    times = [e.fetched_at for e in entries if e.fetched_at is not None]
    return min(times) if times else None


# --- Views for the pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioView:
    balances: pd.DataFrame  # BALANCE_COLUMNS, every connection shown
    positions: pd.DataFrame  # POSITION_COLUMNS
    totals: pd.DataFrame  # TOTALS_COLUMNS, one row per connection
    total_usdt: float
    fetched_at: float | None  # the oldest data shown
    notices: tuple[Notice, ...]
    futures: bool  # a futures connection is shown

    @property
    def last_updated(self) -> str:
        return freshness_text(self.fetched_at)


def _concat(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _frame([], columns)
    return pd.concat(frames, ignore_index=True)[list(columns)]


def portfolio_view(connections: Sequence[Connection], entries: Sequence[Fetched]) -> PortfolioView:
    values = [e.value for e in entries if e.value is not None]
    totals = []
    for conn, entry in zip(connections, entries, strict=True):
        p = entry.value
        state = "stale" if entry.stale else ("failed" if p is None else "fresh")
        totals.append(
            {
                "connection_id": conn.id,
                "connection": conn.name,
                "total_usdt": p.total_usdt if p is not None else math.nan,
                "unpriced": ", ".join(p.unpriced) if p is not None else "",
                "state": state,
            }
        )
    return PortfolioView(
        _concat([p.balances for p in values], BALANCE_COLUMNS),
        _concat([p.positions for p in values], POSITION_COLUMNS),
        _frame(totals, TOTALS_COLUMNS),
        float(sum(p.total_usdt for p in values)),
        _oldest(entries),
        tuple(_notices(connections, entries)),
        any(c.market.has_futures for c in connections),
    )


def refresh_balances(
    db: Database,
    vault,
    connections: Sequence[Connection],
    cache: ResultCache,
    *,
    force: bool = False,
) -> PortfolioView:
    """The balances view of `connections`: fetched again where the session's copy is older
    than the TTL (or `force`), the last good data kept (stale) where a refresh fails."""
    by_id = {c.id: c for c in connections}
    entries = cache.refresh(
        [c.id for c in connections],
        lambda ids: fetch_portfolios(db, vault, [by_id[i] for i in ids]),
        force=force,
    )
    return portfolio_view(connections, entries)


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
    out = priced.groupby("asset", as_index=False)["value"].sum()
    return out.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class ActivityView:
    orders: pd.DataFrame  # ORDER_COLUMNS
    trades: pd.DataFrame  # TRADE_COLUMNS
    fetched_at: float | None
    notices: tuple[Notice, ...]
    listed: tuple[str, ...] = ()  # every symbol the connections' exchanges list

    @property
    def last_updated(self) -> str:
        return freshness_text(self.fetched_at)


def activity_view(connections: Sequence[Connection], entries: Sequence[Fetched]) -> ActivityView:
    values = [e.value for e in entries if e.value is not None]
    orders = _concat([a.orders for a in values], ORDER_COLUMNS)
    trades = _concat([a.trades for a in values], TRADE_COLUMNS)
    return ActivityView(
        orders.sort_values("time", ascending=False, kind="stable").reset_index(drop=True),
        trades.sort_values("time", ascending=False, kind="stable").reset_index(drop=True),
        _oldest(entries),
        tuple(_notices(connections, entries)),
        tuple(sorted({s for a in values for s in a.listed})),
    )


def _covers(entry: Fetched | None, connection: Connection, pair: str | None) -> bool:
    """Whether the cached activity already includes `pair` (exchanges asked per symbol)."""
    if entry is None or entry.value is None or not pair:
        return True
    per_symbol = any(
        adapter_class(connection.exchange).PAGING[(m, kind)].per_symbol
        for m in _markets_of(connection)
        for kind in ("open", "orders", "trades")
    )
    return not per_symbol or pair not in entry.value.listed or pair in entry.value.symbols


def refresh_orders(
    db: Database,
    vault,
    connections: Sequence[Connection],
    cache: ResultCache,
    *,
    days: int,
    pair: str | None = None,
    force: bool = False,
) -> ActivityView:
    """The orders view over the last `days`: cached per (connection, days) for the TTL; a
    chosen `pair` that a per-symbol exchange was not asked about is asked for on its own
    and joined in."""
    by_key = {(c.id, days): c for c in connections}
    keys = list(by_key)
    fresh = [k for k in keys if not cache.due(k, force=force)]
    missing = [k for k in fresh if not _covers(cache.get(k), by_key[k], pair)]
    periods: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for key in missing if pair else []:
        value = cache.get(key).value
        periods.setdefault((value.since_ms, value.until_ms), []).append(key)
    for (since, until), group in periods.items():
        added = fetch_activity(
            db, vault, [by_key[k] for k in group], since_ms=since, until_ms=until,
            pairs=[pair], only_pairs=True,
        )  # fmt: skip
        for key, outcome in zip(group, added, strict=True):
            cache.amend(key, outcome, merge_activity)

    def fetch(due: list[tuple[int, int]]):
        now = int(time.time() * 1000)
        return fetch_activity(
            db, vault, [by_key[k] for k in due], since_ms=now - days * DAY_MS, until_ms=now,
            pairs=[pair] if pair else [],
        )  # fmt: skip

    entries = cache.refresh(keys, fetch, force=force)
    return activity_view(connections, entries)


def filter_orders(
    frame: pd.DataFrame,
    *,
    pair: str | None = None,
    side: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Rows matching every filter given (None = any)."""
    mask = pd.Series(True, index=frame.index)
    if pair:
        mask &= frame["symbol"] == pair
    if side:
        mask &= frame["side"] == side
    if status and "status" in frame.columns:
        mask &= frame["status"] == status
    return frame[mask].reset_index(drop=True)


def pair_options(view: ActivityView) -> list[str]:
    """Pairs to filter on: those in the data first, then every other listed pair (choosing
    one of those asks an exchange that answers per symbol about it)."""
    seen = {s for s in set(view.orders["symbol"]) | set(view.trades["symbol"]) if s}
    return sorted(seen) + sorted(set(view.listed) - seen)


def chart_pair(orders: pd.DataFrame, trades: pd.DataFrame, chosen: str | None) -> str | None:
    """The pair to draw: the chosen one, else the one with the most fills (or orders)."""
    if chosen:
        return chosen
    for frame in (trades, orders):
        if len(frame):
            return str(frame["symbol"].value_counts().index[0])
    return None


def refresh_candles(
    db: Database,
    vault,
    connections: Sequence[Connection],
    view: ActivityView,
    pair: str,
    days: int,
    cache: ResultCache,
    *,
    force: bool = False,
) -> Fetched:
    """Spot candles of `pair` over the period (disk-cached by `candles`), from the first
    connection with activity in the pair; kept per session like the other views."""
    ids = set(view.orders.loc[view.orders["symbol"] == pair, "connection_id"])
    conn = next((c for c in connections if c.id in ids), connections[0])
    timeframe = CHART_TIMEFRAMES.get(days, "1h")

    def fetch(keys):
        until = int(time.time() * 1000)
        try:
            return [price_candles(db, vault, conn, pair, timeframe, until - days * DAY_MS, until)]
        except BackfutureError as exc:
            return [exc]

    return cache.refresh([(conn.id, candle_symbol(pair), days)], fetch, force=force)[0]


def price_candles(
    db: Database,
    vault,
    connection: Connection,
    pair: str,
    timeframe: str,
    since_ms: int,
    until_ms: int,
) -> pd.DataFrame:
    """Spot candles of `pair` through the `candles` disk cache, downloading the missing ones
    with the cached market list (a cold MEXC client waits seconds after its market download).
    Raises ExchangeError."""
    plan = candles.plan_candles(db, connection, candle_symbol(pair), timeframe, since_ms, until_ms)
    if plan.runs:
        limit = adapter_class(connection.exchange).CANDLES_PER_CALL

        async def download(adapter: ExchangeAdapter, conn: Connection) -> list[list]:
            return await candles.download_candles(adapter, plan, market=SPOT, page_limit=limit)

        (rows,) = _run_each(db, vault, [connection], each_connection(download))
        if isinstance(rows, BaseException):
            raise rows
        candles.store_candles(db, plan, rows)
    return candles.read_candles(db, plan)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV of `frame`; text cells that a spreadsheet would run as a formula are quoted."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
            )
    return out.to_csv(index=False).encode("utf-8")
