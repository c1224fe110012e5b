"""Replay of OHLCV candles with the DCA strategy rules: one pair, one long deal at a time.

Pure and offline: candles come in as a DataFrame (timestamp in ms, open, high, low, close, volume)
or as a list of ccxt OHLCV rows (`market_data.candle_frame`); fetching them is `run.py`'s job, and
the results are `backtest_results.py`'s.
For several pairs, run one backtest per pair; each pair trades with its equal share of the margin
limit computed from `initial_balance` (the account's quote balance).

Rules of the replay
-------------------
* A deal opens with a market buy of the base order at the close of the first candle, and after a
  deal closes, at the close of the next candle.
* Reinforcement orders, then (with Recovery Mode on) recovery orders, are limit buys taken from the
  ladder built at the deal's entry price (`ladder.build_ladder`). At most
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
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from backfuture_core.errors import ValidationError
from backfuture_core.market_data.candle_frame import Candles, prepare_candles
from backfuture_core.strategy.backtest_results import BacktestResult, Deal, Drawdown, Fill
from backfuture_core.strategy.checks import check_params
from backfuture_core.strategy.ladder import MAINTENANCE_MARGIN_PCT, build_ladder
from backfuture_core.strategy.params import StrategyParams


def run_backtest(
    params: StrategyParams, candles: Candles, *, initial_balance: float
) -> BacktestResult:
    """Replay `candles` (one pair) with `params`; see the module docstring for the rules.

    Raises `ValidationError` when the settings have errors (`checks.validate` with
    ``quote_balance=initial_balance``) or the candles are unusable.
    """
    frame = prepare_candles(candles)
    if not (isinstance(initial_balance, int | float) and math.isfinite(initial_balance)) or (
        initial_balance <= 0
    ):
        raise ValidationError({"Starting balance": "The starting balance must be more than 0."})
    check_params(params, quote_balance=initial_balance)
    return _replay(params, frame, float(initial_balance))


def compare_recovery(
    params: StrategyParams, candles: Candles, *, initial_balance: float
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
    stamp: Callable[[int], pd.Timestamp],
    opened: int,
    closed: int | None,
    p0: float,
    qty: float,
    cost: float,
    fees: float,
    exit_price: float,
    profit: float,
    rein: int,
    rec: int,
    outcome: str,
    candles: int,
    fills: list[tuple[int, float, float, str]],
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
