"""Figures of the Strategy page: the ladder preview and the backtest results (equity with and
without Recovery Mode, deals on the price chart).

Pure functions of a `Ladder` / `BacktestResult` (and candles); no Streamlit here.
"""

from __future__ import annotations

import itertools

import pandas as pd
import plotly.graph_objects as go

from backfuture_core.charts.theme import COLORS, calm_axis, layout, money_axis
from backfuture_core.market_data.candle_frame import prepare_candles
from backfuture_core.strategy.backtest_results import BacktestResult
from backfuture_core.strategy.ladder import Ladder

_KIND_TRACE_NAMES = {
    "base": "Base order",
    "reinforcement": "Reinforcement orders",
    "recovery": "Recovery Mode orders",
}


def ladder_figure(ladder: Ladder) -> go.Figure:
    """Orders as horizontal bars at their price (bar length = order size), with lines for the
    entry, the average entry and take profit once every reinforcement filled, the Recovery Mode
    exit and, on futures, the estimated liquidation price."""
    quote = ladder.params.quote
    levels = ladder.levels
    prices = sorted(lv.price for lv in levels)
    gaps = [b - a for a, b in itertools.pairwise(prices) if b > a]
    width = (min(gaps) if gaps else ladder.entry_price * 0.02) * 0.6
    fig = go.Figure()

    for kind, name in _KIND_TRACE_NAMES.items():
        group = [lv for lv in levels if lv.kind == kind]
        if not group:
            continue
        fig.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=[lv.price for lv in group],
                x=[lv.size for lv in group],
                width=[width] * len(group),
                marker_color=COLORS[kind],
                customdata=[
                    [
                        lv.label,
                        lv.deviation_pct,
                        lv.cumulative_size,
                        lv.average_price,
                        lv.take_profit_price,
                        lv.bounce_pct,
                    ]
                    for lv in group
                ],
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>Price %{y:,.6g} (−%{customdata[1]:.2f} %)"
                    f"<br>Order %{{x:,.2f}} {quote}<br>Total %{{customdata[2]:,.2f}} {quote}"
                    "<br>Average %{customdata[3]:,.6g}<br>Take profit %{customdata[4]:,.6g}"
                    " (bounce %{customdata[5]:.2f} %)<extra></extra>"
                ),
            )
        )

    span = max(lv.size for lv in levels) * 1.05
    last = ladder.last_order_level
    lines = [
        ("Entry", ladder.entry_price, COLORS["entry"], "dot"),
        ("Average entry if all fill", last.average_price, COLORS["average"], "dash"),
        ("Take profit if all fill", last.take_profit_price, COLORS["take_profit"], "dash"),
    ]
    if ladder.recovery_levels:
        exit_price = ladder.levels[-1].take_profit_price
        lines.append(("Recovery Mode exit", exit_price, COLORS["recovery_exit"], "dash"))
    if ladder.liquidation_price is not None:
        lines.append(
            ("Liquidation (estimate)", ladder.liquidation_price, COLORS["liquidation"], "solid")
        )
    for name, price, color, dash in lines:
        fig.add_trace(
            go.Scatter(
                name=name,
                x=[0, span],
                y=[price, price],
                mode="lines",
                line={"color": color, "dash": dash, "width": 2},
                hovertemplate=f"{name}: %{{y:,.6g}}<extra></extra>",
            )
        )

    return layout(
        fig,
        "Order ladder",
        xaxis_title=money_axis(quote, "Order size"),
        yaxis_title=money_axis(quote, "Price"),
        bargap=0,
        height=480,  # room for the legend below without squeezing the ladder
    )


def equity_figure(
    with_recovery: BacktestResult, without_recovery: BacktestResult | None = None
) -> go.Figure:
    """Equity over time with and without Recovery Mode (same period); one result alone is
    drawn as "Equity"."""
    quote = with_recovery.params.quote
    fig = go.Figure()
    first = "With Recovery Mode" if without_recovery is not None else "Equity"
    curves = [(first, with_recovery, COLORS["with_recovery"])]
    if without_recovery is not None:
        curves.append(("Without Recovery Mode", without_recovery, COLORS["without_recovery"]))
    for name, result, color in curves:
        fig.add_trace(
            go.Scatter(
                name=name,
                x=result.equity["timestamp"],
                y=result.equity["equity"],
                mode="lines",
                line={"color": color, "width": 2},
                hovertemplate=f"{name}: %{{y:,.2f}} {quote}<extra></extra>",
            )
        )
    fig.add_hline(
        y=with_recovery.initial_balance,
        line={"color": COLORS["entry"], "dash": "dot", "width": 1},
        annotation_text="Starting balance",
        annotation_position="bottom left",
    )
    title = "Equity (realised + open deal)"
    if without_recovery is None:
        note = calm_axis(fig, list(with_recovery.equity["equity"]), quote)
        title = f"{title}<br><sup>{note}</sup>" if note else title
    return layout(
        fig, title, yaxis_title=money_axis(quote, "Equity"), hovermode="x unified", time_x=True
    )


def deals_figure(candles: pd.DataFrame | list, result: BacktestResult) -> go.Figure:
    """Close price with each deal's entry, reinforcement and recovery buys, and exit."""
    frame = prepare_candles(candles)
    quote = result.params.quote
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            name="Price",
            x=pd.to_datetime(frame["timestamp"], unit="ms", utc=True),
            y=frame["close"],
            mode="lines",
            line={"color": COLORS["price"], "width": 1},
            hovertemplate="%{y:,.6g}<extra>Price</extra>",
        )
    )

    def markers(name: str, points: list[tuple], color: str, symbol: str, size: int = 9) -> None:
        if not points:
            return
        fig.add_trace(
            go.Scatter(
                name=name,
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="markers",
                marker={"color": color, "symbol": symbol, "size": size, "line": {"width": 1}},
                hovertemplate=f"{name}: %{{y:,.6g}}<extra></extra>",
            )
        )

    buys: dict[str, list[tuple]] = {"base": [], "reinforcement": [], "recovery": []}
    exits: dict[str, list[tuple]] = {k: [] for k in ("take_profit", "stop_loss", "liquidation")}
    open_points = []
    for deal in result.deals:
        for fill in deal.fills:
            buys[fill.kind].append((fill.timestamp, fill.price))
        if deal.is_open:
            open_points.append((frame["timestamp"].iloc[-1], deal.exit_price))
        else:
            exits[deal.outcome].append((deal.closed_at, deal.exit_price))
    if open_points:
        open_points = [(pd.Timestamp(int(t), unit="ms", tz="UTC"), p) for t, p in open_points]

    markers("Deal opened", buys["base"], COLORS["base"], "triangle-up", 11)
    markers("Reinforcement", buys["reinforcement"], COLORS["reinforcement"], "circle", 7)
    markers("Recovery order", buys["recovery"], COLORS["recovery"], "diamond", 9)
    markers("Take profit", exits["take_profit"], COLORS["take_profit"], "triangle-down", 11)
    markers("Stop loss", exits["stop_loss"], COLORS["stop_loss"], "x", 11)
    markers("Liquidation", exits["liquidation"], COLORS["liquidation"], "x-thin-open", 12)
    markers("Open deal (marked to market)", open_points, COLORS["open"], "circle-open", 12)

    return layout(
        fig, "Deals on the price chart", yaxis_title=money_axis(quote, "Price"), time_x=True
    )
