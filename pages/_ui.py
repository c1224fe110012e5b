"""Shared Streamlit helpers (not a page): the per-run context, errors, badges, guidance."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from backfuture_core import demo, guide
from backfuture_core.config import Settings
from backfuture_core.errors import CATEGORIES, BackfutureError, VaultError, VaultLocked
from backfuture_core.models import CheckState, Connection, ConnectionReport, Status
from backfuture_core.security.vault import Vault, open_vault, vault_mode
from backfuture_core.storage.database import open_db

# One database handle per script run, held by the run's own thread: never shared across threads.
_run = threading.local()

STATUS_BADGES = {
    Status.ONLINE: ("Online", "green", ":material/check_circle:"),
    Status.WARNING: ("Warning", "orange", ":material/warning:"),
    Status.UNSAFE: ("Unsafe", "red", ":material/gpp_bad:"),
    Status.FAILED: ("Failed", "red", ":material/error:"),
    Status.UNTESTED: ("Untested", "gray", ":material/help:"),
}


@dataclass
class RunContext:
    settings: Settings
    db: object
    mode: str | None
    vault: Vault | None
    vault_error: VaultError | None = None


def bootstrap() -> RunContext:
    """Open settings, database and vault for this run (called by app.py only)."""
    if "settings" not in st.session_state:
        st.session_state["settings"] = Settings.from_env()
    settings = st.session_state["settings"]
    db = open_db(settings.db_path)
    mode = vault_mode(db)
    vault, error = st.session_state.get("vault"), None
    if vault is None and mode != "passphrase":
        try:
            vault = open_vault(db, settings)
            mode = vault_mode(db)
        except VaultError as exc:
            error = exc
    elif vault is None:
        error = VaultLocked("Enter the master passphrase to unlock BackFuture.")
    _run.ctx = RunContext(settings, db, mode, vault, error)
    return _run.ctx


def close() -> None:
    ctx = getattr(_run, "ctx", None)
    if ctx is not None:
        ctx.db.close()
        _run.ctx = None


@contextlib.contextmanager
def callback_db():
    """A handle for widget callbacks: they run before the script, outside its run context."""
    db = open_db(st.session_state["settings"].db_path)
    try:
        yield db
    finally:
        db.close()


def callback_vault(db) -> Vault:
    """The vault for a callback: the session's (passphrase mode) or the keyfile's."""
    return st.session_state.get("vault") or open_vault(db, st.session_state["settings"])


def ctx() -> RunContext:
    return _run.ctx


def show_error(exc: BackfutureError) -> None:
    """Our messages hold no secret and no user text, so they can go through st.error."""
    st.error(str(exc), icon=":material/error:")


def show_problems(problems: dict[str, str]) -> None:
    for label, message in problems.items():
        st.error(f"**{label}**: {message}", icon=":material/error:")


def status_badge(status: Status) -> None:
    label, color, icon = STATUS_BADGES[status]
    st.badge(label, color=color, icon=icon)


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
    CheckState.UNKNOWN: "unknown: the exchange does not say",
    CheckState.SKIPPED: "not needed",
}


def checklist(report: ConnectionReport) -> None:
    """One line per check: icon, title and state; exchange text only through st.text."""
    for check in report.checks:
        with st.container(border=True):
            st.markdown(
                f"{CHECK_ICONS[check.state]} **{check.title}** — {CHECK_WORDS[check.state]}"
            )
            if check.detail:
                st.text(check.detail)
            if check.remedy and check.state in (
                CheckState.FAIL,
                CheckState.WARN,
                CheckState.UNKNOWN,
            ):
                st.caption(f"What to do: {check.remedy}")


def show_category(category_id: str, reported_ip: str | None = None) -> None:
    category = CATEGORIES.get(category_id, CATEGORIES["unknown"])
    text = f"**{category.title}.** {category.cause} {category.remedy}"
    (st.warning if category.transient else st.error)(text, icon=":material/error:")
    if reported_ip:
        st.text(f"The exchange saw the request coming from {reported_ip}.")


def connection_label(conn: Connection) -> str:
    """Names are user text: this is used only where Streamlit shows plain text (options)."""
    return f"{conn.name} (demo)" if conn.is_demo and "(demo)" not in conn.name else conn.name


def connections_frame(
    conns: list[Connection],
    exchange_names: dict[str, str],
    values: dict[int, float] | None = None,
) -> pd.DataFrame:
    """One row per connection; with `values` (id -> USDT), a "Value (USDT)" column after Status."""
    frame = pd.DataFrame(
        [
            {
                "Connection": connection_label(c),
                "Exchange": exchange_names.get(c.exchange, c.exchange),
                "Market": c.market.label,
                "API Key": c.key_hint,
                "Status": STATUS_BADGES[c.status][0],
                "Demo": c.is_demo,
                "Last tested": c.last_tested_at or "never",
                "Created": c.created_at,
                "Updated": c.updated_at,
            }
            for c in conns
        ],
        columns=[
            "Connection",
            "Exchange",
            "Market",
            "API Key",
            "Status",
            "Demo",
            "Last tested",
            "Created",
            "Updated",
        ],
    )
    if values is not None:
        frame.insert(5, "Value (USDT)", [values.get(c.id, float("nan")) for c in conns])
    return frame


def guidance(*, steps: bool = True) -> None:
    """The seed's advice: connection steps, the permission table and naming advice."""
    if steps:
        st.subheader("How to connect an exchange")
        st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(guide.CONNECTION_STEPS, 1)))
    st.subheader("Required API permissions")
    st.table(
        pd.DataFrame(guide.PERMISSIONS, columns=["Permission", "Needed?", "Why"]).set_index(
            "Permission"
        )
    )
    st.subheader("Naming a connection")
    st.caption(guide.NAMING_ADVICE)
    st.markdown("\n".join(f"- **{name}** — {why}" for name, why in guide.NAMING_EXAMPLES))


def start_demo_button(key: str) -> None:
    """'Start demo': sandbox exchange in this process plus demo connections."""
    if st.button("Start demo", icon=":material/play_circle:", key=key, type="primary"):
        with st.spinner("Starting the sandbox exchange…"):
            added = demo.start_demo(ctx().db, require_vault())
        st.session_state["demo.flash"] = f"Demo started: {len(added)} demo connections added."
        st.rerun()


def demo_flash() -> None:
    if message := st.session_state.pop("demo.flash", None):
        st.success(message, icon=":material/check_circle:")


def require_vault() -> Vault:
    """The unlocked vault, or stop the page with the reason."""
    context = ctx()
    if context.vault is None:
        show_error(context.vault_error or VaultLocked("BackFuture is locked."))
        st.stop()
    return context.vault


def portfolio_targets(conns: dict[int, Connection], column, key: str) -> list[Connection]:
    """The "All connections" or one-connection picker of Balances and Orders; empty state first."""
    if not conns:
        st.info(
            "Add a connection first, or start the demo on the Overview.", icon=":material/link:"
        )
        st.stop()
    choice = column.selectbox(
        "Connection",
        [0, *conns],
        key=key,
        format_func=lambda i: "All connections" if i == 0 else connection_label(conns[i]),
    )
    return list(conns.values()) if choice == 0 else [conns[choice]]


def show_notices(notices) -> None:
    """A refresh's per-connection problems; connection names are user text, so plain text."""
    for notice in notices:
        with st.container(border=True):
            st.text(notice.connection)
            show = st.warning if notice.level == "warning" else st.error
            show(notice.text, icon=":material/warning:")
