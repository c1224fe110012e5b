"""Connection test: run the permission checklist for one connection or all of them."""

import pandas as pd
import streamlit as st

from backfuture_core.diagnostics.reports import (
    latest_report,
    report_history,
    report_json,
)
from backfuture_core.diagnostics.run import failure_message
from backfuture_core.diagnostics.saved import run_saved
from backfuture_core.errors import CATEGORIES, NotFound
from backfuture_core.formatting import MISSING, format_time, title_of
from backfuture_core.portfolio.accounts import accounts_of
from backfuture_core.storage import connections as core
from pages import _ui


def problem_title(category: str | None) -> str:
    """An error category as its title ("Exchange unavailable"); none -> an em dash."""
    if not category:
        return MISSING
    return CATEGORIES[category].title if category in CATEGORIES else title_of(category)


st.title("Connection test")
st.caption(
    "Checks that each key works and is safe: read and trade allowed, withdrawal disabled, "
    "futures when needed, IP restricted."
)
context = _ui.ctx()
vault = _ui.require_vault()
by_id = _ui.exchange_connections(context.db)
conns = list(by_id.values())
if not conns:
    st.info("There is no connection to test yet.", icon=":material/info:")
    st.page_link("pages/connections.py", label="Add a connection", icon=":material/add_link:")
    st.stop()

gone = _ui.deleted_since_shown("test.shown", by_id)
selected_id = st.selectbox(
    "Connection",
    list(by_id),
    format_func=lambda i: _ui.connection_label(by_id[i]),
    key="test.connection",
)
one, every = st.columns(2)
run_one = one.button("Test connection", type="primary", key="test.run_one", width="stretch")
run_all = every.button(f"Test all {len(conns)} connections", key="test.run_all", width="stretch")
if gone:  # the picker fell back to another connection: say so, and never test that one
    _ui.show_gone(gone, "Nothing was tested. Choose a connection and test again.")
    run_one = False

if run_one or run_all:
    targets = conns if run_all else [by_id[selected_id]]
    with st.status(f"Testing {len(targets)} connection(s)…", expanded=True) as progress:
        st.write("Contacting the exchanges; every check runs at the same time.")
        failed = 0
        for outcome in run_saved(context.db, vault, targets):  # one failure stops no other
            problems = [failure_message(outcome.report), outcome.not_saved]
            line = f"{_ui.connection_label(outcome.connection)}: {outcome.report.status.label}"
            st.text(". ".join([line, *filter(None, problems)]))
            failed += outcome.report.status.value in ("failed", "unsafe") or not outcome.saved
        progress.update(
            label=f"Tested {len(targets)} connection(s): {failed} need attention.",
            state="error" if failed else "complete",
            expanded=False,
        )
    if run_all:
        st.session_state["test.summary"] = True

if st.session_state.get("test.summary"):
    latest = core.list_connections(context.db)
    accounts = accounts_of(context.db, latest)
    counts = [(s, sum(c.status == s for c in latest)) for s in _ui.STATUS_BADGES]
    st.markdown(
        "**All connections:** " + ", ".join(f"{_ui.status_cell(s)} {n}" for s, n in counts if n)
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Connection": _ui.connection_label(c),
                    "Status": _ui.status_cell(c.status),
                    "Account": accounts.note(c.id) or MISSING,
                    "Last tested": format_time(c.last_tested_at) if c.last_tested_at else "never",
                }
                for c in latest
            ]
        ),
        hide_index=True,
        column_config=_ui.connections_column_config(),
        key="test.summary_table",
    )

try:
    conn = core.get_connection(context.db, selected_id)
except NotFound as exc:  # deleted in another tab during this run
    _ui.show_error(exc)
    st.stop()
_ui.remember_shown("test.shown", conn)
report = latest_report(context.db, conn.id)
st.subheader("Checklist")
st.text(_ui.connection_label(conn))
_ui.connection_notes(context.db, vault, conn, conns)
if report is None:
    st.info("Not tested yet. Press 'Test connection'.", icon=":material/info:")
    st.stop()
_ui.status_badge(report.status)
st.caption(f"Tested {format_time(report.tested_at)} in {report.duration_ms:,} ms.")
_ui.unsafe_banner(conn)
if why := failure_message(report):  # the test could not run: the reason, not a category
    st.error("The test could not run.", icon=":material/error:")
    st.text(why)
elif report.error_category:
    _ui.show_category(report.error_category, report.reported_ip)
_ui.checklist(report)
st.download_button(
    "Download report (JSON, no secrets)",
    report_json(report),
    file_name=f"backfuture-report-{conn.id}.json",
    mime="application/json",
    key="test.download",
)
history = report_history(context.db, conn.id)
if len(history) > 1:
    st.subheader("Test history")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Tested": format_time(r.tested_at, seconds=True),
                    "Status": _ui.status_cell(r.status),
                    "Problem": problem_title(r.error_category),
                    "Duration (ms)": r.duration_ms,
                }
                for r in history
            ]
        ),
        hide_index=True,
        column_config=_ui.connections_column_config(),
        key="test.history",
    )
