"""The connection test against the sandbox, one scenario per outcome: real ccxt clients, real
signing, real HTTP on loopback. Each scenario gets its own copy of a demo key (a fresh API key),
so faults can be scoped to it and the sandbox's request log can be read per test."""

from __future__ import annotations

from collections import Counter

import pytest

from backfuture_core.diagnostics.run import run, run_many
from backfuture_core.models import CHECK_IDS, Connection, Credentials, Market, Secret, Status
from tests.core.diagnostics.scenarios import (
    ACCOUNT_PATH,
    EXCHANGES,
    FAIL,
    FUTURES_PATH,
    KEY_PATH,
    KEYS,
    KUCOIN_FULL,
    MARKET_DOWNLOADS,
    MEXC_SPOT,
    PASS,
    SKIPPED,
    SPOT_PATH,
    SPOT_PROBES,
    TIME_PATH,
    UNKNOWN,
    WARN,
    connection_for,
    credentials_for,
    demo_key,
    fresh_key,
    futures_template,
    paths,
    run_test,
    states,
    template,
)


@EXCHANGES
def test_healthy_spot_key_is_online_with_every_check_passing(sb, exchange):
    key = fresh_key(sb, template(exchange), market="spot")
    report = run_test(sb, key)
    assert report.status == Status.ONLINE
    assert report.error_category is None
    assert [c.id for c in report.checks] == list(CHECK_IDS)
    assert states(report) == {i: SKIPPED if i == "futures" else PASS for i in CHECK_IDS}
    assert report.exchange == exchange
    assert report.connection_name == key.label


@EXCHANGES
def test_spot_test_sends_one_request_per_probe_and_downloads_no_market(sb, exchange):
    key = fresh_key(sb, template(exchange), market="spot")
    report = run_test(sb, key)
    assert report.status == Status.ONLINE
    sent = paths(sb, exchange)
    assert sent == Counter(SPOT_PROBES[exchange])  # each probe exactly once, nothing else
    assert not MARKET_DOWNLOADS & set(sent)


@EXCHANGES
@pytest.mark.parametrize("market", ["futures", "both"])
def test_futures_key_on_a_futures_connection(sb, exchange, market):
    key = fresh_key(sb, futures_template(exchange))
    report = run_test(sb, key, market=market)
    assert report.status == Status.ONLINE
    assert states(report)["futures"] == PASS
    assert all(s == PASS for s in states(report).values())
    expected = {TIME_PATH[exchange], KEY_PATH[exchange], FUTURES_PATH[exchange]}
    expected.add(ACCOUNT_PATH[exchange])
    if Market(market).has_spot:
        expected.add(SPOT_PATH[exchange])
    sent = paths(sb, exchange)
    assert sent == Counter(expected)  # each probe exactly once, nothing else
    assert not MARKET_DOWNLOADS & set(sent)


@EXCHANGES
@pytest.mark.parametrize("market", ["futures", "both"])
def test_spot_only_key_on_a_futures_connection_fails_futures(sb, exchange, market):
    spot_only = ("General", "Spot") if exchange == "kucoin" else MEXC_SPOT.permissions
    key = fresh_key(sb, template(exchange), permissions=spot_only)
    report = run_test(sb, key, market=market)
    assert report.status == Status.FAILED
    assert states(report)["futures"] == FAIL
    assert states(report)["key_valid"] == PASS
    assert states(report)["withdrawal_disabled"] == PASS
    assert report.error_category == "no_permission"


@EXCHANGES
def test_no_ip_restriction_is_a_warning(sb, exchange):
    key = fresh_key(sb, template(exchange), market="spot", ip_whitelist=())
    report = run_test(sb, key)
    assert report.status == Status.WARNING
    assert states(report)["ip_restricted"] == WARN
    assert report.check("ip_restricted").remedy
    others = {i: s for i, s in states(report).items() if i not in ("ip_restricted", "futures")}
    assert set(others.values()) == {PASS}
    assert report.error_category is None


