"""The Connection test page through app.py, in demo mode (the sandbox exchange on loopback)."""

from __future__ import annotations

import json

import pytest

from backfuture_core.diagnostics.reports import latest_report, report_json
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import open_db
from tests.app.conftest import in_order, open_page

MAIN, NO_IP, WITHDRAW, WRONG_IP, KUCOIN = (
    "MEXC Spot Main (demo)",
    "MEXC No IP Restriction (demo)",
    "MEXC Withdrawal Enabled (demo)",
    "MEXC Wrong IP (demo)",
    "KuCoin Futures Conservative (demo)",
)
# The demo's healthy keys on the other exchanges: each is restricted to this computer and
# allowed to read and trade (Binance says only that a restriction exists, which passes).
HEALTHY_ELSEWHERE = {
    "Binance Spot Main (demo)": "online",
    "Bybit Unified Futures (demo)": "online",
    "OKX Spot Main (demo)": "online",
    "Bitget Spot Main (demo)": "online",
}


@pytest.fixture
def page(app):
    at = app.button(key="overview.start_demo").click().run()
    assert not at.exception
    return open_page(at, "connection_test")


def choose(at, label):
    box = at.selectbox(key="test.connection")
    return box.select_index(box.options.index(label)).run()


def checklist_lines(at) -> dict[str, str]:
    """Check title -> state word, as the user reads the checklist."""
    lines = {}
    for md in at.markdown:
        if " — " in md.value and md.value.startswith(":") and "[:material/" in md.value:
            title, state = md.value.split("**")[1], md.value.split(" — ", 1)[1]
            lines[title] = state
    return lines


def check_colors(at) -> dict[str, str]:
    """Check title -> the colour its icon is drawn in (":green[...]" -> "green")."""
    return {
        md.value.split("**")[1]: md.value[1:].split("[", 1)[0]
        for md in at.markdown
        if " — " in md.value and "[:material/" in md.value
    }


def badges(at) -> list[str]:
    return [
        m.value.split("] ", 1)[0].rsplit(" ", 1)[-1].rstrip("]")
        for m in at.markdown
        if "-badge[" in m.value
    ]


def statuses(settings) -> dict[str, str]:
    db = open_db(settings.db_path)
    try:
        return {c.name: c.status.value for c in core.list_connections(db)}
    finally:
        db.close()


def test_without_connections_the_page_points_to_adding_one(app):
    at = open_page(app, "connection_test")
    assert not at.exception
    assert "no connection to test" in at.info[0].value
    assert not at.button  # nothing to press until a connection exists


def test_untested_connection_invites_a_test(page):
    assert not page.exception
    assert any("Not tested yet" in i.value for i in page.info)


def test_one_healthy_connection_goes_online_with_a_green_checklist(page, settings):
    at = choose(page, MAIN)
    at = at.button(key="test.run_one").click().run()
    assert not at.exception
    lines = checklist_lines(at)
    assert lines["API Key valid"] == "passed"
    assert lines["Withdrawal disabled"] == "passed"
    assert lines["IP restriction"] == "passed"
    assert lines["Futures permission"] == "not needed"
    assert badges(at)[:1] == ["Online"]
    colors = check_colors(at)
    assert colors["API Key valid"] == "green"
    assert colors["Futures permission"] == "gray"
    assert not any("Withdrawal is enabled" in e.value for e in at.error)
    assert statuses(settings)[MAIN] == "online"
    assert statuses(settings)[NO_IP] == "untested"  # only the chosen one was tested


