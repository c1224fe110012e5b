"""Running a backtest for the page: fetch a pair's recent candles through the candle pipeline,
replay them with and without Recovery Mode, and lay the two results side by side.

The replay itself is `backtest.py` (pure, offline); this module is where it meets the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlite_utils import Database

from backfuture_core.market_data.candles import (
    candle_symbol,
    fetch_candles_sync,
    now_ms,
    timeframe_ms,
)
from backfuture_core.models import Connection, Credentials
from backfuture_core.strategy.backtest import compare_recovery
from backfuture_core.strategy.backtest_results import BacktestResult
from backfuture_core.strategy.params import StrategyParams
from backfuture_core.values import DAY_MS

PERIOD_DAYS = (7, 30, 90)  # the periods the page offers, in days back from now

COMPARISON_ROWS = (
    "Deals closed",
    "Win rate",
    "Net profit",
    "Max drawdown",
    "Max floating drawdown",
    "Reinforcements used",
    "Time in deals",
    "Deals that reached Recovery Mode",
    "Deals saved by Recovery Mode",
    "Stopped out",
    "Open deal at the end",
    "Final equity",
    "Fees paid",
)


@dataclass(frozen=True)
class BacktestRun:
    pair: str
    candles: pd.DataFrame
    with_recovery: BacktestResult
    without_recovery: BacktestResult


def backtest_pair_sync(
    db: Database,
    connection: Connection,
    credentials: Credentials,
    params: StrategyParams,
    pair: str,
    *,
    days: int,
    timeframe: str,
    initial_balance: float,
    deadline_s: float | None = None,
) -> BacktestRun:
    """Fetch the last `days` of candles of `pair` and replay them with and without Recovery
    Mode. Raises ExchangeError (candles) or ValidationError (settings, no candles)."""
    step = timeframe_ms(timeframe)
    end = now_ms() // step * step  # the last complete candle
    frame = fetch_candles_sync(
        db, connection, credentials, candle_symbol(pair), timeframe, end - days * DAY_MS, end,
        deadline_s=deadline_s,
    )  # fmt: skip
    with_recovery, without = compare_recovery(params, frame, initial_balance=initial_balance)
    return BacktestRun(pair, frame, with_recovery, without)


def comparison_frame(run: BacktestRun) -> pd.DataFrame:
    """Metric -> value with and without Recovery Mode, side by side."""
    a, b = run.with_recovery.summary(), run.without_recovery.summary()
    return pd.DataFrame(
        {
            "Metric": list(COMPARISON_ROWS),
            "With Recovery Mode": [a.get(k, "") for k in COMPARISON_ROWS],
            "Without Recovery Mode": [b.get(k, "") for k in COMPARISON_ROWS],
        }
    )
