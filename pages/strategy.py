"""Strategy: configure a DCA strategy with sliders, preview its ladder, backtest it, save it."""

import streamlit as st

from backfuture_core.charts import strategy as charts
from backfuture_core.errors import BackfutureError, ValidationError
from backfuture_core.market_data import candles, pairs
from backfuture_core.session_cache import ResultCache
from backfuture_core.storage.connections import load_credentials
from backfuture_core.strategy import checks, preview, readiness, run, saved
from backfuture_core.strategy.form import (
    ZERO_MEANS,
    FormState,
    number_format,
    opening_connection,
    parameter_groups,
    slider_bounds,
    slider_help,
)
from backfuture_core.strategy.params import FIELD_LABELS, MARGIN_MODES, RISK_LEVELS
from pages import _ui

K, state = "strategy.", st.session_state
st.title("Strategy")
st.info("Running a strategy live is not part of BackFuture yet; this page configures, previews "
        "and simulates.", icon=":material/info:")  # fmt: skip
context, vault = _ui.ctx(), _ui.require_vault()
conns = _ui.exchange_connections(context.db)
if not conns:
    st.info("Add a connection first, or start the demo on the Overview.", icon=":material/link:")
    st.stop()
form, cache = FormState(state, conns, K), ResultCache(state, K + "exchange", ttl_s=120)
deadline = context.settings.exchange_deadline_s  # every exchange call's


def exchange_data(fetch, conn_id: int, *args):
    """(value, None) or (last value, error): kept 120 s, so a failing call is not repeated on
    every rerun."""

    def ask():
        creds = load_credentials(context.db, vault, conn_id)
        return fetch(context.db, conns[conn_id], creds, *args, deadline_s=deadline)

    with st.spinner("Asking the exchange…"):
        entry = cache.kept((fetch.__name__, conn_id, *args), ask)
    return entry.value, entry.error


def on_saved(action: str) -> None:
    try:
        with _ui.callback_db() as db:
            state[K + "flash"] = form.on_saved(db, action)
    except BackfutureError as exc:
        state[K + "problems"] = getattr(exc, "problems", {"Saved strategies": str(exc)})


conn = form.prepare(opening_connection(context.db, conns))
top = st.columns([3, 2, 2, 4])
top[0].selectbox(
    "Connection", list(conns), format_func=lambda i: _ui.connection_label(conns[i]),
    key=K + "connection", on_change=form.on_connection,
)  # fmt: skip
options = pairs.market_options(conn)
market = top[1].radio(
    "Market", options, format_func=str.title, key=K + "market", on_change=form.on_market
)
groups, pairs_error = exchange_data(pairs.available_pairs_sync, conn.id, market)
groups = form.choose_pairs(groups or {})
quote = top[2].selectbox("Quote currency", list(groups), key=K + "quote", on_change=form.on_edit)
top[3].multiselect("Pairs", groups.get(quote, []), key=K + "pairs", on_change=form.on_edit)
if pairs_error:
    st.warning(f"Could not load the exchange's pairs. {pairs_error}", icon=":material/warning:")
st.radio(
    "Risk level", RISK_LEVELS, key=K + "risk_level", horizontal=True, on_change=form.on_preset,
    help="A preset fills in every setting below; moving a slider off it shows Custom.",
)  # fmt: skip

settings_col, preview_col = st.columns([2, 3], gap="large")
with settings_col:
    for group, specs in parameter_groups(futures=market == "futures").items():
        with st.expander(group, expanded=group != "Recovery Mode"):
            if group == "Futures":
                st.selectbox(
                    "Margin mode", MARGIN_MODES, key=K + "margin_mode", on_change=form.on_edit
                )
            if group == "Recovery Mode":
                st.toggle("Recovery Mode", key=K + "recovery_enabled", on_change=form.on_edit)
            for spec in specs:
                lo, hi, step = slider_bounds(spec, state[K + spec.name])
                (st.number_input if spec.unit == "quote" else st.slider)(
                    spec.label, min_value=lo, max_value=hi, step=step, key=K + spec.name,
                    help=slider_help(spec), on_change=form.on_edit, format=number_format(spec),
                    disabled=group == "Recovery Mode" and not state[K + "recovery_enabled"],
                )  # fmt: skip
                if state[K + spec.name] == 0 and spec.name in ZERO_MEANS:
                    st.caption(ZERO_MEANS[spec.name])
params = form.params()
form.keep_draft(params)
balance, balance_error = exchange_data(pairs.quote_balance_sync, conn.id, market, quote)
state[K + "balance"] = balance
problems = checks.validate(params, quote_balance=balance)

