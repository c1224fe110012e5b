"""The Balances and Orders tables as people read them: the columns that matter first (risk
figures right after the contract and side, Price/Amount/Status before the details), every cell
formatted once through `formatting.py` (readable local times with their zone, thousands
separators, symbols as people write them, an em dash where a value is missing), and the
Connection column last, or left out when one connection is shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from backfuture_core.formatting import (
    MISSING,
    format_amount,
    format_number,
    format_share,
    format_symbol,
    format_time,
    is_missing,
    title_of,
)

BALANCE_VIEW = (
    "asset", "value", "share", "total", "free", "used", "price", "priced_by", "market",
    "connection",
)  # fmt: skip
POSITION_VIEW = (
    "symbol", "side", "liquidation_price", "liquidation_distance_pct", "mark_price",
    "entry_price", "size", "notional", "unrealized_pnl", "leverage", "contracts", "margin_mode",
    "connection",
)  # fmt: skip
ORDER_VIEW = (
    "time", "symbol", "side", "price", "amount", "status", "type", "filled", "average", "cost",
    "market", "order_id", "connection",
)  # fmt: skip
TRADE_VIEW = (
    "time", "symbol", "side", "price", "amount", "cost", "fee", "fee_currency", "role", "market",
    "order_id", "trade_id", "connection",
)  # fmt: skip

LABELS = {
    "connection": "Connection", "market": "Market", "asset": "Asset", "free": "Free",
    "used": "Used", "total": "Total", "price": "Price", "value": "Value (USDT)",
    "share": "Share", "priced_by": "Priced by", "symbol": "Pair", "side": "Side",
    "contracts": "Contracts", "size": "Size", "notional": "Notional (USDT)",
    "entry_price": "Entry", "mark_price": "Mark", "unrealized_pnl": "Unrealised PnL (USDT)",
    "leverage": "Leverage", "liquidation_price": "Liquidation",
    "liquidation_distance_pct": "To liquidation", "margin_mode": "Margin mode",
    "time": "Time", "type": "Type", "status": "Status", "average": "Average",
    "amount": "Amount", "filled": "Filled", "cost": "Cost", "fee": "Fee",
    "fee_currency": "Fee asset", "role": "Role", "order_id": "Order id", "trade_id": "Fill id",
}  # fmt: skip
HELP = {
    "liquidation_distance_pct": "How far the mark price can move against the position before "
    "liquidation.",
    "share": "Share of the priced total.",
}


def _money(value: Any) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.2f}"


def _percent(value: Any) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.1f} %"


def _times(value: Any) -> str:
    return MISSING if is_missing(value) else f"{format_number(float(value))}×"


def _text(value: Any) -> str:
    return MISSING if is_missing(value) else str(value)


_AMOUNTS = (
    "free", "used", "total", "price", "contracts", "size", "entry_price", "mark_price",
    "liquidation_price", "average", "amount", "filled", "cost", "fee",
)  # fmt: skip
_FORMATS: dict[str, Callable[[Any], str]] = {
    **dict.fromkeys(("value", "notional", "unrealized_pnl"), _money),
    **dict.fromkeys(_AMOUNTS, format_amount),
    **dict.fromkeys(("side", "type", "status", "market", "role", "margin_mode"), title_of),
    "share": lambda v: format_share(float(v) / 100) if not is_missing(v) else MISSING,
    "liquidation_distance_pct": _percent,
    "leverage": _times,
    "time": lambda v: format_time(v, seconds=True),
    "symbol": format_symbol,
}


def display_frame(
    frame: pd.DataFrame, columns: Sequence[str], *, connections: int = 2
) -> pd.DataFrame:
    """`frame`'s `columns` (in that order) as text cells, ready for st.dataframe; the
    Connection column is left out when `connections` (how many are shown) is one."""
    kept = [c for c in columns if c != "connection" or connections > 1]
    return pd.DataFrame({c: _cells(frame[c], _FORMATS.get(c, _text)) for c in kept}, columns=kept)


def _cells(values: pd.Series, show: Callable[[Any], str]) -> list[str]:
    """Each value as text, each distinct value formatted once (a history of 10,000 orders
    repeats its pairs, sides, statuses and many prices)."""
    shown: dict[Any, str] = {}
    out = []
    for value in values:
        try:
            text = shown[value]
        except KeyError:
            text = shown[value] = show(value)
        except TypeError:  # an unhashable cell (never expected): formatted where it stands
            text = show(value)
        out.append(text)
    return out


def column_labels(columns: Sequence[str]) -> dict[str, str]:
    """Column key -> the heading people read."""
    return {c: LABELS.get(c, title_of(c)) for c in columns}
