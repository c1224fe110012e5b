"""Balances: value totals, assets valued in USDT, allocation, value history and positions."""

import math

import streamlit as st

from backfuture_core.charts import portfolio as charts
from backfuture_core.portfolio.accounts import COUNTING_RULE, history_per_account
from backfuture_core.portfolio.background import Wait
from backfuture_core.portfolio.balances_view import (
    DUST_USDT,
    PortfolioView,
    balance_table,
    refresh_balances,
)
from backfuture_core.portfolio.history import value_history
from backfuture_core.portfolio.tables import (
    BALANCE_VIEW,
    HELP,
    POSITION_VIEW,
    column_labels,
    display_frame,
)
from backfuture_core.session_cache import ResultCache
from pages import _ui

K = "balances."
st.title("Balances")
context, vault = _ui.ctx(), _ui.require_vault()
conns = _ui.exchange_connections(context.db)
top = st.columns([4, 2, 2], vertical_alignment="bottom")
targets = _ui.portfolio_targets(conns, top[0], K + "connection")
refresh = top[1].button("Refresh", icon=":material/refresh:", key=K + "refresh", width="stretch")
hide_dust = top[2].toggle(f"Hide dust (under {DUST_USDT:g} USDT)", key=K + "hide_dust")
deadline = context.settings.exchange_deadline_s


def balances(wait: Wait) -> PortfolioView:
    cache = ResultCache(st.session_state, "balances")
    db = _ui.ctx().db  # this run's handle (a fragment's run has its own)
    return refresh_balances(
        db, vault, targets, cache, force=refresh and wait is not Wait.NONE, deadline_s=deadline,
        wait=wait,
    )  # fmt: skip


with st.spinner("Fetching balances…"):
    first = balances(Wait.SETTLE)  # what arrived at once; the rest fills in below


def money(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.2f}"


MARKS = {"stale": " (stale)", "waiting": " (waiting for an answer)"}


def render(view: PortfolioView, polled: bool = False) -> None:
    st.caption(view.last_updated)
    if view.waiting:
        st.caption(view.waiting_text)
    _ui.show_notices(view.notices)
    st.metric("Total value (USDT)", money(view.total_usdt))
    rows = list(view.totals.itertuples(index=False))
    for start in range(0, len(rows), 4):
        for column, row in zip(st.columns(4), rows[start : start + 4], strict=False):
            column.text(row.connection + MARKS.get(row.state, ""))
            column.metric("Value (USDT)", money(row.total_usdt), label_visibility="collapsed")
            column.caption(row.account)
    if view.accounts.shared:
        st.caption(COUNTING_RULE)
    assets(view)


def assets(view: PortfolioView) -> None:
    st.subheader("Assets")
    shown = balance_table(view.balances, hide_dust=hide_dust)
    table(display_frame(shown, BALANCE_VIEW, connections=len(targets)), K + "table")
    st.caption(
        "Stablecoins count 1 USDT; other assets use their USDT market, or their BTC market times "
        "BTC/USDT. An asset with no market shows 'no price' and is left out of the totals."
    )
    left, right = st.columns(2)
    left.plotly_chart(charts.allocation_figure(view.balances), key=K + "allocation")
    history = value_history(_ui.ctx().db, [c.id for c in targets])
    history = history_per_account(history, view.accounts)
    right.plotly_chart(charts.value_history_figure(history), key=K + "history")

    if view.futures:
        st.subheader("Futures positions")
        positions = display_frame(view.positions, POSITION_VIEW, connections=len(targets))
        table(positions, K + "positions")
        st.plotly_chart(charts.pnl_figure(view.positions), key=K + "pnl")


def table(frame, key: str) -> None:
    labels = column_labels(frame.columns)
    config = {
        c: st.column_config.TextColumn(label, help=HELP.get(c)) for c, label in labels.items()
    }
    st.dataframe(frame, hide_index=True, key=key, column_config=config)


_ui.filling_in(first, lambda: balances(Wait.NONE), render)
