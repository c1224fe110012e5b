"""Status at a glance: one colour and icon per connection status and check state, for badges,
table cells, the connection test's checklist, readiness lines and the Unsafe banner."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from backfuture_core.diagnostics.checks import NOT_REACHED
from backfuture_core.exchanges.registry import SUPPORTED
from backfuture_core.models import Check, CheckState, Connection, ConnectionReport, Status

BadgeColor = Literal["green", "orange", "red", "gray"]

# Status -> (label, badge color, icon); the label is also the tables' "Status" text.
STATUS_BADGES: dict[Status, tuple[str, BadgeColor, str]] = {
    Status.ONLINE: ("Online", "green", ":material/check_circle:"),
    Status.WARNING: ("Warning", "orange", ":material/warning:"),
    Status.UNSAFE: ("Unsafe", "red", ":material/gpp_bad:"),
    Status.FAILED: ("Failed", "red", ":material/error:"),
    Status.UNTESTED: ("Untested", "gray", ":material/help:"),
}
# Tables cannot colour a cell's text, so a coloured mark before the label carries the colour.
STATUS_MARKS: dict[BadgeColor, str] = {"green": "🟢", "orange": "🟠", "red": "🔴", "gray": "⚪"}
CHECK_ICONS = {
    CheckState.PASS: ":material/check_circle:",
    CheckState.WARN: ":material/warning:",
    CheckState.FAIL: ":material/cancel:",
    CheckState.UNKNOWN: ":material/help:",
    CheckState.SKIPPED: ":material/remove_circle_outline:",
}
CHECK_COLORS: dict[CheckState, BadgeColor] = {
    CheckState.PASS: "green",
    CheckState.WARN: "orange",
    CheckState.FAIL: "red",
    CheckState.UNKNOWN: "gray",  # not confirmed is never green
    CheckState.SKIPPED: "gray",
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


def status_cell(status: Status) -> str:
    """A status as a table cell: "🟢 Online", "🔴 Unsafe", "⚪ Untested"."""
    label, color, _ = STATUS_BADGES[status]
    return f"{STATUS_MARKS[color]} {label}"


def status_badge(status: Status) -> None:
    label, color, icon = STATUS_BADGES[status]
    st.badge(label, color=color, icon=icon)


def check_line(state: CheckState | bool, text: str) -> str:
    """Markdown for one line of a checklist or of Readiness: the state's icon in its colour,
    then `text` (our markdown only: never user or exchange text). True/False read as pass/fail."""
    if isinstance(state, bool):
        state = CheckState.PASS if state else CheckState.FAIL
    return f":{CHECK_COLORS[state]}[{CHECK_ICONS[state]}] {text}"


def checklist(report: ConnectionReport) -> None:
    """One line per check: coloured icon, title and state; exchange text only through st.text;
    what to do as readable text, not a caption."""
    for check in report.checks:
        with st.container(border=True):
            st.markdown(check_line(check.state, f"**{check.title}** — {check_word(check)}"))
            if check.detail and check.detail != NOT_REACHED:
                st.text(check.detail)
            if check.remedy and check.state in NEEDS_REMEDY:
                st.markdown(f"**What to do:** {check.remedy}")


def unsafe_text(connection: Connection) -> str:
    """What to do about a key that can withdraw, on the exchange itself."""
    exchange = SUPPORTED[connection.exchange].name if connection.exchange in SUPPORTED else None
    where = f"on {exchange}'s API management page" if exchange else "on the exchange"
    return (
        f"**Withdrawal is enabled on this key**: edit the key {where} and disable withdrawal, "
        "or delete it. No strategy may run on this connection until it is tested again."
    )


def unsafe_banner(connection: Connection) -> bool:
    """A red banner for an Unsafe connection (nothing otherwise); True when it was shown.
    The connection's name is user text and stays out of the banner."""
    if connection.status != Status.UNSAFE:
        return False
    st.error(unsafe_text(connection), icon=":material/gpp_bad:")
    return True
