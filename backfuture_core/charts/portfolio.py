"""Figures of the Balances and Orders pages: allocation, value history, unrealised PnL, orders
and fills on the price, volume by pair, buy versus sell.

Pure functions of the `portfolio` frames (and candles). Every builder returns a figure also for
an empty frame: an empty chart with a short note in the middle.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from backfuture_core.charts.theme import (
    NEUTRAL_COLOR,
    PRICE_COLOR,
    SIDE_COLORS,
    calm_axis,
    empty_figure,
    layout,
)
from backfuture_core.formatting import format_share
from backfuture_core.portfolio.balances_view import allocation
from backfuture_core.portfolio.valuation import STABLECOINS

STATUS_SYMBOLS = {"open": "circle-open", "closed": "circle", "canceled": "x-thin-open"}
OTHERS_SHARE = 0.01  # assets under 1 % of the total are grouped as "Others" in the donut


def _side_color(side: object) -> str:
    return SIDE_COLORS.get(str(side), NEUTRAL_COLOR)


def allocation_figure(balances: pd.DataFrame) -> go.Figure:
    """Donut of the value per asset (all connections and markets together); assets without
    a price are left out (they have no value to show)."""
    title = "Allocation (USDT value)"
    by_asset = allocation(balances)
    total = float(by_asset["value"].sum()) if len(by_asset) else 0.0
    if total <= 0:
        return empty_figure(title, "No priced balances to show.")
    small = by_asset["value"] < total * OTHERS_SHARE
    if small.sum() > 1:
        others = pd.DataFrame([{"asset": "Others", "value": by_asset.loc[small, "value"].sum()}])
        by_asset = pd.concat([by_asset[~small], others], ignore_index=True)
    shares = [format_share(v / total) for v in by_asset["value"]]
    fig = go.Figure(
        go.Pie(
            labels=by_asset["asset"],
            values=by_asset["value"],
            hole=0.55,
            sort=False,
            text=[f"{a} {share}" for a, share in zip(by_asset["asset"], shares, strict=True)],
            textinfo="text",
            customdata=shares,
            hovertemplate="%{label}: %{value:,.2f} USDT (%{customdata})<extra></extra>",
        )
    )
    fig.add_annotation(
        text=f"{total:,.0f}<br>USDT", showarrow=False, x=0.5, y=0.5, font={"size": 16}
    )
    return layout(fig, title, showlegend=False)


def total_history(history: pd.DataFrame) -> pd.DataFrame:
    """taken_at -> total value over every connection, each connection counting with its
    latest snapshot at that moment."""
    if history.empty:
        return pd.DataFrame({"taken_at": pd.Series(dtype="datetime64[ns, UTC]"), "total_usdt": []})
    wide = history.pivot_table(
        index="taken_at", columns="connection_id", values="total_usdt", aggfunc="last"
    ).ffill()
    return wide.sum(axis=1, min_count=1).rename("total_usdt").reset_index()


def value_history_figure(history: pd.DataFrame) -> go.Figure:
    """One line per connection from the balance snapshots, plus their total when there are
    several connections."""
    title = "Value history (USDT)"
    if history.empty:
        return empty_figure(title, "No snapshots yet: each refresh adds one.")
    fig = go.Figure()
    for (_, name), rows in history.groupby(["connection_id", "connection"], sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["taken_at"], y=rows["total_usdt"], mode="lines+markers", name=str(name)
            )
        )
    if history["connection_id"].nunique() > 1:
        fig.add_trace(_total_line(total_history(history), "All connections", "lines+markers", 3))
    # One line: noise is not drawn as a trend (lines at different levels set their own range).
    alone = history["connection_id"].nunique() == 1
    note = calm_axis(fig, list(history["total_usdt"]), "USDT") if alone else ""
    title = f"{title}<br><sup>{note}</sup>" if note else title
    return layout(fig, title, yaxis_title="USDT", time_x=True)


def _total_line(total: pd.DataFrame, name: str, mode: str, width: int) -> go.Scatter:
    """The total over every connection (or account) as one line in the price colour."""
    return go.Scatter(
        x=total["taken_at"],
        y=total["total_usdt"],
        mode=mode,
        name=name,
        line={"color": PRICE_COLOR, "width": width},
        hovertemplate="%{x}<br>%{y:,.2f} USDT<extra></extra>",
    )


def total_value_figure(history: pd.DataFrame) -> go.Figure:
    """The Overview's line: the total over every account (history already counted once per
    account, see portfolio/accounts.py), with readable time ticks and a calm y-axis."""
    title = "Total value (USDT)"
    total = total_history(history)
    if len(total) < 2:
        return empty_figure(title, "The value history grows with each balance refresh.")
    fig = go.Figure(_total_line(total, "Total value", "lines", 2))
    note = calm_axis(fig, list(total["total_usdt"]), "USDT")
    title = f"{title}<br><sup>{note}</sup>" if note else title
    return layout(fig, title, yaxis_title="USDT", time_x=True, height=260, showlegend=False)


def pnl_figure(positions: pd.DataFrame) -> go.Figure:
    """Unrealised PnL per open position (green gain, red loss)."""
    title = "Unrealised PnL per position (USDT)"
    if positions.empty:
        return empty_figure(title, "No open positions.")
    labels = positions["symbol"] + " " + positions["side"]
    if positions["connection"].nunique() > 1:
        labels = positions["connection"] + ": " + labels
    pnl = positions["unrealized_pnl"].fillna(0.0)
    colors = [_side_color("buy" if v >= 0 else "sell") for v in pnl]
    hover = "%{x}: %{y:,.2f} USDT<extra></extra>"
    fig = go.Figure(go.Bar(x=labels, y=pnl, marker_color=colors, hovertemplate=hover))
    fig.update_yaxes(title="USDT", zeroline=True)
    return layout(fig, title)


def _markers(rows: pd.DataFrame, y: pd.Series, name: str, marker: dict, hover: str) -> go.Scatter:
    """Orders or fills as markers at their time; hovering shows `hover` and the amount."""
    return go.Scatter(
        x=rows["time"],
        y=y,
        mode="markers",
        name=name,
        marker=marker,
        customdata=rows[["amount"]],
        hovertemplate=f"%{{x|%-d %b %Y, %H:%M}}<br>%{{y:,.8g}}<br>{hover}%{{customdata[0]:,.8g}}<extra></extra>",
    )


def orders_on_price_figure(
    candles: pd.DataFrame | None, orders: pd.DataFrame, trades: pd.DataFrame, symbol: str
) -> go.Figure:
    """The pair's closing price from candles, with its orders (at their limit or average
    price, by side; hollow = open, x = cancelled) and its fills on top."""
    title = f"{symbol}: orders and fills on the price"
    orders = orders[orders["symbol"] == symbol]
    trades = trades[trades["symbol"] == symbol]
    if (candles is None or candles.empty) and orders.empty and trades.empty:
        return empty_figure(title, "No price, orders or fills for this pair in the period.")
    fig = go.Figure()
    if candles is not None and not candles.empty:
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(candles["timestamp"], unit="ms", utc=True),
                y=candles["close"],
                mode="lines",
                name="Price",
                line={"color": PRICE_COLOR, "width": 1.5},
            )
        )
    # One trace per side and status: a marker symbol per trace, not per point, keeps a history
    # of thousands of orders quick to build.
    for (side, status), rows in orders.groupby(["side", "status"]):
        price = rows["price"].where(rows["price"] > 0, rows["average"])
        symbol_of = STATUS_SYMBOLS.get(str(status), "circle")
        marker = {
            "color": _side_color(side),
            "symbol": symbol_of,
            "size": 8,
            "line": {"width": 1.5},
        }
        name = f"{str(side).title()} orders ({status})"
        fig.add_trace(_markers(rows, price, name, marker, f"{status}, amount "))
    for side, rows in trades.groupby("side"):
        shape = "triangle-up" if side == "buy" else "triangle-down"
        marker = {"color": _side_color(side), "symbol": shape, "size": 10}
        name = f"{str(side).title()} fills"
        fig.add_trace(_markers(rows, rows["price"], name, marker, "amount "))
    return layout(fig, title, yaxis_title="Price", time_x=True)


def volume_by_pair_figure(trades: pd.DataFrame) -> go.Figure:
    """Filled volume per pair (in the pair's quote currency), split by side."""
    title = "Volume by pair"
    if trades.empty:
        return empty_figure(title, "No fills in the period.")
    volume = trades.groupby(["symbol", "quote", "side"], as_index=False)["cost"].sum()
    order = volume.groupby("symbol")["cost"].sum().sort_values(ascending=False).index
    fig = go.Figure()
    for side, rows in volume.groupby("side"):
        fig.add_trace(
            go.Bar(
                x=rows["symbol"],
                y=rows["cost"],
                name=str(side).title(),
                marker_color=_side_color(side),
                customdata=rows[["quote"]],
                hovertemplate="%{x}: %{y:,.2f} %{customdata[0]}<extra></extra>",
            )
        )
    fig.update_xaxes(categoryorder="array", categoryarray=list(order))
    fig.update_yaxes(title="Volume (quote currency)")
    return layout(fig, title, barmode="stack")


def buy_sell_figure(trades: pd.DataFrame) -> go.Figure:
    """Bought versus sold volume per day, for pairs quoted in a USD stablecoin (volumes in
    other quote currencies cannot be added to them)."""
    title = "Buy versus sell (USD stablecoin pairs)"
    usd = trades[trades["quote"].isin(STABLECOINS)]
    if usd.empty:
        return empty_figure(title, "No fills in USD stablecoin pairs in the period.")
    day = usd["time"].dt.floor("D")
    daily = usd.assign(day=day).groupby(["day", "side"], as_index=False)["cost"].sum()
    fig = go.Figure()
    for side in ("buy", "sell"):
        rows = daily[daily["side"] == side]
        fig.add_trace(
            go.Bar(
                x=rows["day"],
                y=rows["cost"] if side == "buy" else -rows["cost"],
                name="Bought" if side == "buy" else "Sold",
                marker_color=SIDE_COLORS[side],
                customdata=rows[["cost"]],
                hovertemplate="%{x|%-d %b %Y}: %{customdata[0]:,.2f}<extra></extra>",
            )
        )
    fig.update_yaxes(title="Volume (USD)", zeroline=True)
    return layout(fig, title, barmode="relative", time_x=True)
