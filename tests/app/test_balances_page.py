"""The Balances page through app.py in demo mode (the sandbox exchange on loopback)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from backfuture_core.sandbox import demo_keys, shared_sandbox
from tests.app import portfolio_fixtures as shared
from tests.app.conftest import open_page
from tests.app.portfolio_fixtures import KUCOIN, MEXC_MAIN, NOT_ANSWERING, WRONG_IP

K = "balances."
ids, dead_url, malformed = shared.ids, shared.dead_url, shared.malformed


def open_on(app, connection_id: int | None = None):
    """The Balances page, on one connection (None: all connections, the default)."""
    return shared.open_on(app, "balances", connection_id)


def frames_with(at, column: str) -> list:
    """Tables by a column only they have (st.dataframe keys reach AppTest only with selections)."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def table(at):
    (assets,) = frames_with(at, "priced_by")
    return assets


def positions(at):
    (found,) = frames_with(at, "liquidation_distance_pct")
    return found


def number(column) -> pd.Series:
    """A formatted column ("1,234.5", "—") as numbers (NaN where nothing is shown)."""
    return pd.to_numeric(column.str.replace(",", "").str.rstrip(" %"), errors="coerce")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_all_connections_show_totals_assets_charts_and_positions(app, ids):
    at = open_on(app)
    assert at.title[0].value == "Balances"
    assert any(c.value.startswith("Last updated") for c in at.caption)
    assets = table(at)
    assert list(assets.columns)[:3] == ["asset", "value", "share"]
    assert list(assets.columns)[-1] == "connection"  # several connections: named, last
    names = set(assets["connection"])
    assert {KUCOIN, MEXC_MAIN} <= names
    assert WRONG_IP not in names
    # The failing connection is named in plain text and explained, the others still show.
    texts = [t.value for t in at.text]
    assert WRONG_IP in texts
    assert any(e.value.startswith("IP not allowed") for e in at.error)
    # ZZZ trades nowhere: listed and flagged, never valued.
    zzz = assets[assets["asset"] == "ZZZ"]
    assert (zzz["priced_by"] == "no price").all()
    assert (zzz["value"] == "—").all()
    total = float(metrics(at)["Total value (USDT)"].replace(",", ""))
    assert total == pytest.approx(number(assets["value"]).sum(), rel=1e-5)
    # KuCoin's and Bybit's demo futures accounts hold the same three positions.
    assert (
        positions(at)["symbol"].tolist()
        == ["BTC/USDT perpetual", "ETH/USDT perpetual", "SOL/USDT perpetual"] * 2
    )
    assert len(at.get("plotly_chart")) == 3  # allocation, value history, unrealised PnL


def test_a_spot_connection_shows_its_assets_and_hide_dust_changes_the_table(app, ids):
    at = open_on(app, ids[MEXC_MAIN])
    before = table(at)
    assert "connection" not in before.columns  # one connection: not repeated on every row
    assert frames_with(at, "liquidation_distance_pct") == []  # spot only: no positions
    assert "XRP" in before["asset"].tolist()  # 0.000731 XRP: dust
    at = at.toggle(key=K + "hide_dust").set_value(True).run()
    assert not at.exception
    after = table(at)
    assert "XRP" not in after["asset"].tolist()
    assert len(after) == len(before) - 1
    assert "ZZZ" in after["asset"].tolist()  # no price is not dust: it stays, flagged
    shares = before.set_index("asset")["share"].drop(["XRP", "ZZZ"])
    assert after.set_index("asset")["share"].drop("ZZZ").to_dict() == shares.to_dict()


def test_a_futures_connection_shows_its_positions(app, ids):
    at = open_on(app, ids[KUCOIN])
    assets = table(at)
    assert "connection" not in assets.columns
    assert set(assets["market"]) == {"Spot", "Futures"}
    shown = positions(at)
    assert (number(shown["liquidation_distance_pct"]) > 0).all()
    assert set(shown["side"]) == {"Long", "Short"}
    # The risk figures come right after the contract and its side, never behind a scroll.
    assert list(shown.columns)[:4] == [
        "symbol", "side", "liquidation_price", "liquidation_distance_pct",
    ]  # fmt: skip
    assert len(at.get("plotly_chart")) == 3


def test_each_refresh_adds_a_snapshot_that_the_overview_shows(app, ids):
    at = open_on(app, ids[KUCOIN])
    at = at.button(key=K + "refresh").click().run()
    assert not at.exception
    (line,) = json.loads(at.get("plotly_chart")[1].proto.spec)["data"]
    assert len(line["x"]) == 2  # the first load and the refresh
    overview = open_page(at, "overview")
    assert not overview.exception
    (rows,) = frames_with(overview, "Value")
    rows = rows.set_index("Connection")
    assert float(rows.loc[KUCOIN, "Value"].removesuffix(" USDT").replace(",", "")) > 10_000
    assert rows.loc[MEXC_MAIN, "Value"] == "—"  # never refreshed


def test_a_failed_refresh_keeps_the_data_on_screen_marked_stale(app, ids):
    at = open_on(app, ids[KUCOIN])
    before = table(at)
    key = next(k for k in demo_keys() if k.label == KUCOIN)
    sandbox = shared_sandbox()
    sandbox.set_fault("maintenance", key=key.api_key)
    try:
        at = at.button(key=K + "refresh").click().run()
    finally:
        sandbox.clear_faults()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("Showing stale data" in w and "Exchange unavailable" in w for w in warnings)
    assert f"{KUCOIN} (stale)" in [t.value for t in at.text]
    assert table(at).equals(before)


# --- One failure never breaks the rest -------------------------------------------------------


def test_a_dead_exchange_never_holds_the_healthy_connections(app, ids, db, vault, dead_url):
    # An exchange dies while the page is in use: on Refresh, the first paint already shows the
    # healthy connections; the dead one is not waited for beyond the deadline, and is then
    # marked with its category.
    at = open_on(app)
    shared.add_user_connection(db, vault, MEXC_MAIN, shared.DEAD, dead_url)
    at = shared.with_deadline(at, 3.0).button(key=K + "refresh").click().run()
    assert {KUCOIN, MEXC_MAIN} <= set(table(at)["connection"])
    texts = [t.value for t in at.text]
    assert f"{shared.DEAD} (waiting for an answer)" in texts or shared.DEAD in texts
    at = shared.settled(at)
    assert not at.exception
    assert not shared.waiting(at)
    assert {KUCOIN, MEXC_MAIN} <= set(table(at)["connection"])
    assert shared.DEAD not in set(table(at)["connection"])
    assert shared.DEAD in [t.value for t in at.text]  # its notice, by its name
    assert any(e.value.startswith(NOT_ANSWERING) for e in at.error)


def test_a_malformed_answer_stays_on_its_own_connection(app, malformed):
    at = open_on(app)
    assert not at.exception
    assert {KUCOIN, MEXC_MAIN} <= set(table(at)["connection"])
    assert "Broken" in [t.value for t in at.text]
    assert "Broken" not in set(table(at)["connection"])


def test_tables_show_readable_values_never_none_or_iso_times(app, ids):
    at = open_on(app)
    for frame in (table(at), positions(at)):
        cells = frame.astype(str).to_numpy().ravel().tolist()
        assert not {"None", "nan", "NaN", "<NA>"} & set(cells)
        assert not any(":USDT" in c or "e-0" in c for c in cells)
    assert any("," in c for c in table(at)["value"])  # thousands separators
