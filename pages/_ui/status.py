"""Connection status badges and the connection test's checklist."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from backfuture_core.diagnostics.checks import NOT_REACHED
from backfuture_core.models import Check, CheckState, ConnectionReport, Status

BadgeColor = Literal["green", "orange", "red", "gray"]

# Status -> (label, badge color, icon); the label is also the tables' "Status" text.
STATUS_BADGES: dict[Status, tuple[str, BadgeColor, str]] = {
    Status.ONLINE: ("Online", "green", ":material/check_circle:"),
    Status.WARNING: ("Warning", "orange", ":material/warning:"),
    Status.UNSAFE: ("Unsafe", "red", ":material/gpp_bad:"),
    Status.FAILED: ("Failed", "red", ":material/error:"),
    Status.UNTESTED: ("Untested", "gray", ":material/help:"),
}
CHECK_ICONS = {
    CheckState.PASS: ":material/check_circle:",
    CheckState.WARN: ":material/warning:",
    CheckState.FAIL: ":material/cancel:",
    CheckState.UNKNOWN: ":material/help:",
    CheckState.SKIPPED: ":material/remove_circle_outline:",
}
CHECK_WORDS = {
    CheckState.PASS: "passed",
    CheckState.WARN: "warning",
    CheckState.FAIL: "failed",
    CheckState.UNKNOWN: "unknown: the exchange does not say",  # or NOT_CHECKED (see `word`)
    CheckState.SKIPPED: "not needed",
}
NEEDS_REMEDY = (CheckState.FAIL, CheckState.WARN, CheckState.UNKNOWN)
NOT_CHECKED = "not checked: the exchange was not reached"


def check_word(check: Check) -> str:
    """The state as the checklist words it: an unknown check whose probe never reached the
    exchange is "not checked", not "the exchange does not say"."""
    if check.state == CheckState.UNKNOWN and check.detail == NOT_REACHED:
        return NOT_CHECKED
    return CHECK_WORDS[check.state]


def status_badge(status: Status) -> None:
    label, color, icon = STATUS_BADGES[status]
    st.badge(label, color=color, icon=icon)


def checklist(report: ConnectionReport) -> None:
    """One line per check: icon, title and state; exchange text only through st.text."""
    for check in report.checks:
        with st.container(border=True):
            st.markdown(f"{CHECK_ICONS[check.state]} **{check.title}** — {check_word(check)}")
            if check.detail and check.detail != NOT_REACHED:
                st.text(check.detail)
            if check.remedy and check.state in NEEDS_REMEDY:
                st.caption(f"What to do: {check.remedy}")
