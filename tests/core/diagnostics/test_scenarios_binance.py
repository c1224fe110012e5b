"""Binance's scenario matrix: every outcome of a connection test against the sandbox's Binance
dialect (real ccxt, real signing, loopback), through `run_async` and the command line.

Binance says whether an IP restriction exists but never lists the addresses, so the IP check of
a restricted key stays unconfirmed; its `-2015` covers an unknown key, a refused IP and a
missing permission alike, and the checklist says so where the key-information call cannot tell
them apart."""

from __future__ import annotations

from collections import Counter

import pytest

from backfuture_core.models import Status
from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.matrix import (
    Scenario,
    check_never_green,
    check_scenario,
    cli_report,
    run_cli,
)

MAIN = sc.KEYS["Binance Spot Main"]
FUTURES = ("enableReading", "enableSpotAndMarginTrading", "enableFutures")
TIME, KEY, SPOT = "/api/v3/time", "/sapi/v1/account/apiRestrictions", "/api/v3/account"
FUTURES_ACCOUNT = "/fapi/v3/account"

# reachable, key_valid, read, trade, futures, withdrawal_disabled, ip_restricted, clock
MATRIX = [
    Scenario("healthy", Status.WARNING, None, "PPPPSPUP"),
    Scenario("no IP restriction", Status.WARNING, None, "PPPPSPWP", changes={"ip_whitelist": ()}),
    Scenario(
        "withdrawal enabled", Status.UNSAFE, None, "PPPPSFUP",
        changes={"permissions": (*FUTURES[:2], "enableWithdrawals")},
    ),
    Scenario(
        "read only", Status.FAILED, "no_trading_permission", "PPPFSPUP",
        changes={"permissions": ("enableReading",)},
    ),
    Scenario("futures on", Status.WARNING, None, "PPPPPPUP", "both", {"permissions": FUTURES, "account": "futures"}),
    Scenario("futures off", Status.FAILED, "no_permission", "PPPPFPUP", "both"),
    Scenario("IP not allowed", Status.FAILED, "invalid_key", "PFUUSUUP", changes={"ip_whitelist": ("203.0.113.7",)}),
    Scenario("wrong secret", Status.FAILED, "invalid_key", "PFUUSUUP", wrong={"secret": "not-the-secret"}),
    Scenario("clock skew", Status.WARNING, None, "PPPPSPUW", fault=("clock_skew", {"ms": 20_000})),
    Scenario("rate limit", Status.WARNING, None, "PPPPSPUP", fault=("rate_limit", {"retry_after": 0, "count": 1})),
    Scenario("maintenance", Status.FAILED, "exchange_unavailable", "PUUUSUUP", fault=("maintenance", {})),
]  # fmt: skip


@pytest.mark.parametrize("s", MATRIX, ids=[s.name for s in MATRIX])
def test_matrix(sb, s):
    check_scenario(sb, MAIN, s)


def test_unknown_key_says_binance_does_not_tell_key_ip_and_permission_apart(sb):
    key = sc.fresh_key(sb, MAIN)
    report = sc.run_test(sb, key, creds=sc.credentials_for(key, api_key="bnNOSUCHKEY0000000000"))
    assert report.status == Status.FAILED
    assert report.error_category == "invalid_key"
    assert sc.states(report)["key_valid"] == sc.FAIL
    detail = report.check("key_valid").detail
    assert "-2015" in detail
    assert "IP" in detail
    assert "does not say which" in detail


def test_futures_refusal_after_a_readable_key_is_a_missing_permission(sb):
    key = sc.fresh_key(sb, MAIN)
    report = sc.run_test(sb, key, "futures")
    assert report.error_category == "no_permission"
    assert "lacks the permission" in report.check("read").detail


@pytest.mark.parametrize("fault", ["malformed_json", None], ids=["malformed", "unreachable"])
def test_malformed_or_unreachable_is_never_green(sb, fault):
    check_never_green(sb, MAIN, fault)


@pytest.mark.parametrize("market", ["spot", "futures", "both"])
def test_a_test_sends_exactly_the_probes_and_downloads_no_market(sb, market):
    key = sc.fresh_key(sb, MAIN, permissions=FUTURES, account="futures")
    sc.run_test(sb, key, market)
    sent = sc.paths(sb, "binance")
    expected = Counter({TIME: 1, KEY: 1, SPOT: 1})  # the account id comes with the spot account
    if market != "spot":
        expected[FUTURES_ACCOUNT] = 1
    assert sent == expected
    assert not sc.MARKET_DOWNLOADS & set(sent)
    assert "/api/v3/exchangeInfo" not in sent
    assert "/fapi/v1/exchangeInfo" not in sent


def test_cli_healthy_and_failing(sb, tmp_path):
    url = sb.base_url("binance")
    good = sc.fresh_key(sb, MAIN)
    result = run_cli("binance", url, good, tmp_path)
    assert result.returncode == 0, result.stderr
    assert cli_report(result)["status"] == "warning"
    bad = sc.fresh_key(sb, MAIN, permissions=("enableReading",))
    result = run_cli("binance", url, bad, tmp_path)
    assert result.returncode == 1
    assert cli_report(result)["error_category"] == "no_trading_permission"
    assert good.secret not in result.stdout + result.stderr
