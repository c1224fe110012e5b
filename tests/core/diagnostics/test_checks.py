"""The checklist, status and error category from hand-built probe answers (no exchange)."""

from __future__ import annotations

import dataclasses
from typing import Any

from backfuture_core.diagnostics.checks import CLOCK_TOLERANCE_MS, overall_status
from backfuture_core.diagnostics.probes import Probes
from backfuture_core.diagnostics.run import make_report
from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.key_info import KeyInfo
from backfuture_core.models import CHECK_IDS, Check, CheckState, Connection, Market, Status
from tests.core.diagnostics.scenarios import FAIL, PASS, SKIPPED, UNKNOWN, WARN, states

SPOT_CONN = Connection(1, "Hand built", "mexc", Market.SPOT, "…abcd")
FULL_KEY = KeyInfo(
    read=True, spot_trade=True, futures_trade=False, withdraw=False, ip_whitelist=("1.2.3.4",)
)


def probes(**changes: Any) -> Probes:
    values: dict[str, Any] = {
        "server_time": 1_700_000_000_000,
        "skew_ms": 3,
        "key": FULL_KEY,
        "spot": {"balances": []},
        "futures": None,
    }
    values.update(changes)
    return Probes(**values)


def test_hand_built_healthy_probes_are_online():
    report = make_report(probes(), SPOT_CONN, 12)
    assert report.status == Status.ONLINE
    assert report.duration_ms == 12
    assert report.extra["clock_skew_ms"] == 3


def test_key_info_without_permission_fields_is_unknown_and_never_online():
    silent = KeyInfo(read=None, spot_trade=None, futures_trade=None, withdraw=None, ip_whitelist=())
    report = make_report(probes(key=silent), SPOT_CONN, 0)
    assert states(report)["trade"] == UNKNOWN
    assert states(report)["withdrawal_disabled"] == UNKNOWN
    assert states(report)["read"] == PASS  # the balance itself was read
    assert report.status != Status.ONLINE
    assert report.check("withdrawal_disabled").remedy  # the user is told to confirm it


def test_key_info_silent_on_withdrawal_alone_is_not_online():
    report = make_report(probes(key=dataclasses.replace(FULL_KEY, withdraw=None)), SPOT_CONN, 0)
    assert states(report)["withdrawal_disabled"] == UNKNOWN
    assert report.status == Status.WARNING


def test_key_without_read_permission_fails_read():
    report = make_report(probes(key=dataclasses.replace(FULL_KEY, read=False)), SPOT_CONN, 0)
    assert states(report)["read"] == FAIL
    assert report.status == Status.FAILED


def test_clock_beyond_tolerance_warns():
    report = make_report(probes(skew_ms=CLOCK_TOLERANCE_MS + 1), SPOT_CONN, 0)
    assert states(report)["clock"] == WARN
    assert report.status == Status.WARNING


def test_exchange_down_everywhere_fails_reachable():
    down = ExchangeError("exchange_unavailable", "502 Bad Gateway")
    report = make_report(probes(server_time=down, skew_ms=None, key=down, spot=down), SPOT_CONN, 0)
    assert states(report)["reachable"] == FAIL
    assert states(report)["clock"] == UNKNOWN
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"


def test_overall_status_priorities():
    def checks(**overrides: CheckState) -> list[Check]:
        return [Check(i, overrides.get(i, PASS)) for i in CHECK_IDS]

    assert overall_status(checks()) == Status.ONLINE
    assert overall_status(checks(futures=SKIPPED)) == Status.ONLINE
    assert overall_status(checks(ip_restricted=WARN)) == Status.WARNING
    assert overall_status(checks(trade=FAIL)) == Status.FAILED
    assert overall_status(checks(key_valid=UNKNOWN)) == Status.FAILED
    unsafe = checks(withdrawal_disabled=FAIL, trade=FAIL)
    assert overall_status(unsafe) == Status.UNSAFE


def test_a_key_expiring_within_14_days_is_a_warning_with_the_advice():
    """Issue 12 item 8: MEXC `remainingValidity` shown, with a warning under 14 days."""
    expiring = dataclasses.replace(FULL_KEY, expires_in_days=5, created_at_ms=1_690_000_000_000)
    report = make_report(probes(key=expiring, checked_at_ms=1_700_000_000_000), SPOT_CONN, 0)
    check = report.check("key_valid")
    assert check.state == WARN
    assert "expires in 5 days" in check.detail
    assert "created 115 days ago" in check.detail
    assert "Delete old keys" in check.detail
    assert "Replace keys" in check.remedy
    assert report.status == Status.WARNING
    assert report.error_category is None


def test_a_key_expiring_later_passes():
    later = dataclasses.replace(FULL_KEY, expires_in_days=15)
    report = make_report(probes(key=later), SPOT_CONN, 0)
    assert states(report)["key_valid"] == PASS
    assert report.status == Status.ONLINE
