"""The run context: settings, database handle and vault for one script run.

app.py opens it at the start of every run (`bootstrap`) and closes it at the end (`close`).
A page run on its own (Streamlit's test harness runs a switched-to page without app.py) opens
it on first use instead: `ctx()` opens the database handle for the run's thread and reads
settings and vault from the session. That handle lives only in the thread's local storage,
so it is closed, in its own thread, when the script thread ends (Streamlit offers no public
hook for the end of a run). Widget callbacks run before the script: they use `callback_db`.

A storage fault at start-up (read-only folder, full disk, a file that is not BackFuture's
database...) is shown as a page that says what is wrong and what to do (`startup_problem`), never
as Streamlit's error: app.py navigates to that page alone, and a page run on its own stops with
the same text. Key problems (missing, damaged or unsafe keyfile) go to the unlock page.

The unlock gate holds either way. app.py shows only the unlock page while locked, and the
Overview once unlocked. A page run on its own follows the same rule: `require_vault` sends a
locked session to the unlock page (or, where no unlock page is registered, stops the page with
the reason), and `ctx` sends a session that has just been unlocked to the Overview.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import streamlit as st
from sqlite_utils import Database
from streamlit.errors import StreamlitAPIException

from backfuture_core.config import Settings
from backfuture_core.errors import BackfutureError, StorageError, VaultError, VaultLocked
from backfuture_core.security.vault import Vault, open_vault, vault_mode
from backfuture_core.storage.database import open_db
from pages._ui.messages import show_error

UNLOCK_PAGE = "pages/unlock.py"
HOME_PAGE = "pages/overview.py"  # app.py's default page
WAS_LOCKED = "run_context.was_locked"  # session key: the lock state the last run saw

# Per script thread: `opened` is app.py's context for the current run; `lazy` holds the
# handle a page opened on its own. Never shared across threads (SQLite forbids it).
_run = threading.local()


@dataclass
class RunContext:
    settings: Settings
    db: Database
    mode: str | None
    vault: Vault | None
    vault_error: VaultError | None = None


def _settings() -> Settings:
    if "settings" not in st.session_state:
        st.session_state["settings"] = Settings.from_env()
    return st.session_state["settings"]


def _context(settings: Settings, db: Database) -> RunContext:
    """Mode and vault for this session: the session's vault (passphrase mode) or the keyfile's."""
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
    return RunContext(settings, db, mode, vault, error)


def _open_context(settings: Settings) -> RunContext:
    """Open the database and build the run's context; the handle is closed if that fails."""
    db = open_db(settings.db_path)
    try:
        return _context(settings, db)
    except BaseException:
        db.close()
        raise


def bootstrap() -> RunContext:
    """Open settings, database and vault for this run (app.py; it calls `close` at the end).

    Raises StorageError when the data cannot be used (app.py shows `startup_problem`).
    """
    _run.opened = _open_context(_settings())
    _note_lock_state(_run.opened)  # app.py's own navigation moves a just-unlocked session on
    return _run.opened


def show_startup_problem(error: BackfutureError) -> None:
    """What is wrong with the data and what to do; the paths help find it."""
    st.title("BackFuture cannot start")
    show_error(error)
    settings = _settings()
    st.markdown("**Where BackFuture looks for its data**")
    st.text(f"Database: {settings.db_path}\nKeyfile:  {settings.keyfile_path}")
    st.caption("Fix the problem, then press Try again. BackFuture changed none of these files.")
    st.button("Try again", icon=":material/refresh:", key="startup.retry")


def startup_problem(error: BackfutureError) -> st.Page:
    """The only page while the data cannot be used: it shows `error` and offers to try again."""

    def cannot_start() -> None:
        show_startup_problem(error)

    return st.Page(cannot_start, title="Cannot start", icon=":material/error:")


def close() -> None:
    """Close the context `bootstrap` opened for this run."""
    opened = getattr(_run, "opened", None)
    if opened is not None:
        _run.opened = None
        opened.db.close()


class _ThreadHandle:
    """A database handle owned by one script thread: closed when the thread ends.

    Only the thread's local storage refers to this holder, and Python clears that storage in
    the thread itself as it exits; the finalizer then closes the handle in its own thread.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = open_db(settings.db_path)  # a StorageError leaves nothing to close
        self.context: RunContext | None = None
        self.session_vault: Vault | None = None  # the session's vault `context` was built from
        self.closed = weakref.finalize(self, self.db.close)


def ctx() -> RunContext:
    """This run's context: app.py's, or one opened here for a page run on its own (which stops
    with the start-up problem when the data cannot be used)."""
    opened = getattr(_run, "opened", None)
    if opened is not None:
        return opened
    try:
        return _lazy_context()
    except StorageError as exc:
        show_startup_problem(exc)
        st.stop()


def _lazy_context() -> RunContext:
    settings = _settings()
    handle: _ThreadHandle | None = getattr(_run, "lazy", None)
    if handle is None or handle.settings is not settings:
        if handle is not None:
            handle.closed()
        handle = _run.lazy = _ThreadHandle(settings)
    # A rerun on the same thread (after Lock, Unlock or a passphrase change) must see the
    # session as it is now: rebuild the context whenever the session's vault changed.
    session_vault = st.session_state.get("vault")
    if handle.context is None or handle.session_vault is not session_vault:
        handle.context = _context(settings, handle.db)
        handle.session_vault = session_vault
        if _note_lock_state(handle.context):
            _switch_to(HOME_PAGE)
    return handle.context


def _note_lock_state(context: RunContext) -> bool:
    """Record whether this run is locked; True when the previous run was and this one is not."""
    locked = context.vault is None
    was_locked = st.session_state.get(WAS_LOCKED, False)
    st.session_state[WAS_LOCKED] = locked
    return was_locked and not locked


def _switch_to(page: str) -> None:
    """Go to `page` (this ends the run) if the app registers it; otherwise stay."""
    with contextlib.suppress(StreamlitAPIException):  # raised when `page` is not registered
        st.switch_page(page)


@contextlib.contextmanager
def callback_db() -> Iterator[Database]:
    """A handle for widget callbacks: they run before the script, outside its run context."""
    db = open_db(_settings().db_path)
    try:
        yield db
    finally:
        db.close()


def callback_vault(db: Database) -> Vault:
    """The vault for a callback: the session's (passphrase mode) or the keyfile's."""
    return st.session_state.get("vault") or open_vault(db, st.session_state["settings"])


def require_vault() -> Vault:
    """The unlocked vault. Without one, go to the unlock page, as app.py's gate does; where
    no unlock page is registered (a page started on its own), stop the page with the reason."""
    context = ctx()
    if context.vault is not None:
        return context.vault
    _switch_to(UNLOCK_PAGE)
    show_error(context.vault_error or VaultLocked("BackFuture is locked."))
    st.stop()