with preview_col:
    st.subheader("Ladder preview")
    if balance_error:
        st.warning(f"Could not read the balance. {balance_error}", icon=":material/warning:")
    for p in problems:  # our messages; pair names in them are plain A-Z/0-9 symbols
        (st.error if p.is_error else st.warning)(f"**{FIELD_LABELS[p.field]}**: {p.message}")
    form.keep_only("pair", params.pairs)
    pair = st.selectbox("Pair to preview and backtest", params.pairs, key=K + "pair")
    price, price_error = (
        exchange_data(candles.last_price_sync, conn.id, pair) if pair else (None, None)
    )
    if (ladder := preview.try_ladder(params, price, balance)) is not None:
        figures = preview.capital_figures(ladder, balance)
        for column, (label, text) in zip(st.columns(3), figures.items(), strict=True):
            column.metric(label, text)
        frame = ladder.to_frame()
        formats = preview.ladder_formats(frame.columns).items()
        config = {c: st.column_config.NumberColumn(format=f) for c, f in formats}
        st.dataframe(frame, column_config=config, hide_index=True, key=K + "ladder")
        st.plotly_chart(charts.ladder_figure(ladder), key=K + "ladder_chart")
        st.dataframe(preview.summary_frame(ladder, balance), hide_index=True, height="content")
    elif price_error:
        st.warning(f"Could not read the current price. {price_error}", icon=":material/warning:")

st.subheader("Backtest")
cols = st.columns(4, vertical_alignment="bottom")
days = cols[0].selectbox("Period", run.PERIOD_DAYS, format_func="Last {} days".format,
                        index=1, key=K + "days")  # fmt: skip
timeframe = cols[1].selectbox("Candles", list(candles.TIMEFRAMES), index=1, key=K + "timeframe")
form.follow_balance(balance)
start = cols[2].number_input(
    f"Starting balance ({quote})" if quote else "Starting balance", min_value=1.0, step=100.0,
    key=K + "start_balance", help="The connection's balance; change it to try another amount.",
)  # fmt: skip
signature = repr((conn.id, params, pair, days, timeframe, start))
if cols[3].button("Run backtest", key=K + "run_backtest", type="primary", disabled=not pair):
    with st.status("Fetching candles and replaying them…") as status:
        try:
            creds = load_credentials(context.db, vault, conn.id)
            result = run.backtest_pair_sync(
                context.db, conn, creds, params, pair, days=days, timeframe=timeframe,
                initial_balance=start, deadline_s=deadline,
            )  # fmt: skip
            status.update(label=f"Replayed {len(result.candles)} candles.", state="complete")
        except BackfutureError as exc:
            result = exc
            status.update(label="The backtest could not run.", state="error")
    state[K + "backtest"] = (signature, result)
last_signature, last = state.get(K + "backtest", (None, None))
if last_signature == signature and isinstance(last, ValidationError):
    _ui.show_problems(last.problems)
elif last_signature == signature and isinstance(last, BackfutureError):
    _ui.show_error(last)
elif last_signature == signature:
    recovery = params.recovery_enabled  # the comparison only means something with it on
    st.dataframe(preview.backtest_table(last, recovery=recovery), hide_index=True,
                 height="content", key=K + "results")  # fmt: skip
    shown = last.with_recovery if recovery else last.without_recovery
    equity = charts.equity_figure(shown, last.without_recovery if recovery else None)
    st.plotly_chart(equity, key=K + "equity")
    st.plotly_chart(charts.deals_figure(last.candles, shown), key=K + "deals")
elif last is not None:
    st.caption("The settings changed since the last backtest: run it again to see their results.")

st.subheader("Readiness")
confirmed = state.get(K + "withdrawal_confirmed", False)
view = readiness.readiness_view(
    context.db, conn, params, problems, balance, withdrawal_confirmed=confirmed
)
if view.ask_withdrawal:
    st.checkbox("I confirm withdrawal is disabled on this key", key=K + "withdrawal_confirmed")
READINESS_ICONS = {
    "pass": ":green[:material/check_circle:]",
    "unknown": ":orange[:material/help:]",
    "fail": ":red[:material/cancel:]",
}
for line in view.lines:
    st.markdown(f"{READINESS_ICONS[line.state]} **{line.label}**")
    if line.detail:
        st.text(line.detail)

st.subheader("Saved strategies")
if message := state.pop(K + "flash", None):
    st.success(message, icon=":material/check_circle:")
_ui.show_problems(state.pop(K + "problems", {}))
left, right = st.columns(2)
left.text_input("Strategy name", key=K + "name", max_chars=64, placeholder="e.g. BTC ETH Balanced")
left.button("Save strategy", key=K + "save", on_click=on_saved, args=("save",), type="primary")
stored = {s.id: s.name for s in saved.list_strategies(context.db, conn.id)}
form.keep_only("saved", stored)
right.selectbox("Saved for this connection", list(stored), format_func=stored.get, key=K + "saved")
if stored and state.get(K + "confirm_delete") == state.get(K + "saved"):
    right.warning("Delete the selected strategy? This cannot be undone.", icon=":material/delete:")
    right.button(
        "Yes, delete it", key=K + "delete_confirmed", on_click=on_saved, args=("delete_confirmed",)
    )
for column, action in zip(right.columns(2), ("load", "delete"), strict=True):
    column.button(
        action.title(), key=K + action, on_click=on_saved, args=(action,), disabled=not stored
    )
