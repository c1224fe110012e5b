"""The readiness rule: a strategy may be enabled only on a recently tested, safe connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backfuture_core.diagnostics.reports import save_report
from backfuture_core.models import CHECK_IDS, Check, CheckState, ConnectionReport, Status
from backfuture_core.storage import connections as core
from backfuture_core.strategy.readiness import can_enable_strategy

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def conn(db, vault):
    form = core.ConnectionForm(
        exchange="mexc",
        name="MEXC Spot Main",
        api_key="mx0vglREADY00001",
        secret="readysecret123",
        market="both",
    )
    return core.add_connection(db, vault, form)


def report(status=Status.ONLINE, age=timedelta(hours=1), **states) -> ConnectionReport:
    checks = tuple(Check(i, CheckState(states.get(i, "pass")), f"{i} detail") for i in CHECK_IDS)
    return ConnectionReport(status, checks, tested_at=(NOW - age).isoformat())


def ready(db, conn, **kwargs):
    result = can_enable_strategy(db, conn, now=NOW, **kwargs)
    return result.ok, {r.label: r.ok for r in result.reasons}


def test_untested_connection_is_not_ready(db, conn):
    ok, reasons = ready(db, conn)
    assert not ok
    assert reasons["Recent successful connection test"] is False


def test_recent_online_test_with_trade_permission_is_ready(db, conn):
    save_report(db, conn.id, report())
    assert ready(db, conn) == (
        True,
        {
            "Recent successful connection test": True,
            "Trade permission": True,
            "Withdrawal disabled": True,
        },
    )


def test_futures_strategy_needs_futures_permission(db, conn):
    save_report(db, conn.id, report(futures="fail"))
    assert ready(db, conn, market="spot")[0]
    ok, reasons = ready(db, conn, market="futures")
    assert not ok
    assert reasons["Futures permission"] is False


@pytest.mark.parametrize(
    ("rep", "failing"),
    [
        (report(age=timedelta(days=8)), "Recent successful connection test"),
        (report(Status.FAILED, trade="fail"), "Trade permission"),
        (report(Status.UNSAFE, withdrawal_disabled="fail"), "Withdrawal disabled"),
        (report(Status.WARNING, trade="unknown"), "Trade permission"),
    ],
)
def test_each_reason_can_block(db, conn, rep, failing):
    save_report(db, conn.id, rep)
    ok, reasons = ready(db, conn)
    assert not ok
    assert reasons[failing] is False


def test_unknown_withdrawal_needs_an_explicit_confirmation(db, conn):
    save_report(db, conn.id, report(Status.WARNING, withdrawal_disabled="unknown"))
    assert ready(db, conn)[1]["Withdrawal disabled"] is False
    assert ready(db, conn, withdrawal_confirmed=True) == (
        True,
        {
            "Recent successful connection test": True,
            "Trade permission": True,
            "Withdrawal disabled": True,
        },
    )


def test_confirmation_does_not_override_an_enabled_withdrawal(db, conn):
    rep = report(Status.UNSAFE, withdrawal_disabled="fail")
    save_report(db, conn.id, rep)
    assert not ready(db, conn, withdrawal_confirmed=True)[0]
