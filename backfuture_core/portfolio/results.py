"""What one connection's portfolio fetch returns: its valued holdings (`Portfolio`) or its
orders and fills over a period (`Activity`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# (market, kind, symbol) -> [from, until] ms that the stored settled rows cover
Coverage = dict[tuple[str, str, str], tuple[int, int]]


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
    coverage: Coverage = field(default_factory=dict)  # spans of the settled rows fetched here
