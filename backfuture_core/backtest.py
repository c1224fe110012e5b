"""Replay of OHLCV candles with the DCA strategy rules: one pair, one long deal at a time.

Pure and offline: candles come in as a DataFrame (timestamp in ms, open, high, low, close, volume)
or as a list of ccxt OHLCV rows (`candles_to_frame`); fetching them is not this module's job.
For several pairs, run one backtest per pair; each pair trades with its equal share of the margin
limit computed from `initial_balance` (the account's quote balance).

Rules of the replay
-------------------
* A deal opens with a market buy of the base order at the close of the first candle, and after a
  deal closes, at the close of the next candle.
* Reinforcement orders, then (with Recovery Mode on) recovery orders, are limit buys taken from the
  ladder built at the deal's entry price (`strategy.build_ladder`). At most
  `max_active_reinforcements` of them rest at once; when one fills the next one is placed.
* Recovery Mode: recovery order 1 sits `recovery_trigger_pct` below the last reinforcement price,
  so a deal enters Recovery Mode when the low reaches that price after every reinforcement filled.
  From then on its take profit is `recovery_target_pct` (near break-even after fees).
* Stop loss is measured from the first entry price (like freqtrade), not from the average. On
  futures the deal is also closed at the estimated isolated liquidation price if the price gets
  there first (outcome "liquidation").
* Fees: `fee_pct` of the value of every fill (buys and the final sell), paid in quote.

Intra-candle rule (conservative, identical for every candle): the price is assumed to go to the
candle's low first and to its high afterwards.

1. Buys: only the orders resting at the candle's open can fill, in price order, at their limit
   price, if the low reaches them. An order placed to replace one that filled rests from the next
   candle on. A buy at or below the stop price never fills (the stop is hit first).
2. Stop: if the low reaches the stop-loss (or liquidation) price, the deal closes at that price,
   or at the candle's open when the candle opened below it, even if the high later reached the
   take profit.
3. Take profit: only if the candle's high reaches the take-profit price that was in force at the
   candle's open. The whole position is then sold at the current take-profit price (recomputed
   after this candle's buys, so never higher than the one at the open).

Equity is cash plus the open position valued at the candle's close minus the fee of selling it,
so the last point equals ``initial_balance + net_profit + open deal profit``. Futures use the same
arithmetic (a linear contract gains quantity × price change); leverage only changes the capital
locked and the liquidation price. Order sizes stay fixed: losses do not shrink later deals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from backfuture_core.errors import ValidationError
from backfuture_core.strategy import (
    FIELD_LABELS,
    MAINTENANCE_MARGIN_PCT,
    StrategyParams,
    build_ladder,
    format_money,
    validate,
)

CANDLE_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
OUTCOMES = ("take_profit", "stop_loss", "liquidation", "open")


# --- Candles -----------------------------------------------------------------------------------


def candles_to_frame(rows: list[list[Any]] | list[tuple[Any, ...]]) -> pd.DataFrame:
    """ccxt OHLCV rows ``[ms, open, high, low, close, volume]`` -> a candle DataFrame.

    Sorted by time, duplicate timestamps dropped (the last one kept).
    """
    frame = pd.DataFrame(list(rows), columns=list(CANDLE_COLUMNS))
    return _normalise(frame)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in CANDLE_COLUMNS[:5] if c not in frame.columns]
    if missing:
        raise ValidationError({"Candles": f"The candles lack the column(s) {', '.join(missing)}."})
    out = pd.DataFrame(index=range(len(frame)))
    ts = frame["timestamp"].reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(ts):
        ts = pd.to_datetime(ts, utc=True)
        ts = (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(1, "ms")
    out["timestamp"] = pd.to_numeric(ts).astype("int64")
    for column in ("open", "high", "low", "close"):
        out[column] = pd.to_numeric(frame[column].reset_index(drop=True)).astype("float64")
    if "volume" in frame.columns:
        out["volume"] = pd.to_numeric(frame["volume"].reset_index(drop=True)).astype("float64")
    else:
        out["volume"] = np.nan
    out = out.drop_duplicates("timestamp", keep="last")
    if not out["timestamp"].is_monotonic_increasing:
        out = out.sort_values("timestamp", kind="stable")
    return out.reset_index(drop=True)


def prepare_candles(candles: pd.DataFrame | list) -> pd.DataFrame:
    """A clean candle frame (sorted, typed, checked) from a DataFrame or ccxt OHLCV rows.

    Raises `ValidationError` when there are no candles or prices are missing or not positive.
    """
    frame = candles if isinstance(candles, pd.DataFrame) else candles_to_frame(candles)
    if isinstance(candles, pd.DataFrame):
        frame = _normalise(frame)
    if frame.empty:
        raise ValidationError({"Candles": "There are no candles to replay for this period."})
    prices = frame[["open", "high", "low", "close"]].to_numpy()
    if not np.isfinite(prices).all() or (prices <= 0).any():
        raise ValidationError({"Candles": "Some candles have missing or non-positive prices."})
    return frame


# --- Results -----------------------------------------------------------------------------------


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
            "Net profit": f"{_signed_money(self.net_profit, q)} ({self.net_profit_pct:+.2f} %)",
            "Open deal at the end": (
                f"{_signed_money(open_deal.profit, q)} (marked to market)" if open_deal else "None"
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


def _signed_money(amount: float, quote: str) -> str:
    sign = "+" if amount >= 0 else "−"
    return f"{sign}{format_money(abs(amount), quote)}"


# --- Replay ------------------------------------------------------------------------------------


def run_backtest(
    params: StrategyParams, candles: pd.DataFrame | list, *, initial_balance: float
) -> BacktestResult:
    """Replay `candles` (one pair) with `params`; see the module docstring for the rules.

    Raises `ValidationError` when the settings have errors (`strategy.validate` with
    ``quote_balance=initial_balance``) or the candles are unusable.
    """
    frame = prepare_candles(candles)
    if not (isinstance(initial_balance, int | float) and math.isfinite(initial_balance)) or (
        initial_balance <= 0
    ):
        raise ValidationError({"Starting balance": "The starting balance must be more than 0."})
    errors = [p for p in validate(params, quote_balance=initial_balance) if p.is_error]
    if errors:
        messages: dict[str, str] = {}
        for p in errors:
            label = FIELD_LABELS.get(p.field, p.field)
            messages[label] = f"{messages[label]} {p.message}" if label in messages else p.message
        raise ValidationError(messages)
    return _replay(params, frame, float(initial_balance))


def compare_recovery(
    params: StrategyParams, candles: pd.DataFrame | list, *, initial_balance: float
) -> tuple[BacktestResult, BacktestResult]:
    """The same period replayed with and without Recovery Mode: ``(with, without)``."""
    frame = prepare_candles(candles)
    with_recovery = run_backtest(
        replace(params, recovery_enabled=True), frame, initial_balance=initial_balance
    )
    without = run_backtest(
        replace(params, recovery_enabled=False), frame, initial_balance=initial_balance
    )
    return with_recovery, without


def _replay(params: StrategyParams, frame: pd.DataFrame, initial_balance: float) -> BacktestResult:
    # The ladder's shape does not depend on the entry price: build it once at 1.0 and scale.
    ladder = build_ladder(params, 1.0, quote_balance=initial_balance)
    orders = ladder.levels[1:]
    rel = [lv.price for lv in orders]
    sizes = [lv.size for lv in orders]
    kinds = [lv.kind for lv in orders]
    n_levels = len(orders)
    active = int(params.max_active_reinforcements)
    base = float(params.base_order)

    f = params.fee_pct / 100
    keep = 1 - f
    break_even = (1 + f) / (1 - f)
    tp_mult = max(1 + params.take_profit_pct / 100, break_even)
    rec_mult = max(1 + params.recovery_target_pct / 100, break_even)
    sl_frac = 1 - params.stop_loss_pct / 100 if params.stop_loss_pct > 0 else 0.0
    liq_factor = (
        1 - 1 / params.leverage + MAINTENANCE_MARGIN_PCT / 100 if params.is_futures else 0.0
    )

    ts = frame["timestamp"].to_numpy(dtype="int64")
    op = frame["open"].tolist()
    hi = frame["high"].tolist()
    lo = frame["low"].tolist()
    cl = frame["close"].tolist()
    n = len(cl)

    def stamp(i: int) -> pd.Timestamp:
        return pd.Timestamp(int(ts[i]), unit="ms", tz="UTC")

    equity = [0.0] * n
    deals: list[Deal] = []
    cash = initial_balance
    mfd_amount = mfd_pct = 0.0
    in_deal_candles = 0
    next_open = 0

    in_deal = False
    p0 = qty = cost = fees = tp_price = sl_price = liq = 0.0
    nxt = rein_used = rec_used = opened = deal_candles = 0
    in_recovery = False
    fills: list[tuple[int, float, float, str]] = []

    for i in range(n):
        if in_deal:
            in_deal_candles += 1
            deal_candles += 1
            low = lo[i]
            tp_before = tp_price
            end = min(nxt + active, n_levels)
            stop = sl_price if sl_price > liq else liq
            while nxt < end:
                price = p0 * rel[nxt]
                if price < low or price <= stop:
                    break
                size = sizes[nxt]
                qty += size / price
                cost += size
                fee = size * f
                fees += fee
                cash -= size + fee
                kind = kinds[nxt]
                if kind == "recovery":
                    rec_used += 1
                    in_recovery = True
                else:
                    rein_used += 1
                fills.append((i, price, size, kind))
                nxt += 1
                liq = cost / qty * liq_factor  # a lower average moves liquidation down
                stop = sl_price if sl_price > liq else liq
            tp_price = cost / qty * (rec_mult if in_recovery else tp_mult)

            outcome = ""
            worst = low
            if stop > 0 and low <= stop:
                exit_price = stop if stop < op[i] else op[i]
                outcome = "stop_loss" if sl_price >= liq else "liquidation"
                worst = exit_price
            elif hi[i] >= tp_before:
                exit_price = tp_price
                outcome = "take_profit"

            floating = cost + fees - qty * worst * keep
            if floating > mfd_amount:
                mfd_amount = floating
            if floating / cost * 100 > mfd_pct:
                mfd_pct = floating / cost * 100

            if outcome:
                proceeds = qty * exit_price
                sell_fee = proceeds * f
                cash += proceeds - sell_fee
                profit = proceeds - sell_fee - cost - fees
                deals.append(
                    _deal(
                        stamp,
                        opened,
                        i,
                        p0,
                        qty,
                        cost,
                        fees + sell_fee,
                        exit_price,
                        profit,
                        rein_used,
                        rec_used,
                        outcome,
                        deal_candles,
                        fills,
                    )
                )
                in_deal = False
                qty = 0.0
                next_open = i + 1

        if not in_deal and i >= next_open:
            in_deal = True
            p0 = cl[i]
            qty = base / p0
            cost = base
            fees = base * f
            cash -= base + fees
            tp_price = p0 * tp_mult
            sl_price = p0 * sl_frac
            liq = p0 * liq_factor
            nxt = rein_used = rec_used = deal_candles = 0
            in_recovery = False
            opened = i
            fills = [(i, p0, base, "base")]

        equity[i] = cash + qty * cl[i] * keep if in_deal else cash

    if in_deal:
        last = cl[-1]
        sell_fee = qty * last * f
        profit = qty * last - sell_fee - cost - fees
        deals.append(
            _deal(
                stamp,
                opened,
                None,
                p0,
                qty,
                cost,
                fees + sell_fee,
                last,
                profit,
                rein_used,
                rec_used,
                "open",
                deal_candles,
                fills,
            )
        )

    eq = np.asarray(equity)
    peak = np.maximum.accumulate(np.maximum(eq, initial_balance))
    drawdown = peak - eq
    max_drawdown = Drawdown(float(drawdown.max()), float((drawdown / peak).max() * 100))
    equity_frame = pd.DataFrame(
        {"timestamp": pd.to_datetime(ts, unit="ms", utc=True), "equity": eq}
    )
    return BacktestResult(
        params=params,
        initial_balance=initial_balance,
        deals=tuple(deals),
        equity=equity_frame,
        max_drawdown=max_drawdown,
        max_floating_drawdown=Drawdown(max(mfd_amount, 0.0), max(mfd_pct, 0.0)),
        time_in_deals=in_deal_candles / n,
        candle_count=n,
    )


def _deal(
    stamp,
    opened,
    closed,
    p0,
    qty,
    cost,
    fees,
    exit_price,
    profit,
    rein,
    rec,
    outcome,
    candles,
    fills,
) -> Deal:
    return Deal(
        opened_at=stamp(opened),
        closed_at=None if closed is None else stamp(closed),
        entry_price=p0,
        average_price=cost / qty,
        exit_price=exit_price,
        reinforcements_used=rein,
        recovery_used=rec > 0,
        recovery_orders_used=rec,
        invested=cost,
        fees=fees,
        profit=profit,
        profit_pct=profit / cost * 100,
        outcome=outcome,
        candles=candles,
        fills=tuple(Fill(stamp(i), price, size, kind) for i, price, size, kind in fills),
    )
