"""Exchange answers as rows and frames: balances, positions, orders and fills parsed from ccxt
structures (their shape checked: a wrong one is a classified `wrong_address` error), and the
stable columns of every portfolio frame (empty frames keep them)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from backfuture_core.errors import ExchangeError
from backfuture_core.models import Connection
from backfuture_core.values import parse_symbol, to_float

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
TOTALS_COLUMNS = ("connection_id", "connection", "total_usdt", "unpriced", "state", "account")
TAG_COLUMNS = ("connection_id", "connection", "exchange")

_NUMERIC = {
    "free", "used", "total", "price", "value", "share", "contracts", "size", "notional",
    "entry_price", "mark_price", "unrealized_pnl", "leverage", "liquidation_price",
    "liquidation_distance_pct", "average", "amount", "filled", "cost", "fee", "total_usdt",
}  # fmt: skip
_TIMES = {"time", "taken_at"}


# --- Frames ------------------------------------------------------------------------------------


def to_frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame with exactly `columns` (in order) and stable dtypes, also when there are no rows."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column in columns:
        if column in _NUMERIC:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif column in _TIMES:
            values = frame[column]
            numeric = pd.api.types.is_numeric_dtype(values) and not values.empty
            unit: Literal["ms"] | None = "ms" if numeric else None  # exchange times: epoch ms
            frame[column] = pd.to_datetime(values, utc=True, errors="coerce", unit=unit)
        elif column == "connection_id":
            frame[column] = frame[column].astype("int64")
        else:
            frame[column] = frame[column].astype("object")
    return frame


def concat_frames(frames: Iterable[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """The non-empty `frames` one under the other, with `columns`; an empty frame if none."""
    kept = [f for f in frames if len(f)]
    if not kept:
        return to_frame([], columns)
    return pd.concat(kept, ignore_index=True)[list(columns)]


def tag_rows(rows: Iterable[Mapping[str, Any]], connection: Connection) -> list[dict[str, Any]]:
    """Rows with the connection's id, name and exchange added."""
    tags = {
        "connection_id": connection.id,
        "connection": connection.name,
        "exchange": connection.exchange,
    }
    return [{**tags, **row} for row in rows]


def newest_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("time", ascending=False, kind="stable").reset_index(drop=True)