def test_test_all_shows_every_outcome_and_the_failure_remedy(page, settings):
    at = page.button(key="test.run_all").click().run()
    assert not at.exception
    assert statuses(settings) == {
        MAIN: "online",
        KUCOIN: "online",
        NO_IP: "warning",
        WITHDRAW: "unsafe",
        WRONG_IP: "failed",
        **HEALTHY_ELSEWHERE,
    }
    summary = at.dataframe[0].value
    assert len(summary) == 9
    marked = dict(zip(summary["Connection"], summary["Status"], strict=True))
    assert marked[WITHDRAW] == "🔴 Unsafe"
    assert marked[WRONG_IP] == "🔴 Failed"
    assert marked[NO_IP] == "🟠 Warning"
    assert marked[MAIN] == "🟢 Online"
    assert "None" not in summary.to_string()
    at = choose(at, WRONG_IP)
    lines = checklist_lines(at)
    assert lines["IP restriction"] == "failed"
    assert lines["Read permission"].startswith("unknown")  # not confirmed is never green
    assert check_colors(at)["IP restriction"] == "red"
    assert check_colors(at)["Read permission"] == "gray"
    assert any("IP not allowed" in e.value for e in at.error)
    advice = " ".join(m.value for m in at.markdown)  # readable text, not a small caption
    assert "Add the correct server IP to the exchange whitelist." in advice
    assert "whitelist" not in " ".join(c.value for c in at.caption)
    assert any("127.0.0.1" in t.value for t in at.text)  # the IP the exchange reported
    assert not any("Withdrawal is enabled" in e.value for e in at.error)

    at = choose(at, WITHDRAW)
    assert checklist_lines(at)["Withdrawal disabled"] == "failed"
    assert badges(at)[:1] == ["Unsafe"]
    banner = next(e.value for e in at.error if "Withdrawal is enabled" in e.value)
    assert "MEXC's API management page" in banner
    assert "disable withdrawal" in banner
    page_text = [str(getattr(e, "value", "")) for e in in_order(at.main)]
    banner_at = next(i for i, t in enumerate(page_text) if "Withdrawal is enabled" in t)
    first_check = next(i for i, t in enumerate(page_text) if "**API Key valid**" in t)
    assert banner_at < first_check  # above the checklist


def after_two_tests(page, label):
    """The page after testing `label` twice, and its Test history table."""
    at = choose(page, label)
    at = at.button(key="test.run_one").click().run()
    at = at.button(key="test.run_one").click().run()
    assert not at.exception
    return at, next(d.value for d in at.dataframe if "Duration (ms)" in d.value.columns)


def test_history_names_problems_by_title_with_readable_times(page, settings):
    _, history = after_two_tests(page, WRONG_IP)
    assert list(history["Problem"]) == ["IP not allowed", "IP not allowed"]
    assert list(history["Status"]) == ["🔴 Failed", "🔴 Failed"]
    for tested in history["Tested"]:
        assert "T" not in tested.split(",")[0]
        assert "+00:00" not in tested


def test_history_and_download_hold_no_secret(page, settings):
    at, history = after_two_tests(page, KUCOIN)
    assert len(history) == 2
    assert at.get("download_button")[0].proto.label.startswith("Download report")
    db = open_db(settings.db_path)
    try:
        conn = core.find_connection(db, KUCOIN)
        text = report_json(latest_report(db, conn.id))
    finally:
        db.close()
    assert json.loads(text)["status"] == "online"
    for secret in ("demo-kucoin-futures-secret-not-real", "demo-passphrase-1"):
        assert secret not in text


# --- One failure never breaks the rest; a deleted connection is never swapped silently -------


def test_a_selected_connection_deleted_in_another_tab_is_never_swapped_for_another(page, settings):
    at = choose(page, WITHDRAW)
    other_tab = open_db(settings.db_path)
    gone = next(c for c in core.list_connections(other_tab) if c.name == WITHDRAW)
    core.delete_connection(other_tab, gone.id, version=gone.version)

    at = at.button(key="test.run_one").click().run()

    assert not at.exception
    assert any("deleted in another tab" in w.value and "Nothing was tested" in w.value
               for w in at.warning)  # fmt: skip
    assert WITHDRAW in [t.value for t in at.text]
    assert other_tab.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
    other_tab.close()
    at = at.button(key="test.run_one").click().run()  # now it was said: the shown one is tested
    assert not at.warning
    assert latest_report(open_db(settings.db_path), at.selectbox(key="test.connection").value)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE connections SET secret_enc = substr(secret_enc, 1, 5) WHERE name = ?",
        "UPDATE connections SET api_key_enc = NULL WHERE name = ?",
        "UPDATE connections SET exchange = 'kucoin' WHERE name = ?",
    ],
    ids=["truncated secret", "no API key", "re-pointed exchange"],
)
def test_test_all_with_a_damaged_row_names_it_and_saves_every_other_report(page, settings, sql):
    db = open_db(settings.db_path)
    with db.conn:
        db.execute(sql, [NO_IP])

    at = page.button(key="test.run_all").click().run()

    assert not at.exception
    lines = [t.value for t in at.text]
    assert any(
        line.startswith(f"{NO_IP}: Failed. The saved keys of {NO_IP} are damaged") for line in lines
    )
    assert not any("connection 1" in line.lower() for line in lines)
    assert statuses(settings) == {
        MAIN: "online",
        KUCOIN: "online",
        NO_IP: "failed",
        WITHDRAW: "unsafe",
        WRONG_IP: "failed",
        **HEALTHY_ELSEWHERE,
    }
    for conn in core.list_connections(db):  # every report saved, the damaged one's too
        assert latest_report(db, conn.id) is not None
    db.close()
