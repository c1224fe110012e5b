"""The one look of every BackFuture figure: template, margins, legend placement, time ticks,
y-axes that do not magnify noise, the colour palette, and the note an empty figure shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from backfuture_core.formatting import format_money, format_signed_money, format_signed_percent

GREEN, RED, ORANGE, PURPLE = "#2ca02c", "#d62728", "#ff7f0e", "#9467bd"
BLUE, LIGHT_BLUE, GREY, SLATE = "#1f77b4", "#4c9be8", "#7f7f7f", "#34495e"

# What each colour means, wherever it is drawn.
COLORS = {
    "base": BLUE,
    "reinforcement": LIGHT_BLUE,
    "recovery": PURPLE,
    "entry": GREY,
    "average": ORANGE,
    "take_profit": GREEN,
    "recovery_exit": PURPLE,
    "liquidation": RED,
    "stop_loss": RED,
    "price": SLATE,
    "with_recovery": PURPLE,
    "without_recovery": GREY,
    "open": ORANGE,
}
SIDE_COLORS = {"buy": GREEN, "sell": RED}
PRICE_COLOR = SLATE
NEUTRAL_COLOR = GREY

# One legend placement for every figure: under the plot, so that it never covers the title
# and never takes room from the plot itself.
LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0}

# Time axes: ticks as people read them at every zoom (never "04:48:28.999").
TIME_TICKS = [
    {"dtickrange": [None, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, 86_400_000], "value": "%H:%M<br>%-d %b"},
    {"dtickrange": [86_400_000, 604_800_000], "value": "%-d %b"},
    {"dtickrange": [604_800_000, "M1"], "value": "%-d %b"},
    {"dtickrange": ["M1", "M12"], "value": "%b %Y"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]
TIME_AXIS = {"type": "date", "tickformatstops": TIME_TICKS, "hoverformat": "%-d %b %Y, %H:%M"}

# A series that moves less than this share of its level is drawn on an axis at least this
# wide, so that noise does not look like a trend; the title says the range and the change.
CALM_SHARE = 0.01

BASE_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
    "legend": LEGEND,
    "hoverlabel": {"namelength": -1},
}


def layout(fig: go.Figure, title: str, *, time_x: bool = False, **extra: Any) -> go.Figure:
    """`fig` with the shared layout, its title and any `extra` layout settings; `time_x` gives
    the x-axis the shared time ticks."""
    fig.update_layout(**{**BASE_LAYOUT, "title": title, **extra})
    if time_x:
        fig.update_xaxes(**TIME_AXIS)
    return fig


def calm_axis(fig: go.Figure, values: Sequence[float], unit: str) -> str:
    """When `values` move less than CALM_SHARE of their level, widen the y-axis to that share
    around them and return a note with the range and the change ("24,041.20 to 24,041.60 USDT,
    change +0.40 USDT (+0.00 %)"); otherwise leave the axis alone and return ""."""
    finite = [float(v) for v in values if v == v]
    if len(finite) < 2:
        return ""
    low, high = min(finite), max(finite)
    level = max(abs(low), abs(high))
    if level == 0 or high - low >= level * CALM_SHARE:
        return ""
    middle, half = (low + high) / 2, level * CALM_SHARE / 2
    fig.update_yaxes(range=[middle - half, middle + half])
    change = finite[-1] - finite[0]
    percent = change / abs(finite[0]) * 100 if finite[0] else 0.0
    return (
        f"{format_money(low, unit)} to {format_money(high, unit)}, change "
        f"{format_signed_money(change, unit)} ({format_signed_percent(percent)})"
    )


def empty_figure(title: str, note: str) -> go.Figure:
    """A figure with no data: hidden axes and a short `note` in the middle."""
    fig = go.Figure()
    fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title)


def money_axis(quote: str, what: str) -> str:
    """An axis title with its currency: "Price (USDT)", or just "Price" without one."""
    return f"{what} ({quote})" if quote else what
