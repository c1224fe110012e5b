"""Figures for the balances and orders pages: pure functions of the portfolio frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from backfuture_core.charts import portfolio as charts
from backfuture_core.charts.theme import SIDE_COLORS
from backfuture_core.portfolio.rows import (
    HISTORY_COLUMNS,
    POSITION_COLUMNS,
    TRADE_COLUMNS,
    to_frame,
)

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def frame(columns, rows):
    return to_frame([dict(zip(columns, r, strict=False)) for r in rows], columns)


def balances(*rows):
    return frame(
        ("connection_id", "connection", "asset", "value", "priced_by"),
        [(1, "A", asset, value, "x") for asset, value in rows],
    )


def notes(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_allocation_groups_small_assets_and_leaves_out_unpriced_ones():
    fig = charts.allocation_figure(
        balances(
            ("BTC", 6000.0), ("USDT", 2000.0), ("BTC", 1990.0), ("XRP", 5.0), ("DOGE", 5.0),
            ("ZZZ", math.nan),
        )
    )  # fmt: skip
    (pie,) = fig.data
    assert list(pie.labels) == ["BTC", "USDT", "Others"]
    assert list(pie.values) == pytest.approx([7990.0, 2000.0, 10.0])
    assert "10,000" in notes(fig)[0]


@pytest.mark.parametrize(
    ("builder", "empty"),
    [
        (charts.allocation_figure, balances()),
        (charts.value_history_figure, frame(HISTORY_COLUMNS, [])),
        (charts.pnl_figure, frame(POSITION_COLUMNS, [])),
        (charts.volume_by_pair_figure, frame(TRADE_COLUMNS, [])),
        (charts.buy_sell_figure, frame(TRADE_COLUMNS, [])),
    ],
)
def test_every_builder_draws_an_empty_frame_as_a_note(builder, empty):
    fig = builder(empty)
    assert fig.data == ()
    assert len(notes(fig)) == 1


def test_value_history_adds_a_total_that_carries_each_connection_forward():
    history = frame(
        HISTORY_COLUMNS,
        [(T0, 1, "A", 100.0), (T0 + pd.Timedelta(hours=1), 2, "B", 50.0),
         (T0 + pd.Timedelta(hours=2), 1, "A", 120.0)],
    )  # fmt: skip
    fig = charts.value_history_figure(history)
    assert [t.name for t in fig.data] == ["A", "B", "All connections"]
    assert list(fig.data[2].y) == [100.0, 150.0, 170.0]
    single = charts.value_history_figure(history[history["connection_id"] == 1])
    assert [t.name for t in single.data] == ["A"]


def test_pnl_bars_are_green_for_gains_and_red_for_losses():
    positions = frame(
        ("connection_id", "connection", "symbol", "side", "unrealized_pnl"),
        [(1, "A", "BTC/USDT:USDT", "long", 12.5), (1, "A", "ETH/USDT:USDT", "short", -3.0)],
    )
    (bar,) = charts.pnl_figure(positions).data
    assert list(bar.x) == ["BTC/USDT:USDT long", "ETH/USDT:USDT short"]
    assert list(bar.marker.color) == [SIDE_COLORS["buy"], SIDE_COLORS["sell"]]


def trades(*rows):
    return to_frame(
        [
            {"connection_id": 1, "time": T0 + pd.Timedelta(days=d), "symbol": s, "quote": q,
             "side": side, "price": 10.0, "amount": 1.0, "cost": c}
            for d, s, q, side, c in rows
        ],
        TRADE_COLUMNS,
    )  # fmt: skip


def test_orders_and_fills_are_drawn_on_the_price():
    candles = pd.DataFrame(
        {"timestamp": [T0.value // 10**6, T0.value // 10**6 + 3_600_000], "close": [10.0, 11.0]}
    )
    orders = frame(
        ("connection_id", "time", "symbol", "side", "status", "price", "average", "amount"),
        [(1, T0, "BTC/USDT", "buy", "open", 9.5, math.nan, 1.0),
         (1, T0, "BTC/USDT", "sell", "closed", 0.0, 11.2, 1.0),
         (1, T0, "ETH/USDT", "sell", "closed", 3.0, 3.0, 1.0)],
    )  # fmt: skip
    fills = trades((0, "BTC/USDT", "USDT", "sell", 11.2), (0, "ETH/USDT", "USDT", "buy", 3.0))
    fig = charts.orders_on_price_figure(candles, orders, fills, "BTC/USDT")
    names = [t.name for t in fig.data]
    assert names == ["Price", "Buy orders (open)", "Sell orders (closed)", "Sell fills"]
    assert list(fig.data[1].y) == [9.5]
    assert list(fig.data[2].y) == [11.2]  # a market order sits at its average price
    assert fig.data[1].marker.symbol == charts.STATUS_SYMBOLS["open"]
    without_price = charts.orders_on_price_figure(None, orders, fills, "BTC/USDT")
    assert "Price" not in [t.name for t in without_price.data]


def test_volume_by_pair_and_buy_versus_sell():
    fills = trades(
        (0, "BTC/USDT", "USDT", "buy", 100.0),
        (0, "BTC/USDT", "USDT", "sell", 40.0),
        (1, "ETH/BTC", "BTC", "buy", 0.5),
        (1, "SOL/USDC", "USDC", "buy", 300.0),
    )
    volume = charts.volume_by_pair_figure(fills)
    assert list(volume.layout.xaxis.categoryarray) == ["SOL/USDC", "BTC/USDT", "ETH/BTC"]
    buy_sell = charts.buy_sell_figure(fills)
    bought, sold = buy_sell.data
    assert list(bought.y) == [100.0, 300.0]  # ETH/BTC is not in USD and is left out
    assert list(sold.y) == [-40.0]


def test_a_tiny_share_reads_under_a_hundredth_of_a_percent():
    # One asset of 4e-9 of the total (alone, so it is not grouped as "Others").
    fig = charts.allocation_figure(balances(("BTC", 10_000_000.0), ("XRP", 0.04)))
    (pie,) = fig.data
    assert pie.textinfo == "text"
    assert list(pie.text) == ["BTC 100.00 %", "XRP < 0.01 %"]
    assert not any("e-" in t for t in pie.text)


def history(*values):
    return frame(
        HISTORY_COLUMNS,
        [(T0 + pd.Timedelta(hours=i), 1, "A", v) for i, v in enumerate(values)],
    )


def test_time_axes_use_readable_ticks():
    fig = charts.value_history_figure(history(100.0, 150.0))
    stops = fig.layout.xaxis.tickformatstops
    assert stops
    assert all(".%L" not in s.value and "%f" not in s.value for s in stops)
    assert fig.layout.xaxis.type == "date"


def test_a_flat_value_history_is_not_drawn_as_a_trend():
    fig = charts.value_history_figure(history(24041.2, 24041.5, 24041.6))
    low, high = fig.layout.yaxis.range
    assert high - low == pytest.approx(240.416, rel=0.01)  # 1 % of the level, not 0.4 USDT
    title = fig.layout.title.text
    assert "24,041.20 USDT to 24,041.60 USDT" in title
    assert "+0.40 USDT" in title
    moving = charts.value_history_figure(history(100.0, 150.0))
    assert moving.layout.yaxis.range is None


def test_every_legend_sits_below_the_plot():
    figures = [
        charts.value_history_figure(history(100.0, 150.0)),
        charts.volume_by_pair_figure(frame(TRADE_COLUMNS, [])),
    ]
    for fig in figures:
        assert fig.layout.legend.y < 0
        assert fig.layout.legend.yanchor == "top"