@EXCHANGES
def test_withdrawal_enabled_is_unsafe(sb, exchange):
    report = run_test(
        sb, demo_key(sb, exchange, "MEXC Withdrawal Enabled", "KuCoin Withdrawal Enabled")
    )
    assert report.status == Status.UNSAFE
    assert states(report)["withdrawal_disabled"] == FAIL
    assert states(report)["trade"] == PASS


@EXCHANGES
def test_wrong_ip_fails_with_the_reported_ip(sb, exchange):
    report = run_test(sb, demo_key(sb, exchange, "MEXC Wrong IP", "KuCoin Wrong IP"))
    assert report.status == Status.FAILED
    assert report.error_category == "ip_not_allowed"
    assert report.reported_ip == "127.0.0.1"
    assert states(report)["ip_restricted"] == FAIL
    assert "127.0.0.1" in report.check("ip_restricted").detail
    assert states(report)["key_valid"] != PASS  # refused before the key could be proven


@EXCHANGES
def test_read_only_key_has_no_trading_permission(sb, exchange):
    report = run_test(sb, demo_key(sb, exchange, "MEXC Read Only", "KuCoin Spot Read Only"))
    assert report.status == Status.FAILED
    assert report.error_category == "no_trading_permission"
    assert states(report)["trade"] == FAIL
    assert states(report)["read"] == PASS
    assert states(report)["key_valid"] == PASS


@EXCHANGES
def test_unknown_api_key_is_invalid_key(sb, exchange):
    key = fresh_key(sb, template(exchange), market="spot")
    unknown = "mx0vglNOSUCHKEY0000000001" if exchange == "mexc" else "64d3e0ffffffffffffffffff"
    report = run_test(sb, key, creds=credentials_for(key, api_key=unknown))
    assert report.status == Status.FAILED
    assert report.error_category == "invalid_key"
    assert states(report)["key_valid"] == FAIL
    assert states(report)["reachable"] == PASS


def test_mexc_wrong_secret_is_invalid_key(sb):
    key = fresh_key(sb, MEXC_SPOT)
    report = run_test(sb, key, creds=credentials_for(key, secret="not-the-right-secret-000"))
    assert report.status == Status.FAILED
    assert report.error_category == "invalid_key"
    assert states(report)["key_valid"] == FAIL


def test_kucoin_wrong_secret_is_refused_as_a_key_error(sb):
    """KuCoin signs the passphrase header with the secret and checks it before the request
    signature, so a wrong secret is answered 400004 (passphrase), as the real API does."""
    key = fresh_key(sb, KUCOIN_FULL, market="spot")
    report = run_test(sb, key, creds=credentials_for(key, secret="not-the-right-secret-000"))
    assert report.status == Status.FAILED
    assert states(report)["key_valid"] == FAIL
    assert report.error_category == "wrong_passphrase"


def test_kucoin_wrong_passphrase(sb):
    key = fresh_key(sb, KUCOIN_FULL, market="spot")
    report = run_test(sb, key, creds=credentials_for(key, passphrase="not-the-passphrase"))
    assert report.status == Status.FAILED
    assert report.error_category == "wrong_passphrase"
    assert states(report)["key_valid"] == FAIL
    assert report.check("key_valid").remedy


def test_run_and_run_many_from_synchronous_code(sb):
    good = fresh_key(sb, MEXC_SPOT)
    warn = fresh_key(sb, KUCOIN_FULL, market="spot", ip_whitelist=())
    bad = fresh_key(sb, KEYS["KuCoin Wrong IP"])
    pairs = [(connection_for(sb, k), credentials_for(k)) for k in (good, warn, bad)]
    reports = run_many(pairs)
    assert [r.status for r in reports] == [Status.ONLINE, Status.WARNING, Status.FAILED]
    assert [r.connection_name for r in reports] == [good.label, warn.label, bad.label]
    assert run(*pairs[0]).status == Status.ONLINE
    assert run_many([]) == []


def test_a_test_that_cannot_start_is_a_failed_report():
    conn = Connection(1, "Elsewhere", "gate", Market.SPOT, "…abcd")
    creds = Credentials(Secret("k" * 16), Secret("s" * 16))
    report = run(conn, creds)
    assert report.status == Status.FAILED
    assert report.error_category == "unknown"
    assert {c.state for c in report.checks} == {UNKNOWN}