def unique_activity(
    orders: pd.DataFrame, trades: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per order and fill, newest first. Window edges overlap and open orders also
    appear in some histories: the row listed last (the open-orders answer) wins."""
    orders = orders.drop_duplicates(["market", "order_id"], keep="last")
    trades = trades.drop_duplicates(["market", "trade_id"], keep="last")
    return newest_first(orders), newest_first(trades)


# --- The shape of an answer --------------------------------------------------------------------


def wrong_shape(what: str) -> ExchangeError:
    """An answer of the wrong shape: something answered, but not as the exchange's API does."""
    return ExchangeError("wrong_address", f"The {what} answer has the wrong shape.")


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """`value` if it is an object (None: empty), else a classified `wrong_shape` error."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise wrong_shape(what)
    return value


def records(value: Any, what: str) -> list[Mapping[str, Any]]:
    """`value` if it is a list of objects (None: empty), else a classified `wrong_shape` error."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise wrong_shape(what)
    found = list(value)
    if not all(isinstance(item, Mapping) for item in found):
        raise wrong_shape(what)
    return found


# --- Balances and positions --------------------------------------------------------------------


def balance_rows(balance: Any, market: str) -> list[dict[str, Any]]:
    """(market, asset, free, used, total) rows from a ccxt balance; all-zero assets left out."""
    balance = mapping(balance, f"{market} balance")
    totals = mapping(balance.get("total"), f"{market} balance")
    free = mapping(balance.get("free"), f"{market} balance")
    used = mapping(balance.get("used"), f"{market} balance")
    rows = []
    for asset in sorted(set(totals) | set(free) | set(used)):
        f, u, t = to_float(free.get(asset)), to_float(used.get(asset)), to_float(totals.get(asset))
        if math.isnan(t):
            t = (0.0 if math.isnan(f) else f) + (0.0 if math.isnan(u) else u)
        if t == 0 and not f and not u:
            continue
        rows.append({"market": market, "asset": asset, "free": f, "used": u, "total": t})
    return rows


def liquidation_distance_pct(side: str, mark: float, liquidation: float) -> float:
    """How far the mark price may move against the position before liquidation, in % of mark
    (negative once past it); NaN without a liquidation price."""
    mark, liquidation = to_float(mark), to_float(liquidation)
    if math.isnan(mark) or mark <= 0 or math.isnan(liquidation) or liquidation <= 0:
        return math.nan
    gap = (mark - liquidation) if side == "long" else (liquidation - mark)
    return gap / mark * 100


def position_rows(
    positions: Any,
    marks: Mapping[str, float],
    markets: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Normalised open positions; mark, notional and unrealised PnL are computed where the
    exchange leaves them out (MEXC), from `marks` (symbol -> mark price); notional is always
    size x mark."""
    rows = []
    for p in records(positions, "positions"):
        contracts = abs(to_float(p.get("contracts")))
        if math.isnan(contracts) or contracts == 0:
            continue
        symbol = str(p.get("symbol") or "")
        size_per = to_float(p.get("contractSize"))
        if math.isnan(size_per):
            size_per = to_float((markets.get(symbol) or {}).get("contractSize"))
        size = contracts * (1.0 if math.isnan(size_per) else size_per)
        side = str(p.get("side") or "").lower()
        entry = to_float(p.get("entryPrice"))
        mark = to_float(p.get("markPrice"))
        if math.isnan(mark):
            mark = to_float(marks.get(symbol))
        # size x mark everywhere: ccxt reports KuCoin's notional at the entry price.
        notional = size * mark if not math.isnan(mark) else abs(to_float(p.get("notional")))
        pnl = to_float(p.get("unrealizedPnl"))
        if math.isnan(pnl):
            pnl = (mark - entry) * size * (1 if side == "long" else -1)
        liquidation = to_float(p.get("liquidationPrice"))
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
                "leverage": to_float(p.get("leverage")),
                "liquidation_price": liquidation,
                "liquidation_distance_pct": liquidation_distance_pct(side, mark, liquidation),
                "margin_mode": p.get("marginMode") or "",
            }
        )
    return rows


# --- Orders and fills --------------------------------------------------------------------------


def _common(record: Mapping[str, Any], market: str) -> dict[str, Any]:
    """The columns orders and fills share; times stay epoch ms until `to_frame`."""
    symbol = str(record.get("symbol") or "")
    return {
        "market": market,
        "time": to_float(record.get("timestamp")),
        "symbol": symbol,
        "quote": parse_symbol(symbol).quote,
        "side": record.get("side") or "",
    }


def order_rows(orders: Any, market: str) -> list[dict[str, Any]]:
    """ORDER_COLUMNS rows (untagged) from ccxt orders."""
    rows = []
    for o in records(orders, f"{market} orders"):
        rows.append(
            {
                **_common(o, market),
                "type": o.get("type") or "",
                "status": o.get("status") or "",
                "price": to_float(o.get("price")),
                "average": to_float(o.get("average")),
                "amount": to_float(o.get("amount")),
                "filled": to_float(o.get("filled")),
                "cost": to_float(o.get("cost")),
                "order_id": str(o.get("id") or ""),
            }
        )
    return rows


def trade_rows(trades: Any, market: str) -> list[dict[str, Any]]:
    """TRADE_COLUMNS rows (untagged) from ccxt trades (fills)."""
    rows = []
    for t in records(trades, f"{market} fills"):
        fee = mapping(t.get("fee"), f"{market} fills")
        rows.append(
            {
                **_common(t, market),
                "price": to_float(t.get("price")),
                "amount": to_float(t.get("amount")),
                "cost": to_float(t.get("cost")),
                "fee": to_float(fee.get("cost")),
                "fee_currency": fee.get("currency") or "",
                "role": t.get("takerOrMaker") or "",
                "order_id": str(t.get("order") or ""),
                "trade_id": str(t.get("id") or ""),
            }
        )
    return rows
