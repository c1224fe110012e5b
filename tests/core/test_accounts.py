"""Accounts counted once: connections whose tests read the same exchange account add to the
Balances total, the allocation and the value history once (the sandbox exchange over loopback,
its keys of one account sharing holdings and account id, as real exchanges do)."""

from __future__ import annotations

import pytest

from backfuture_core.charts.portfolio import total_history
from backfuture_core.diagnostics.reports import save_report
from backfuture_core.models import Connection, ConnectionReport, Market, Status
from backfuture_core.portfolio.accounts import (
    NOT_IDENTIFIED,
    accounts_of,
    group_accounts,
    history_per_account,
)
from backfuture_core.portfolio.balances_view import allocation, refresh_balances
from backfuture_core.portfolio.history import value_history
from backfuture_core.sandbox import DemoKey, Sandbox, demo_keys
from backfuture_core.session_cache import ResultCache
from backfuture_core.storage.connections import replace_keys
from tests.core.test_portfolio import connect

KEYS = {k.label: k for k in demo_keys()}
MAIN, NO_IP, WITHDRAW = (
    "MEXC Spot Main (demo)",
    "MEXC No IP Restriction (demo)",
    "MEXC Withdrawal Enabled (demo)",
)
KUCOIN = "KuCoin Spot Read Only (demo)"
OTHER = DemoKey(
    "MEXC Other Account", "mexc", "mx0vglTEST0OTHERACCOUNT01", "test-other-account-secret",
    None, ("SPOT_ACCOUNT_READ", "SPOT_DEAL_READ"), (), "spot", "empty",
)  # fmt: skip


def conn(conn_id: int, name: str, exchange: str = "mexc") -> Connection:
    return Connection(conn_id, name, exchange, Market.SPOT, "…abcd")


# --- Grouping (pure) ----------------------------------------------------------------------------


def test_the_first_added_connection_counts_for_an_account_and_the_others_name_it():
    conns = [conn(3, "B trade key"), conn(1, "Main"), conn(2, "A read key")]
    accounts = group_accounts(conns, {1: "777", 2: "777", 3: "777"})
    assert [accounts.counts(c.id) for c in conns] == [False, True, False]
    assert accounts.note(2) == accounts.note(3) == "same account as Main"
    assert "2 more" in accounts.note(1)
    assert accounts.shared


def test_an_untested_connection_counts_on_its_own_and_is_marked():
    accounts = group_accounts([conn(1, "Main"), conn(2, "New")], {1: "777"})
    assert accounts.counts(1)
    assert accounts.counts(2)
    assert accounts.note(2) == NOT_IDENTIFIED
    assert accounts.note(1) == ""
    assert not accounts.shared


def test_one_account_id_on_two_exchanges_is_two_accounts():
    accounts = group_accounts([conn(1, "MEXC"), conn(2, "KuCoin", "kucoin")], {1: "5", 2: "5"})
    assert accounts.counts(1)
    assert accounts.counts(2)


def test_when_the_first_connection_has_no_balances_the_next_one_counts():
    conns = [conn(1, "Main"), conn(2, "Second")]
    accounts = group_accounts(conns, {1: "777", 2: "777"}, fetched={2})
    assert not accounts.counts(1)
    assert accounts.counts(2)
    assert accounts.note(1) == "same account as Second"


# --- Through the sandbox ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sb():
    with Sandbox() as sandbox:
        sandbox.add_key(OTHER)
        yield sandbox


def record_test(db, sb: Sandbox, connection: Connection, key: DemoKey) -> None:
    """A connection test's report naming the account the sandbox says the key is on."""
    account_id = sb.world.account_of(key).uid
    report = ConnectionReport(Status.ONLINE, (), tested_at="2026-01-01T00:00:00+00:00",
                              account_id=account_id)  # fmt: skip
    save_report(db, connection.id, report)


@pytest.fixture
def demo_like(db, vault, sb):
    """Three MEXC keys on one account (tested), a KuCoin key (tested), an untested MEXC key."""
    conns = {}
    for label in (MAIN, NO_IP, WITHDRAW, KUCOIN):
        conns[label] = connect(db, vault, sb, KEYS[label])
        record_test(db, sb, conns[label], KEYS[label])
    conns[OTHER.label] = connect(db, vault, sb, OTHER)
    return conns


def test_balances_total_allocation_and_history_count_each_account_once(db, vault, sb, demo_like):
    conns = list(demo_like.values())
    view = refresh_balances(db, vault, conns, ResultCache({}, "balances"))
    assert view.notices == ()
    per_connection = dict(zip(view.totals["connection"], view.totals["total_usdt"], strict=True))
    assert per_connection[MAIN] == per_connection[NO_IP] == per_connection[WITHDRAW] > 0
    distinct = per_connection[MAIN] + per_connection[KUCOIN] + per_connection[OTHER.label]
    assert view.total_usdt == pytest.approx(distinct)
    assert view.total_usdt < sum(per_connection.values())  # what the page used to show

    notes = dict(zip(view.totals["connection"], view.totals["account"], strict=True))
    assert notes[NO_IP] == notes[WITHDRAW] == f"same account as {MAIN}"
    assert notes[OTHER.label] == NOT_IDENTIFIED
    shown = set(view.balances["connection"])
    assert {MAIN, KUCOIN} <= shown
    assert not {NO_IP, WITHDRAW} & shown
    assert allocation(view.balances)["value"].sum() == pytest.approx(view.total_usdt)

    history = history_per_account(value_history(db, [c.id for c in conns]), view.accounts)
    assert set(history["connection"]) == {MAIN, KUCOIN, OTHER.label}
    assert total_history(history)["total_usdt"].iloc[-1] == pytest.approx(view.total_usdt)


def test_new_keys_make_the_account_unidentified_until_tested_again(db, vault, sb, demo_like):
    key = KEYS[NO_IP]
    replace_keys(
        db,
        vault,
        demo_like[NO_IP].id,
        version=demo_like[NO_IP].version,
        api_key=key.api_key,
        secret=key.secret,
    )
    accounts = accounts_of(db, list(demo_like.values()))
    assert accounts.note(demo_like[NO_IP].id) == NOT_IDENTIFIED
    assert accounts.note(demo_like[WITHDRAW].id) == f"same account as {MAIN}"


def test_a_failed_test_that_read_no_account_leaves_it_unidentified(db, vault, sb, demo_like):
    failed = ConnectionReport(Status.FAILED, (), "ip_not_allowed", tested_at="2026-01-02")
    save_report(db, demo_like[WITHDRAW].id, failed)
    accounts = accounts_of(db, list(demo_like.values()))
    assert accounts.note(demo_like[WITHDRAW].id) == NOT_IDENTIFIED
    assert accounts.counts(demo_like[WITHDRAW].id)
