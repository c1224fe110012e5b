"""The Orders page through app.py in demo mode (the sandbox exchange on loopback)."""

from __future__ import annotations

import re

from backfuture_core.sandbox import shared_sandbox
from tests.app import portfolio_fixtures as shared
from tests.app.portfolio_fixtures import KUCOIN, MEXC_MAIN, NOT_ANSWERING, WRONG_IP

K = "orders."
ids, dead_url, malformed = shared.ids, shared.dead_url, shared.malformed  # fixtures


def open_on(app, connection_id: int | None = None):
    """The Orders page, on one connection (None: all connections, the default)."""
    return shared.open_on(app, "orders", connection_id)


def tables(at) -> dict[str, object]:
    """The open-orders, history and fills tables, told apart by their columns and statuses
    (st.dataframe keys reach AppTest only with selections)."""
    orders = [d.value for d in at.dataframe if "status" in d.value.columns]
    (fills,) = [d.value for d in at.dataframe if "trade_id" in d.value.columns]
    open_orders, history = orders
    return {"open": open_orders, "history": history, "fills": fills}


def counts(at) -> dict[str, int]:
    return {m.label: int(m.value) for m in at.metric}


def test_all_connections_show_tables_charts_and_downloads(app, ids):
    """Every demo connection at once; then a pair that only a per-symbol exchange must be
    asked about (done here, where the slow MEXC answers are already paid for)."""
    at = open_on(app)
    assert at.title[0].value == "Orders"
    assert any(c.value.startswith("Last updated") for c in at.caption)
    shown = tables(at)
    assert set(shown["open"]["status"]) == {"Open"}
    assert "Open" not in set(shown["history"]["status"])
    assert {KUCOIN, MEXC_MAIN} <= set(shown["history"]["connection"])
    assert WRONG_IP in [t.value for t in at.text]  # named in plain text, with its problem
    assert any(e.value.startswith("IP not allowed") for e in at.error)
    numbers = counts(at)
    assert numbers["Open orders"] == len(shown["open"]) > 0
    assert numbers["Past orders"] == len(shown["history"]) > 0
    assert numbers["Fills"] == len(shown["fills"]) > 0
    assert len(at.get("plotly_chart")) == 3  # orders on the price, volume by pair, buy vs sell
    assert [b.label for b in at.download_button] == [
        "Download orders (CSV)",
        "Download fills (CSV)",
    ]

    # A pair nothing was traded in: MEXC answers per symbol, so it is asked for on its own.
    assert "LTC/USDT" in at.selectbox(key=K + "pair").options
    shared_sandbox().clear_requests()
    at = at.selectbox(key=K + "pair").set_value("LTC/USDT").run()
    assert not at.exception
    asked = {r.query.get("symbol") for r in shared_sandbox().requests if r.exchange == "mexc"}
    assert "LTCUSDT" in asked
    assert at.selectbox(key=K + "pair").value == "LTC/USDT"
    assert tables(at)["history"].empty
    assert len(at.get("plotly_chart")) == 3  # the pair's price is still drawn


def test_filters_change_what_is_shown(app, ids):
    at = open_on(app, ids[KUCOIN])
    everything = tables(at)
    assert "connection" not in everything["history"].columns  # one connection: not repeated
    assert len(set(everything["history"]["symbol"])) > 1
    pair = at.selectbox(key=K + "pair")
    assert pair.value == ""  # all pairs
    at = pair.set_value("BTC/USDT").run()
    assert not at.exception
    btc = tables(at)
    assert set(btc["history"]["symbol"]) == {"BTC/USDT"}
    assert set(btc["fills"]["symbol"]) == {"BTC/USDT"}
    assert 0 < len(btc["history"]) < len(everything["history"])
    at = at.selectbox(key=K + "side").set_value("sell").run()
    sells = tables(at)
    assert set(sells["history"]["side"]) <= {"Sell"}
    assert len(sells["history"]) < len(btc["history"])
    at = at.selectbox(key=K + "pair").set_value("").run()
    at = at.selectbox(key=K + "side").set_value("").run()
    at = at.selectbox(key=K + "status").set_value("canceled").run()
    assert not at.exception
    cancelled = tables(at)
    assert cancelled["open"].empty
    assert set(cancelled["history"]["status"]) == {"Canceled"}
    assert len(cancelled["history"]) < len(everything["history"])


def test_a_longer_period_shows_more_history(app, ids):
    at = open_on(app, ids[KUCOIN])
    week = counts(at)["Past orders"]
    at = at.selectbox(key=K + "period").set_value(30).run()
    assert not at.exception
    month = tables(at)["history"]
    assert len(month) > week
    assert not month["time"].str.contains(r"\d{4}-\d\d-\d\dT").any()  # never raw ISO


# --- One failure never breaks the rest -------------------------------------------------------


def shown_connections(at) -> set[str]:
    found = tables(at)
    return set(found["history"]["connection"]) | set(found["fills"]["connection"])


def test_a_dead_exchange_never_holds_the_healthy_connections(app, ids, db, vault, dead_url):
    at = open_on(app)
    shared.add_user_connection(db, vault, MEXC_MAIN, shared.DEAD, dead_url)
    at = shared.with_deadline(at, 3.0).button(key=K + "refresh").click().run()
    assert not at.exception
    assert MEXC_MAIN in shown_connections(at)  # the first paint already has it
    at = shared.settled(at)
    assert not shared.waiting(at)
    assert MEXC_MAIN in shown_connections(at)
    assert shared.DEAD in [t.value for t in at.text]  # its notice, by its name
    assert any(e.value.startswith(NOT_ANSWERING) for e in at.error)


def test_a_malformed_answer_stays_on_its_own_connection(app, malformed):
    at = open_on(app)
    assert not at.exception
    assert MEXC_MAIN in shown_connections(at)
    assert "Broken" in [t.value for t in at.text]
    assert "Broken" not in shown_connections(at)


def test_tables_keep_price_amount_and_status_first_and_readable(app, ids):
    at = open_on(app)
    shown = tables(at)
    for name in ("open", "history"):
        columns = list(shown[name].columns)
        assert columns[:6] == ["time", "symbol", "side", "price", "amount", "status"]
        assert columns[-1] == "connection"  # several connections: named, last
    assert list(shown["fills"].columns)[:5] == ["time", "symbol", "side", "price", "amount"]
    for frame in shown.values():
        cells = frame.astype(str).to_numpy().ravel().tolist()
        assert not {"None", "nan", "NaN", "NaT", "<NA>"} & set(cells)
        assert not any(re.search(r"\d{4}-\d\d-\d\dT\d\d:", c) for c in cells)
