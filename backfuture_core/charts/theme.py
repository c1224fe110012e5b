"""The one look of every BackFuture figure: template, margins, legend placement, the colour
palette, and the note an empty figure shows in its middle."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

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

LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}
# Under the plot: above it, a legend of several entries covers the title.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.15, "xanchor": "left", "x": 0}

BASE_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
    "legend": LEGEND_ABOVE,
    "hoverlabel": {"namelength": -1},
}


def layout(
    fig: go.Figure, title: str, *, legend: dict[str, Any] = LEGEND_ABOVE, **extra: Any
) -> go.Figure:
    """`fig` with the shared layout, its title and any `extra` layout settings."""
    fig.update_layout(**{**BASE_LAYOUT, "legend": legend, "title": title, **extra})
    return fig


def empty_figure(title: str, note: str, *, legend: dict[str, Any] = LEGEND_ABOVE) -> go.Figure:
    """A figure with no data: hidden axes and a short `note` in the middle."""
    fig = go.Figure()
    fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, legend=legend)


def money_axis(quote: str, what: str) -> str:
    """An axis title with its currency: "Price (USDT)", or just "Price" without one."""
    return f"{what} ({quote})" if quote else what
