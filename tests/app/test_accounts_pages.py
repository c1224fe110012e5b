"""Accounts counted once and one API Key in two connections, as the pages show them (app.py
in demo mode: the three MEXC demo keys of the main account are on one exchange account)."""

from __future__ import annotations

import math

import pytest

from backfuture_core.diagnostics.reports import save_report
from backfuture_core.models import ConnectionReport, Status
from backfuture_core.portfolio.accounts import COUNTING_RULE
from backfuture_core.sandbox import demo_keys, shared_sandbox
from tests.app import portfolio_fixtures as shared
from tests.app.conftest import open_page
from tests.app.portfolio_fixtures import KUCOIN, MEXC_MAIN, WRONG_IP
from tests.app.test_connections_page import add, connections_table

NO_IP, WITHDRAW = "MEXC No IP Restriction (demo)", "MEXC Withdrawal Enabled (demo)"
SAME_AS_MAIN = f"same account as {MEXC_MAIN}"
KEYS = {k.label: k for k in demo_keys()}
ids = shared.ids  # the demo connections by name


@pytest.fixture
def tested(ids, db):
    """The demo, every connection but the refused one tested: each report names the account
    the sandbox says the key is on (as the connection test reads it)."""
    world = shared_sandbox().world
    for name, conn_id in ids.items():
        if name != WRONG_IP:
            account = world.account_of(KEYS[name]).uid
            report = ConnectionReport(Status.ONLINE, (), tested_at="2026-01-01", account_id=account)
            save_report(db, conn_id, report)
    return ids


def per_connection_values(at) -> dict[str, float]:
    """Connection name -> its value, as the Balances page lists them under the total."""
    values = [float(m.value.replace(",", "").replace("—", "nan")) for m in at.metric[1:]]
    names = [t.value for t in at.text][-len(values) :]  # after the notices' names
    return dict(zip(names, values, strict=True))


def test_balances_total_counts_each_account_once(app, tested):
    at = shared.open_on(app, "balances")
    values = per_connection_values(at)
    assert values[MEXC_MAIN] == values[NO_IP] == values[WITHDRAW] > 0
    # The demo's connections on six exchanges, grouped by the account the sandbox holds them
    # on: each account's value once (the refused key has none to add).
    world = shared_sandbox().world
    by_account: dict[tuple[str, str], float] = {}
    for name, value in values.items():
        if not math.isnan(value):  # a value, not "—"
            key = KEYS[name]
            by_account.setdefault((key.exchange, world.account_of(key).uid), value)
    assert len({KEYS[name].exchange for name in values}) == 6
    assert len(by_account) < len(values)  # some connections share an account
    total = float(at.metric[0].value.replace(",", ""))
    assert total == pytest.approx(sum(by_account.values()), abs=0.05)
    captions = [c.value for c in at.caption]
    assert captions.count(SAME_AS_MAIN) == 2
    assert "account not yet identified" in captions  # the refused key: never identified
    assert COUNTING_RULE in captions


def test_overview_and_connections_list_name_the_shared_account(app, tested):
    overview = open_page(app, "overview")
    table = next(d.value for d in overview.dataframe if "Account" in d.value.columns)
    accounts = dict(zip(table["Connection"], table["Account"], strict=True))
    assert accounts[NO_IP] == accounts[WITHDRAW] == SAME_AS_MAIN
    assert accounts[WRONG_IP] == "account not yet identified"
    assert accounts[KUCOIN] == ""
    listed = connections_table(open_page(app, "connections"))
    assert dict(zip(listed["Connection"], listed["Account"], strict=True)) == accounts


def test_connection_test_page_says_same_account(app, tested):
    at = open_page(app, "connection_test")
    box = at.selectbox(key="test.connection")
    at = box.select_index(box.options.index(WITHDRAW)).run()
    assert f"Same account as {MEXC_MAIN}." in [c.value for c in at.caption]


def test_one_api_key_in_two_connections_is_flagged_on_both(app, ids):
    key = KEYS[MEXC_MAIN]
    at = add(open_page(app, "connections"), name="MEXC Copy", key=key.api_key, secret=key.secret)
    assert not at.exception
    expected = (
        f"The same API Key is saved in MEXC Copy and {MEXC_MAIN}: "
        "use separate API keys for different strategies."
    )
    assert [w.value for w in at.warning if "same API Key" in w.value] == [expected]
    assert key.api_key not in expected
    test_page = open_page(app, "connection_test")
    box = test_page.selectbox(key="test.connection")
    for name in ("MEXC Copy", MEXC_MAIN, NO_IP):
        test_page = box.select_index(box.options.index(name)).run()
        box = test_page.selectbox(key="test.connection")
        flagged = [w.value for w in test_page.warning if "same API Key" in w.value]
        assert flagged == ([] if name == NO_IP else [expected])
