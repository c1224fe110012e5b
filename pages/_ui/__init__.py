"""Streamlit helpers shared by the pages (not a page): `from pages import _ui`.

- run_context: settings, database and vault for one script run, and the unlock gate;
- messages: our errors, form problems, error categories, per-connection notices;
- status: status colours and icons (badges, table cells, checklist, readiness, Unsafe banner);
- connections: connection labels, the connections table, the connection picker;
- connection_actions: the Connections page's add, edit, replace-keys and delete callbacks;
- onboarding: the seed guide's advice and the demo's start button;
- filling: a page part that fills in as exchanges answer;
- stale: a picked connection that another tab deleted.
"""

from pages._ui.connections import (
    connection_label,
    connection_notes,
    connections_column_config,
    connections_frame,
    exchange_connections,
    portfolio_targets,
)
from pages._ui.filling import filling_in
from pages._ui.messages import show_category, show_error, show_notices, show_problems
from pages._ui.onboarding import demo_flash, guidance, start_demo_button
from pages._ui.run_context import (
    UNLOCK_PAGE,
    RunContext,
    bootstrap,
    callback_db,
    callback_vault,
    close,
    ctx,
    require_vault,
)
from pages._ui.stale import deleted_since_shown, remember_shown, show_gone
from pages._ui.status import (
    CHECK_ICONS,
    CHECK_WORDS,
    STATUS_BADGES,
    check_line,
    checklist,
    status_badge,
    status_cell,
    unsafe_banner,
)

__all__ = [
    "CHECK_ICONS",
    "CHECK_WORDS",
    "STATUS_BADGES",
    "UNLOCK_PAGE",
    "RunContext",
    "bootstrap",
    "callback_db",
    "callback_vault",
    "check_line",
    "checklist",
    "close",
    "connection_label",
    "connection_notes",
    "connections_column_config",
    "connections_frame",
    "ctx",
    "deleted_since_shown",
    "demo_flash",
    "exchange_connections",
    "filling_in",
    "guidance",
    "portfolio_targets",
    "remember_shown",
    "require_vault",
    "show_category",
    "show_error",
    "show_gone",
    "show_notices",
    "show_problems",
    "start_demo_button",
    "status_badge",
    "status_cell",
    "unsafe_banner",
]
