"""The ladder preview as the strategy page shows it: the ladder at the current price, the capital
tiles, the table's number formats and the key figures.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from backfuture_core.strategy.ladder import Ladder, build_ladder
from backfuture_core.strategy.params import StrategyParams, margin_cap
from backfuture_core.strategy.run import BacktestRun, comparison_frame

RECOVERY_ROWS = ("Deals that reached Recovery Mode", "Deals saved by Recovery Mode")


def try_ladder(
    params: StrategyParams, entry_price: float | None, quote_balance: float | None
) -> Ladder | None:
    """The ladder at `entry_price`, or None when there is no price or the settings cannot form
    one (validation says why)."""
    if entry_price is None or not params.pairs:
        return None
    try:
        return build_ladder(params, entry_price, quote_balance=quote_balance)
    except (ValueError, TypeError, ZeroDivisionError):
        return None


def capital_figures(ladder: Ladder, quote_balance: float | None) -> dict[str, str]:
    """Capital the ladders need (all pairs) next to the margin limit and the balance, as short
    numbers for metric tiles; the quote currency is in the labels."""
    params = ladder.params
    cap = margin_cap(params, quote_balance)
    n_pairs = max(len(params.pairs), 1)
    unit = f" ({params.quote})" if params.quote else ""

    def number(value: float | None) -> str:
        return "not known" if value is None else f"{value:,.2f}"

    return {
        f"Capital needed{unit}": number(ladder.capital_needed * n_pairs),
        f"Margin limit{unit}": number(cap),
        f"Balance{unit}": number(quote_balance),
    }


def ladder_formats(columns: Iterable[str]) -> dict[str, str]:
    """printf formats for the ladder table's number columns (all but Level and Type)."""
    percent, money = ("Drop from entry %", "Bounce to exit %"), ("Order size", "Total size")
    return {
        c: "%.2f %%" if c in percent else "%.2f" if c in money else "%.6g"
        for c in columns
        if c not in ("Level", "Type")
    }


def summary_frame(ladder: Ladder, quote_balance: float | None) -> pd.DataFrame:
    items = ladder.summary(quote_balance)
    return pd.DataFrame({"Figure": list(items), "Value": list(items.values())})


def backtest_table(run: BacktestRun, *, recovery: bool) -> pd.DataFrame:
    """The backtest's figures: with and without Recovery Mode side by side when Recovery Mode
    is on; otherwise one "Result" column (the replay without it) and no Recovery Mode rows."""
    frame = comparison_frame(run)
    if recovery:
        return frame
    kept = frame[~frame["Metric"].isin(RECOVERY_ROWS)]
    result = kept[["Metric", "Without Recovery Mode"]].rename(
        columns={"Without Recovery Mode": "Result"}
    )
    return result.reset_index(drop=True)
