"""Orders: open orders, order history and fills with filters, charts and CSV export."""

import streamlit as st

from backfuture_core.charts import portfolio as charts
from backfuture_core.formatting import format_symbol
from backfuture_core.portfolio.background import Wait
from backfuture_core.portfolio.export import csv_bytes
from backfuture_core.portfolio.orders_view import (
    DEFAULT_PERIOD_DAYS,
    PERIOD_DAYS,
    ActivityView,
    chart_pair,
    filter_orders,
    pair_options,
    refresh_candles,
    refresh_orders,
)
from backfuture_core.portfolio.rows import ORDER_COLUMNS, TRADE_COLUMNS
from backfuture_core.portfolio.tables import ORDER_VIEW, TRADE_VIEW, column_labels, display_frame
from backfuture_core.session_cache import ResultCache
from pages import _ui

K, state = "orders.", st.session_state
st.title("Orders")
context, vault = _ui.ctx(), _ui.require_vault()
conns = _ui.exchange_connections(context.db)
top = st.columns([4, 2, 2], vertical_alignment="bottom")
targets = _ui.portfolio_targets(conns, top[0], K + "connection")
days = top[1].selectbox(
    "Period", PERIOD_DAYS, index=PERIOD_DAYS.index(DEFAULT_PERIOD_DAYS),
    format_func=lambda d: "Last 24 hours" if d == 1 else f"Last {d} days", key=K + "period",
)  # fmt: skip
refresh = top[2].button("Refresh", icon=":material/refresh:", key=K + "refresh", width="stretch")
chosen = state.get(K + "pair") or None  # asked for on exchanges that answer per symbol
deadline = context.settings.exchange_deadline_s


def activity(wait: Wait) -> ActivityView:
    cache, db = ResultCache(state, "orders"), _ui.ctx().db  # a fragment's run has its own handle
    return refresh_orders(
        db, vault, targets, cache, days=days, pair=chosen, force=refresh and wait is not Wait.NONE,
        deadline_s=deadline, wait=wait,
    )  # fmt: skip


with st.spinner("Fetching orders and fills… MEXC answers one pair and 7 days per request."):
    first = activity(Wait.SETTLE)  # what arrived at once; the rest fills in below


filters = st.columns(3)  # drawn in the full run: a choice reruns the page (a pair may be asked)
pairs = ["", *pair_options(first)]
if chosen and chosen not in pairs:
    pairs.append(chosen)
pair = filters[0].selectbox(
    "Pair", pairs, key=K + "pair", format_func=lambda p: format_symbol(p) if p else "All pairs"
)
side = filters[1].selectbox(
    "Side", ["", "buy", "sell"], key=K + "side", format_func=lambda s: s.title() or "Both sides"
)
status = filters[2].selectbox(
    "Status", ["", "open", "closed", "canceled"], key=K + "status",
    format_func=lambda s: {"": "Any status", "closed": "Filled (closed)"}.get(s, s.title()),
)  # fmt: skip


def render(view: ActivityView, polled: bool) -> None:
    st.caption(view.last_updated)
    if view.waiting:
        st.caption(view.waiting_text)
    _ui.show_notices(view.notices)

    orders = filter_orders(view.orders, pair=pair, side=side, status=status)
    fills = filter_orders(view.trades, pair=pair, side=side)
    is_open = orders["status"] == "open"
    counts = st.columns(3)
    counts[0].metric("Open orders", int(is_open.sum()))
    counts[1].metric("Past orders", int((~is_open).sum()))
    counts[2].metric("Fills", len(fills))

    for title, rows, columns, key in (
        ("Open orders", orders[is_open], ORDER_VIEW, "open"),
        ("Order history", orders[~is_open], ORDER_VIEW, "history"),
        ("Fills", fills, TRADE_VIEW, "fills"),
    ):
        st.subheader(title)
        shown = display_frame(rows, columns, connections=len(targets))
        labels = {
            c: st.column_config.TextColumn(t) for c, t in column_labels(shown.columns).items()
        }
        st.dataframe(shown, hide_index=True, key=K + key, column_config=labels)
    ORDER_CSV = [c for c in ORDER_COLUMNS if c not in ("connection_id", "quote")]
    TRADE_CSV = [c for c in TRADE_COLUMNS if c not in ("connection_id", "quote")]
    downloads = st.columns(2)
    downloads[0].download_button(
        "Download orders (CSV)", lambda: csv_bytes(orders[ORDER_CSV]), file_name="orders.csv",
        mime="text/csv", key=K + "download", icon=":material/download:", on_click="ignore",
    )  # fmt: skip
    downloads[1].download_button(
        "Download fills (CSV)", lambda: csv_bytes(fills[TRADE_CSV]), file_name="fills.csv",
        mime="text/csv", key=K + "download_fills", icon=":material/download:", on_click="ignore",
    )  # fmt: skip

    st.subheader("Charts")
    drawn = chart_pair(orders, fills, pair)
    if drawn:
        candles = refresh_candles(
            _ui.ctx().db, vault, targets, view, drawn, days, ResultCache(state, "orders.candles"),
            force=refresh and not polled, deadline_s=deadline,
        )  # fmt: skip
        if candles.error:
            lead = "The price line is from an earlier fetch." if candles.stale else "No price line."
            st.warning(f"{lead} {candles.error}", icon=":material/warning:")
        figure = charts.orders_on_price_figure(candles.value, orders, fills, drawn)
        st.plotly_chart(figure, key=K + "price_chart")
    left, right = st.columns(2)
    left.plotly_chart(charts.volume_by_pair_figure(fills), key=K + "volume")
    right.plotly_chart(charts.buy_sell_figure(fills), key=K + "buy_sell")


_ui.filling_in(first, lambda: activity(Wait.NONE), render)
