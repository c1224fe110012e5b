"""The Strategy page through app.py in demo mode (the sandbox exchange on loopback)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backfuture_core.demo import resolved
from backfuture_core.diagnostics.reports import save_report
from backfuture_core.diagnostics.run import run as run_connection_test
from backfuture_core.security.vault import open_vault
from backfuture_core.storage.connections import find_connection, load_credentials
from backfuture_core.storage.database import open_db
from backfuture_core.strategy.params import PARAMETERS
from backfuture_core.strategy.presets import PRESETS
from tests.app.conftest import open_page

K = "strategy."
KUCOIN, MEXC_MAIN, MEXC_WRONG_IP = (
    "KuCoin Futures Conservative (demo)",
    "MEXC Spot Main (demo)",
    "MEXC Wrong IP (demo)",
)
SLIDERS = [
    p.name
    for p in PARAMETERS
    if p.unit != "quote" and not p.futures_only and p.name in PRESETS["Balanced"]
]


@pytest.fixture
def page(app):
    at = app.button(key="overview.start_demo").click().run()
    assert not at.exception
    at = open_page(at, "strategy")
    box = at.selectbox(key=K + "connection")
    assert box.options[box.index] == box.options[0]  # the page opens on the first connection
    return choose_connection(at, KUCOIN)  # the demo's futures connection


def choose_connection(at, label):
    box = at.selectbox(key=K + "connection")
    return box.select_index(box.options.index(label)).run()


def ladder(at):
    return next(d.value for d in at.dataframe if "Level" in d.value.columns)


def errors(at):
    return [e.value for e in at.error]


READINESS_ICONS = {  # one coloured icon per state
    ":green[:material/check_circle:]": "✓",
    ":orange[:material/help:]": "?",
    ":red[:material/cancel:]": "✗",
}


def readiness_lines(at):
    """The readiness lines with their coloured icon written as ✓ (pass), ? (unknown), ✗ (fail)."""
    lines = []
    for m in at.markdown:
        for icon, mark in READINESS_ICONS.items():
            if m.value.startswith(icon + " "):
                lines.append(mark + m.value.removeprefix(icon))
    return lines


def balance_tile(at):
    """The Balance tile of the ladder preview, as a number."""
    tile = next(m for m in at.metric if m.label.startswith("Balance"))
    return float(tile.value.replace(",", ""))


def test_page_opens_on_the_first_connection_with_a_ladder(page):
    assert not page.exception
    assert page.title[0].value == "Strategy"
    assert "Running a strategy live is not part of BackFuture yet" in page.info[0].value
    box = page.selectbox(key=K + "connection")
    assert box.options[box.index] == KUCOIN
    assert page.radio(key=K + "risk_level").value == "Balanced"
    assert page.multiselect(key=K + "pairs").value == ["BTC/USDT"]
    assert "ETH/USDT" in page.multiselect(key=K + "pairs").options
    assert page.selectbox(key=K + "quote").options[0] == "USDT"
    table = ladder(page)
    assert table["Level"].tolist()[:2] == ["Base order", "Reinforcement 1"]
    assert len(page.get("plotly_chart")) == 1
    assert errors(page) == []


@pytest.mark.parametrize("preset", ["Conservative", "Aggressive"])
def test_choosing_a_preset_fills_the_sliders(page, preset):
    at = page.radio(key=K + "risk_level").set_value(preset).run()
    assert not at.exception
    assert at.number_input(key=K + "base_order").value == PRESETS[preset]["base_order"]
    for name in SLIDERS:
        assert at.slider(key=K + name).value == pytest.approx(PRESETS[preset][name]), name
    assert at.toggle(key=K + "recovery_enabled").value is PRESETS[preset]["recovery_enabled"]
    assert at.radio(key=K + "risk_level").value == preset


def test_moving_a_slider_changes_the_ladder_and_shows_custom(page):
    before = ladder(page)
    at = page.slider(key=K + "reinforcement_count").set_value(3).run()
    assert not at.exception
    after = ladder(at)
    assert (after["Type"] == "Reinforcement").sum() == 3
    assert (before["Type"] == "Reinforcement").sum() == 7
    assert at.radio(key=K + "risk_level").value == "Custom"
    at = at.slider(key=K + "first_step_pct").set_value(4.0).run()
    assert ladder(at).loc[1, "Drop from entry %"] == pytest.approx(4.0)
    at = at.slider(key=K + "reinforcement_count").set_value(7).run()
    at = at.slider(key=K + "first_step_pct").set_value(1.5).run()
    assert at.radio(key=K + "risk_level").value == "Balanced"
    assert not at.exception


def test_margin_limit_too_small_for_the_ladder_is_an_error(page):
    at = page.slider(key=K + "margin_limit_pct").set_value(5).run()
    assert not at.exception
    problems = errors(at)
    assert any("Margin limit" in e and "but the margin limit allows" in e for e in problems)
    assert "✗ **Margin limit fits the balance**" in readiness_lines(at)
    assert "✗ **Settings valid**" in readiness_lines(at)
    at = at.text_input(key=K + "name").input("Too tight").run()
    at = at.button(key=K + "save").click().run()
    assert not at.exception
    assert at.selectbox(key=K + "saved").options == []  # refused: nothing saved


def test_save_and_load_restore_the_values(page):
    at = page.slider(key=K + "take_profit_pct").set_value(2.2).run()
    at = at.multiselect(key=K + "pairs").set_value(["BTC/USDT", "ETH/USDT"]).run()
    at = at.text_input(key=K + "name").input("Two pairs").run()
    at = at.button(key=K + "save").click().run()
    assert not at.exception
    assert at.success[0].value == "Strategy saved."
    saved_box = at.selectbox(key=K + "saved")
    assert saved_box.options == ["Two pairs"]
    assert saved_box.index == 0  # the box shows what was just saved, not "Choose an option"
    at = at.radio(key=K + "risk_level").set_value("Aggressive").run()
    at = at.multiselect(key=K + "pairs").set_value(["SOL/USDT"]).run()
    assert at.slider(key=K + "take_profit_pct").value == pytest.approx(2.5)
    at = at.button(key=K + "load").click().run()
    assert not at.exception
    assert at.success[0].value == "Strategy loaded."
    assert at.slider(key=K + "take_profit_pct").value == pytest.approx(2.2)
    assert at.multiselect(key=K + "pairs").value == ["BTC/USDT", "ETH/USDT"]
    assert at.radio(key=K + "risk_level").value == "Custom"
    assert at.text_input(key=K + "name").value == "Two pairs"
    # Saving under the loaded name updates it; another strategy may not take the same name.
    at = at.slider(key=K + "take_profit_pct").set_value(3.0).run()
    at = at.button(key=K + "save").click().run()
    assert len(at.selectbox(key=K + "saved").options) == 1
    at = at.text_input(key=K + "name").input("Copy").run()
    at = at.button(key=K + "save").click().run()
    assert len(at.selectbox(key=K + "saved").options) == 2
    at = at.text_input(key=K + "name").input("TWO PAIRS").run()
    at = at.button(key=K + "save").click().run()
    assert any("already has a strategy" in e for e in errors(at))
    at = at.button(key=K + "delete").click().run()
    assert not at.exception
    assert "cannot be undone" in at.warning[-1].value
    assert len(at.selectbox(key=K + "saved").options) == 2  # not yet
    at = at.button(key=K + "delete_confirmed").click().run()
    assert not at.exception
    assert at.success[0].value == "Strategy deleted."
    assert len(at.selectbox(key=K + "saved").options) == 1


def test_backtest_runs_and_compares_recovery_mode(page):
    at = page.selectbox(key=K + "days").set_value(7).run()
    at = at.button(key=K + "run_backtest").click().run()
    assert not at.exception
    assert at.status[0].state == "complete"
    assert at.status[0].label == "Replayed 168 candles."
    table = next(d.value for d in at.dataframe if "Metric" in d.value.columns)
    assert list(table.columns) == ["Metric", "With Recovery Mode", "Without Recovery Mode"]
    for metric in ("Deals closed", "Win rate", "Net profit", "Max drawdown",
                   "Max floating drawdown", "Reinforcements used", "Time in deals",
                   "Deals saved by Recovery Mode"):  # fmt: skip
        assert metric in table["Metric"].tolist()
    assert len(at.get("plotly_chart")) == 3  # ladder, equity, deals
    assert not any("-0.00" in str(v) for v in table.to_numpy().ravel())
    at = at.slider(key=K + "take_profit_pct").set_value(2.0).run()
    assert not at.exception
    assert "settings changed" in at.caption[-1].value
    assert len(at.get("plotly_chart")) == 1


def test_without_recovery_mode_the_backtest_shows_one_result(page):
    at = page.toggle(key=K + "recovery_enabled").set_value(False).run()
    at = at.button(key=K + "run_backtest").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Metric" in d.value.columns)
    assert list(table.columns) == ["Metric", "Result"]
    assert "Deals saved by Recovery Mode" not in table["Metric"].tolist()
    assert len(at.get("plotly_chart")) == 3


def test_starting_balance_follows_the_connection_balance(page):
    start = page.number_input(key=K + "start_balance")
    assert start.value == pytest.approx(balance_tile(page), abs=0.01)
    at = start.set_value(500.0).run()  # editable
    assert at.number_input(key=K + "start_balance").value == 500.0
    at = choose_connection(at, MEXC_MAIN)
    assert not at.exception
    assert at.number_input(key=K + "start_balance").value == pytest.approx(
        balance_tile(at), abs=0.01
    )


def test_every_slider_says_its_unit_and_what_zero_means(page):
    at = page.number_input(key=K + "margin_limit_amount").set_value(0.0).run()
    for widget in [*at.slider, *at.number_input]:
        if widget.key.removeprefix(K) in {p.name for p in PARAMETERS}:
            assert "0" in (widget.help or ""), widget.key
    assert any("no cap" in c.value for c in at.caption)


def test_readiness_panel_lists_every_line(page):
    lines = readiness_lines(page)
    assert "✓ **Margin limit fits the balance**" in lines
    assert "✓ **Settings valid**" in lines
    assert len(lines) >= 4
    assert any("The margin limit allows" in t.value for t in page.text)
    assert not page.exception


def test_switching_connection_keeps_unsaved_values_per_connection(page):
    at = page.slider(key=K + "take_profit_pct").set_value(2.2).run()
    at = choose_connection(at, MEXC_MAIN)
    assert not at.exception
    assert at.slider(key=K + "take_profit_pct").value == pytest.approx(1.5)
    assert at.radio(key=K + "market").options == ["Spot"]
    at = choose_connection(at, KUCOIN)
    assert at.slider(key=K + "take_profit_pct").value == pytest.approx(2.2)
    at = open_page(open_page(at, "overview"), "strategy")
    assert at.slider(key=K + "take_profit_pct").value == pytest.approx(2.2)
    assert not at.exception


def test_futures_show_leverage_and_futures_pairs(page):
    assert "leverage" not in {s.key.removeprefix(K) for s in page.slider}
    at = page.radio(key=K + "market").set_value("futures").run()
    assert not at.exception
    assert at.slider(key=K + "leverage").value == PRESETS["Balanced"]["leverage"]
    assert at.multiselect(key=K + "pairs").value == ["BTC/USDT:USDT"]
    assert at.radio(key=K + "risk_level").value == "Balanced"
    assert "Liquidation price" in ladder(at).columns
    at = at.slider(key=K + "leverage").set_value(20).run()
    assert any("liquidated" in w.value or "is high" in w.value for w in at.warning)
    at = at.radio(key=K + "market").set_value("spot").run()
    assert at.multiselect(key=K + "pairs").value == ["BTC/USDT"]
    assert not at.exception


def test_exchange_errors_are_shown_not_raised(page):
    at = choose_connection(page, MEXC_WRONG_IP)
    assert not at.exception
    assert any(w.value.startswith("Could not read the balance.") for w in at.warning)
    assert "✗ **Margin limit fits the balance**" in readiness_lines(at)


def test_readiness_follows_the_connection_test(page, settings):
    assert "✗ **Recent successful connection test**" in readiness_lines(page)  # untested
    db = open_db(settings.db_path)
    try:
        (conn,) = resolved([find_connection(db, KUCOIN)])
        creds = load_credentials(db, open_vault(db, settings), conn.id)
        save_report(db, conn.id, run_connection_test(conn, creds))
    finally:
        db.close()
    at = page.run()
    lines = readiness_lines(at)
    assert "✓ **Recent successful connection test**" in lines
    assert "✓ **Trade permission**" in lines
    assert "✓ **Withdrawal disabled**" in lines
    assert not at.exception


def test_the_page_opens_on_a_connection_whose_last_test_passed(app, settings):
    # The first connection's last test failed (its exchange could not be reached); another
    # one's passed: the page opens on that one and asks nothing of the failing exchange.
    at = app.button(key="overview.start_demo").click().run()
    db = open_db(settings.db_path)
    try:
        vault = open_vault(db, settings)
        for name in (KUCOIN, MEXC_MAIN):
            (conn,) = resolved([find_connection(db, name)])
            if name == KUCOIN:
                conn = replace(conn, api_base_url="http://127.0.0.1:9")  # nothing listens
            save_report(
                db, conn.id, run_connection_test(conn, load_credentials(db, vault, conn.id))
            )
    finally:
        db.close()
    at = open_page(at, "strategy")
    assert not at.exception
    box = at.selectbox(key=K + "connection")
    assert box.options[box.index] == MEXC_MAIN
    assert not any(w.value.startswith("Could not") for w in at.warning)
