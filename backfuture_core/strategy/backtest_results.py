"""What a backtest found: its deals (with their fills), the equity curve, drawdowns, and the
figures a page shows (`BacktestResult.summary`).

`backtest.run_backtest` builds these; they hold data only and compute their figures on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from backfuture_core.formatting import format_money, format_signed_money, format_signed_percent
from backfuture_core.strategy.params import StrategyParams

OUTCOMES = ("take_profit", "stop_loss", "liquidation", "open")


@dataclass(frozen=True)
class Fill:
    """One buy of a deal."""

    timestamp: pd.Timestamp
    price: float
    size: float  # quote value
    kind: str  # "base" | "reinforcement" | "recovery"


@dataclass(frozen=True)
class Deal:
    opened_at: pd.Timestamp
    closed_at: pd.Timestamp | None  # None while open
    entry_price: float  # price of the base order
    average_price: float  # average entry of the whole position
    exit_price: float  # close price for an open deal (marked to market)
    reinforcements_used: int
    recovery_used: bool  # the deal reached Recovery Mode
    recovery_orders_used: int
    invested: float  # quote value bought
    fees: float  # all fees paid (for an open deal: including the fee of selling now)
    profit: float  # quote, after fees
    profit_pct: float  # profit / invested, in %
    outcome: str  # "take_profit" | "stop_loss" | "liquidation" | "open"
    candles: int  # candles the deal was open for
    fills: tuple[Fill, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.outcome == "open"

    @property
    def saved_by_recovery(self) -> bool:
        """Reached Recovery Mode and closed at its take profit (not by stop loss/liquidation).

        The recovery take profit is never below break-even after fees, so its profit is ≥ 0.
        """
        return self.recovery_used and self.outcome == "take_profit"


@dataclass(frozen=True)
class Drawdown:
    amount: float  # quote
    pct: float  # percent


@dataclass(frozen=True)
class ReinforcementUsage:
    total: int  # reinforcement orders filled over all deals (the open one included)
    max_per_deal: int


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What `run_backtest` found. Deal counts, win rate and net profit cover closed deals; the
    deal still open at the end is marked to market and reported as `open_deal`."""

    params: StrategyParams
    initial_balance: float
    deals: tuple[Deal, ...]  # in order; the last one may be open
    equity: pd.DataFrame  # columns timestamp (UTC datetime), equity (quote)
    max_drawdown: Drawdown  # peak-to-trough of equity at candle closes (amount and % separately)
    max_floating_drawdown: (
        Drawdown  # worst unrealised loss of a deal (at candle lows), % of invested
    )
    time_in_deals: float  # share of candles (0..1) during which a deal was open
    candle_count: int

    @property
    def closed_deals(self) -> tuple[Deal, ...]:
        return tuple(d for d in self.deals if not d.is_open)

    @property
    def open_deal(self) -> Deal | None:
        return self.deals[-1] if self.deals and self.deals[-1].is_open else None

    @property
    def deal_count(self) -> int:
        return len(self.closed_deals)

    @property
    def win_rate(self) -> float:
        """Share (0..1) of closed deals with a profit above 0; 0 without closed deals."""
        closed = self.closed_deals
        return sum(d.profit > 0 for d in closed) / len(closed) if closed else 0.0

    @property
    def net_profit(self) -> float:
        """Realised profit of closed deals, after fees."""
        return sum(d.profit for d in self.closed_deals)

    @property
    def net_profit_pct(self) -> float:
        return self.net_profit / self.initial_balance * 100

    @property
    def unrealised_profit(self) -> float:
        deal = self.open_deal
        return deal.profit if deal else 0.0

    @property
    def final_equity(self) -> float:
        return self.initial_balance + self.net_profit + self.unrealised_profit

    @property
    def fees_paid(self) -> float:
        return sum(d.fees for d in self.closed_deals)

    @property
    def reinforcements_used(self) -> ReinforcementUsage:
        used = [d.reinforcements_used for d in self.deals]
        return ReinforcementUsage(sum(used), max(used, default=0))

    @property
    def stop_losses(self) -> int:
        return sum(d.outcome in ("stop_loss", "liquidation") for d in self.deals)

    @property
    def deals_in_recovery(self) -> int:
        """Deals (open one included) that reached Recovery Mode."""
        return sum(d.recovery_used for d in self.deals)

    @property
    def deals_saved_by_recovery(self) -> int:
        """Closed deals that reached Recovery Mode and closed at its take profit."""
        return sum(d.saved_by_recovery for d in self.deals)

    def summary(self) -> dict[str, str]:
        """Plain-English labels -> formatted values, for a table on the page."""
        q = self.params.quote
        usage = self.reinforcements_used
        open_deal = self.open_deal
        return {
            "Deals closed": str(self.deal_count),
            "Win rate": f"{self.win_rate * 100:.1f} %",
            "Net profit": f"{format_signed_money(self.net_profit, q)} ({format_signed_percent(self.net_profit_pct)})",
            "Open deal at the end": (
                f"{format_signed_money(open_deal.profit, q)} (marked to market)"
                if open_deal
                else "none"
            ),
            "Final equity": format_money(self.final_equity, q),
            "Max drawdown": (
                f"{format_money(self.max_drawdown.amount, q)} ({self.max_drawdown.pct:.2f} %)"
            ),
            "Max floating drawdown": (
                f"{format_money(self.max_floating_drawdown.amount, q)} "
                f"({self.max_floating_drawdown.pct:.2f} %)"
            ),
            "Reinforcements used": f"{usage.total} (at most {usage.max_per_deal} in one deal)",
            "Time in deals": f"{self.time_in_deals * 100:.1f} %",
            "Deals that reached Recovery Mode": str(self.deals_in_recovery),
            "Deals saved by Recovery Mode": str(self.deals_saved_by_recovery),
            "Stopped out": str(self.stop_losses),
            "Fees paid": format_money(self.fees_paid, q),
        }
