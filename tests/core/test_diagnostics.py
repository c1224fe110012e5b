"""The connection test against the sandbox: real ccxt clients, real signing, real HTTP on loopback.

Each scenario gets its own copy of a demo key (a fresh API key), so faults can be scoped to it
and the sandbox's request log can be read per test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import socket
import time
from collections import Counter
from typing import Any

import ccxt
import pytest

from backfuture_core import diagnostics
from backfuture_core.storage.connections import (
    ConnectionForm,
    add_connection,
    get_connection,
    load_credentials,
)
from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges import base
from backfuture_core.exchanges.base import KeyInfo, create_adapter, sanitize
from backfuture_core.models import (
    CHECK_IDS,
    Check,
    CheckState,
    Connection,
    Credentials,
    Market,
    Secret,
    Status,
)
from backfuture_core.sandbox import DemoKey, Sandbox, demo_keys

KEYS = {k.label.removesuffix(" (demo)"): k for k in demo_keys()}
MEXC_SPOT = KEYS["MEXC Spot Main"]
KUCOIN_FULL = KEYS["KuCoin Futures Conservative"]  # General, Spot, Futures; 127.0.0.1 only
PASS, WARN, FAIL, UNKNOWN, SKIPPED = (
    CheckState.PASS,
    CheckState.WARN,
    CheckState.FAIL,
    CheckState.UNKNOWN,
    CheckState.SKIPPED,
)
# Endpoints that download markets or currencies: a connection test never needs them.
MARKET_DOWNLOADS = {
    "/api/v3/exchangeInfo",
    "/api/v3/capital/config/getall",
    "/api/v1/contract/detail",
    "/api/v2/symbols",
    "/api/v3/currencies",
    "/api/v1/contracts/active",
    "/api/v1/market/allTickers",
    "/api/v3/margin/symbols",
    "/api/v1/isolated/symbols",
}
TIME_PATH = {"mexc": "/api/v3/time", "kucoin": "/api/v1/timestamp"}
KEY_PATH = {"mexc": "/api/v3/apiKeyInfo", "kucoin": "/api/v1/user/api-key"}
SPOT_PATH = {"mexc": "/api/v3/account", "kucoin": "/api/v1/accounts"}
FUTURES_PATH = {"mexc": "/api/v1/private/account/assets", "kucoin": "/api/v1/account-overview"}
SPOT_PROBES = {x: {TIME_PATH[x], KEY_PATH[x], SPOT_PATH[x]} for x in ("mexc", "kucoin")}
_serial = itertools.count(1)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sb(sandbox):
    sandbox.clear_faults()
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture
def fast_backoff(monkeypatch):
    """Jitter at its minimum: back-off waits of 0.1, 0.2 and 0.4 s."""
    monkeypatch.setattr(base.random, "random", lambda: 0.0)


@pytest.fixture
def adapters(monkeypatch) -> list[base.ExchangeAdapter]:
    """The adapters diagnostics creates, to read their retry counters afterwards."""
    made: list[base.ExchangeAdapter] = []

    def spy(*args: Any, **kwargs: Any) -> base.ExchangeAdapter:
        adapter = create_adapter(*args, **kwargs)
        made.append(adapter)
        return adapter

    monkeypatch.setattr(diagnostics, "create_adapter", spy)
    return made


# ----------------------------------------------------------------------------- helpers
def fresh_key(sb: Sandbox, template: DemoKey, **changes: Any) -> DemoKey:
    """A copy of `template` under a new API key, registered with the sandbox."""
    n = next(_serial)
    api_key = f"mx0vglTEST{n:015d}" if template.exchange == "mexc" else f"64d3e0{n:018x}"
    key = dataclasses.replace(template, api_key=api_key, label=f"{template.label} #{n}", **changes)
    sb.add_key(key)
    return key


def connection_for(sb: Sandbox, key: DemoKey, market: str | None = None) -> Connection:
    return Connection(
        id=1,
        name=key.label,
        exchange=key.exchange,
        market=Market(market or key.market),
        key_hint="…" + key.api_key[-4:],
        api_base_url=sb.base_url(key.exchange),
    )


def credentials_for(key: DemoKey, **wrong: str) -> Credentials:
    values = {"api_key": key.api_key, "secret": key.secret, "passphrase": key.passphrase}
    values.update(wrong)
    passphrase = values["passphrase"]
    return Credentials(
        Secret(values["api_key"]),
        Secret(values["secret"]),
        Secret(passphrase) if passphrase else None,
    )


def run_test(
    sb: Sandbox, key: DemoKey, market: str | None = None, creds: Credentials | None = None, **opts
):
    """diagnostics.run_async with adapter options (timeouts, deadline)."""
    conn = connection_for(sb, key, market)
    return asyncio.run(diagnostics.run_async(conn, creds or credentials_for(key), **opts))


def states(report) -> dict[str, CheckState]:
    return {c.id: c.state for c in report.checks}


def paths(sb: Sandbox, exchange: str, api_key: str | None = None) -> Counter[str]:
    return Counter(
        r.path
        for r in sb.requests
        if r.exchange == exchange and (api_key is None or r.api_key == api_key)
    )


EXCHANGES = pytest.mark.parametrize("exchange", ["mexc", "kucoin"])


def template(exchange: str) -> DemoKey:
    return MEXC_SPOT if exchange == "mexc" else KUCOIN_FULL


def futures_template(exchange: str) -> DemoKey:
    return KEYS["MEXC Futures"] if exchange == "mexc" else KUCOIN_FULL


# ------------------------------------------------------------------- the scenario matrix
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
    label = "MEXC Withdrawal Enabled" if exchange == "mexc" else "KuCoin Withdrawal Enabled"
    key = fresh_key(sb, KEYS[label])
    report = run_test(sb, key)
    assert report.status == Status.UNSAFE
    assert states(report)["withdrawal_disabled"] == FAIL
    assert states(report)["trade"] == PASS


@EXCHANGES
def test_wrong_ip_fails_with_the_reported_ip(sb, exchange):
    label = "MEXC Wrong IP" if exchange == "mexc" else "KuCoin Wrong IP"
    key = fresh_key(sb, KEYS[label])
    report = run_test(sb, key)
    assert report.status == Status.FAILED
    assert report.error_category == "ip_not_allowed"
    assert report.reported_ip == "127.0.0.1"
    assert states(report)["ip_restricted"] == FAIL
    assert "127.0.0.1" in report.check("ip_restricted").detail
    assert states(report)["key_valid"] != PASS  # refused before the key could be proven


@EXCHANGES
def test_read_only_key_has_no_trading_permission(sb, exchange):
    label = "MEXC Read Only" if exchange == "mexc" else "KuCoin Spot Read Only"
    key = fresh_key(sb, KEYS[label])
    report = run_test(sb, key)
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


# ------------------------------------------------------------------------------- faults
@EXCHANGES
def test_clock_skew_is_resynced_once_and_every_probe_still_runs(sb, adapters, exchange):
    key = fresh_key(sb, futures_template(exchange), market="both")
    sb.set_fault("clock_skew", ms=20_000)  # global: the server's time endpoint shows it too
    report = run_test(sb, key)
    (adapter,) = adapters
    assert adapter.resynced
    assert states(report)["clock"] == WARN
    # After the one resync, every signed probe was answered: nothing is left unconfirmed.
    assert {i: s for i, s in states(report).items() if i != "clock"} == dict.fromkeys(
        set(CHECK_IDS) - {"clock"}, PASS
    )
    assert report.status == Status.WARNING
    assert paths(sb, exchange)[TIME_PATH[exchange]] == 2  # the probe, then exactly one resync


@EXCHANGES
def test_rate_limit_once_is_retried_once(sb, adapters, fast_backoff, exchange):
    key = fresh_key(sb, template(exchange), market="spot")
    sb.set_fault("rate_limit", key=key.api_key, retry_after=0, count=1)
    report = run_test(sb, key)
    assert report.status == Status.ONLINE
    (adapter,) = adapters
    assert adapter.retries == 1
    signed = [r for r in sb.requests if r.api_key == key.api_key]
    assert [r.status for r in signed].count(429) == 1
    limited = next(r.path for r in signed if r.status == 429)
    per_path = paths(sb, exchange, key.api_key)
    assert per_path[limited] == 2  # the refused request and its one retry
    assert sum(per_path.values()) == 3  # key info, balance, one retry


@EXCHANGES
@pytest.mark.parametrize("fault", ["server_error", "maintenance"])
def test_persistent_outage_fails_after_at_most_three_retries(sb, fast_backoff, exchange, fault):
    key = fresh_key(sb, template(exchange), market="spot")
    sb.set_fault(fault)
    report = run_test(sb, key)
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"
    assert states(report)["reachable"] == FAIL
    assert not any(s == PASS for s in states(report).values())
    sent = paths(sb, exchange)
    assert set(sent) == SPOT_PROBES[exchange]
    # One try plus MAX_RETRIES for each probe, the deadline being far away.
    assert set(sent.values()) == {1 + base.MAX_RETRIES}


@EXCHANGES
def test_malformed_json_is_never_green(sb, exchange):
    key = fresh_key(sb, template(exchange), market="both")
    sb.set_fault("malformed_json")
    report = run_test(sb, key)
    assert report.status == Status.FAILED
    unconfirmed = {i: s for i, s in states(report).items() if i != "reachable"}
    assert PASS not in unconfirmed.values()
    assert report.error_category is not None


@EXCHANGES
def test_one_malformed_answer_is_never_green(sb, exchange):
    key = fresh_key(sb, template(exchange), market="spot")
    sb.set_fault("malformed_json", key=key.api_key, count=1)
    report = run_test(sb, key)
    assert report.status != Status.ONLINE
    broken = next(r.path for r in sb.requests if r.api_key == key.api_key)
    if broken == KEY_PATH[exchange]:
        for check_id in ("trade", "withdrawal_disabled", "ip_restricted"):
            assert states(report)[check_id] == UNKNOWN
    else:
        assert states(report)["read"] == UNKNOWN


@EXCHANGES
def test_timeout_is_exchange_unavailable_within_the_deadline(exchange):
    with Sandbox() as own:  # its own: held requests must not linger into other tests
        key = fresh_key(own, template(exchange), market="spot")
        own.set_fault("timeout", key=key.api_key, seconds=60)
        report = run_test(own, key, timeout_ms=200, deadline_s=0.6)
        # The sandbox logs a request when it answers (after 60 s): the client gave up first.
        assert paths(own, exchange, key.api_key) == Counter()
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"
    assert states(report)["key_valid"] == UNKNOWN
    assert states(report)["clock"] == PASS  # the public time endpoint was not held


def test_client_start_up_is_not_counted_as_clock_skew(sb, monkeypatch):
    """The first test of a process imports ccxt and builds the client (slow on a cold start):
    that time must not be taken for a difference between the clocks."""
    build = base.ExchangeAdapter._build_client

    def slow_build(self, ccxt_id):
        time.sleep(2.1)  # a cold ccxt import on a slow machine
        return build(self, ccxt_id)

    monkeypatch.setattr(base.ExchangeAdapter, "_build_client", slow_build)
    key = fresh_key(sb, MEXC_SPOT)
    report = run_test(sb, key)
    assert states(report)["clock"] == PASS
    assert report.status == Status.ONLINE


def test_run_and_run_many_from_synchronous_code(sb):
    good = fresh_key(sb, MEXC_SPOT)
    warn = fresh_key(sb, KUCOIN_FULL, market="spot", ip_whitelist=())
    bad = fresh_key(sb, KEYS["KuCoin Wrong IP"])
    pairs = [(connection_for(sb, k), credentials_for(k)) for k in (good, warn, bad)]
    reports = diagnostics.run_many(pairs)
    assert [r.status for r in reports] == [Status.ONLINE, Status.WARNING, Status.FAILED]
    assert [r.connection_name for r in reports] == [good.label, warn.label, bad.label]
    assert diagnostics.run(*pairs[0]).status == Status.ONLINE
    assert diagnostics.run_many([]) == []


def test_a_test_that_cannot_start_is_a_failed_report():
    conn = Connection(1, "Elsewhere", "binance", Market.SPOT, "…abcd")
    creds = Credentials(Secret("k" * 16), Secret("s" * 16))
    report = diagnostics.run(conn, creds)
    assert report.status == Status.FAILED
    assert report.error_category == "unknown"
    assert {c.state for c in report.checks} == {UNKNOWN}


# -------------------------------------------------------------- checks from hand-built probes
SPOT_CONN = Connection(1, "Hand built", "mexc", Market.SPOT, "…abcd")
FULL_KEY = KeyInfo(
    read=True, spot_trade=True, futures_trade=False, withdraw=False, ip_whitelist=("1.2.3.4",)
)


def probes(**changes: Any) -> diagnostics.Probes:
    values: dict[str, Any] = {
        "server_time": 1_700_000_000_000,
        "skew_ms": 3,
        "key": FULL_KEY,
        "spot": {"balances": []},
        "futures": None,
    }
    values.update(changes)
    return diagnostics.Probes(**values)


def test_hand_built_healthy_probes_are_online():
    report = diagnostics.make_report(probes(), SPOT_CONN, 12)
    assert report.status == Status.ONLINE
    assert report.duration_ms == 12
    assert report.extra["clock_skew_ms"] == 3


def test_key_info_without_permission_fields_is_unknown_and_never_online():
    silent = KeyInfo(read=None, spot_trade=None, futures_trade=None, withdraw=None, ip_whitelist=())
    report = diagnostics.make_report(probes(key=silent), SPOT_CONN, 0)
    assert states(report)["trade"] == UNKNOWN
    assert states(report)["withdrawal_disabled"] == UNKNOWN
    assert states(report)["read"] == PASS  # the balance itself was read
    assert report.status != Status.ONLINE
    assert report.check("withdrawal_disabled").remedy  # the user is told to confirm it


def test_key_info_silent_on_withdrawal_alone_is_not_online():
    report = diagnostics.make_report(
        probes(key=dataclasses.replace(FULL_KEY, withdraw=None)), SPOT_CONN, 0
    )
    assert states(report)["withdrawal_disabled"] == UNKNOWN
    assert report.status == Status.WARNING


def test_key_without_read_permission_fails_read():
    report = diagnostics.make_report(
        probes(key=dataclasses.replace(FULL_KEY, read=False)), SPOT_CONN, 0
    )
    assert states(report)["read"] == FAIL
    assert report.status == Status.FAILED


def test_clock_beyond_tolerance_warns():
    report = diagnostics.make_report(
        probes(skew_ms=diagnostics.CLOCK_TOLERANCE_MS + 1), SPOT_CONN, 0
    )
    assert states(report)["clock"] == WARN
    assert report.status == Status.WARNING


def test_exchange_down_everywhere_fails_reachable():
    down = ExchangeError("exchange_unavailable", "502 Bad Gateway")
    report = diagnostics.make_report(
        probes(server_time=down, skew_ms=None, key=down, spot=down), SPOT_CONN, 0
    )
    assert states(report)["reachable"] == FAIL
    assert states(report)["clock"] == UNKNOWN
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"


def test_overall_status_priorities():
    def checks(**overrides: CheckState) -> list[Check]:
        return [Check(i, overrides.get(i, PASS)) for i in CHECK_IDS]

    assert diagnostics.overall_status(checks()) == Status.ONLINE
    assert diagnostics.overall_status(checks(futures=SKIPPED)) == Status.ONLINE
    assert diagnostics.overall_status(checks(ip_restricted=WARN)) == Status.WARNING
    assert diagnostics.overall_status(checks(trade=FAIL)) == Status.FAILED
    assert diagnostics.overall_status(checks(key_valid=UNKNOWN)) == Status.FAILED
    unsafe = checks(withdrawal_disabled=FAIL, trade=FAIL)
    assert diagnostics.overall_status(unsafe) == Status.UNSAFE


# ------------------------------------------------------------------------------ reports
def test_reports_round_trip_and_update_the_connection(sb, db, vault):
    key = fresh_key(sb, MEXC_SPOT)
    conn = add_connection(
        db,
        vault,
        ConnectionForm(
            exchange="mexc",
            name="Round trip",
            api_key=key.api_key,
            secret=key.secret,
            api_base_url=sb.base_url("mexc"),
        ),
    )
    assert diagnostics.latest_report(db, conn.id) is None
    first = diagnostics.run(conn, load_credentials(db, vault, conn.id))
    diagnostics.save_report(db, conn.id, first)
    sb.add_key(dataclasses.replace(key, ip_whitelist=()))
    second = diagnostics.run(conn, load_credentials(db, vault, conn.id))
    diagnostics.save_report(db, conn.id, second)

    assert (first.status, second.status) == (Status.ONLINE, Status.WARNING)
    assert diagnostics.latest_report(db, conn.id) == second
    assert diagnostics.report_history(db, conn.id) == [second, first]
    assert diagnostics.report_history(db, conn.id, limit=1) == [second]
    stored = get_connection(db, conn.id)
    assert stored.status == Status.WARNING
    assert stored.last_tested_at == second.tested_at
    assert diagnostics.report_from_dict(json.loads(diagnostics.report_json(first))) == first


def test_report_json_follows_the_contract(sb):
    key = fresh_key(sb, KEYS["MEXC Wrong IP"])
    data = json.loads(diagnostics.report_json(run_test(sb, key)))
    assert data["status"] == "failed"
    assert data["error_category"] == "ip_not_allowed"
    assert [c["id"] for c in data["checks"]] == list(CHECK_IDS)
    assert all({"id", "state", "detail"} <= set(c) for c in data["checks"])


@EXCHANGES
def test_no_secret_in_reports_json_or_database(sb, db, vault, settings, fast_backoff, exchange):
    canary = "CanarySecret7f3a9c2e5b1d"
    api_key = "mx0vglCANARY0KEY7Q3Z9XK2W" if exchange == "mexc" else "64d3e0cafe0000canary0042"
    passphrase = "CanaryPass4e8d2a" if exchange == "kucoin" else None
    key = dataclasses.replace(
        template(exchange), api_key=api_key, secret=canary, passphrase=passphrase, market="spot"
    )
    sb.add_key(key)
    conn = add_connection(
        db,
        vault,
        ConnectionForm(
            exchange=exchange,
            name=f"Canary {exchange}",
            api_key=api_key,
            secret=canary,
            passphrase=passphrase or "",
            api_base_url=sb.base_url(exchange),
        ),
    )
    healthy = diagnostics.run(conn, load_credentials(db, vault, conn.id))
    # Failing calls carry URLs in their errors (MEXC's key-info URL holds the API key).
    sb.set_fault("server_error", key=api_key, status=502)
    failing = diagnostics.run(conn, load_credentials(db, vault, conn.id))
    assert (healthy.status, failing.status) == (Status.ONLINE, Status.FAILED)
    for report in (healthy, failing):
        diagnostics.save_report(db, conn.id, report)
        text = diagnostics.report_json(report) + repr(report)
        for secret in filter(None, (canary, api_key, passphrase)):
            assert secret not in text
    assert "signature" not in diagnostics.report_json(failing)

    db.conn.commit()
    files = [settings.db_path, settings.db_path.with_name(settings.db_path.name + "-wal")]
    stored = b"".join(p.read_bytes() for p in files if p.exists())
    for secret in filter(None, (canary, api_key, passphrase)):
        assert secret.encode() not in stored
    # ... but it is there, encrypted: the vault gives it back.
    assert load_credentials(db, vault, conn.id).secret.reveal() == canary


# ------------------------------------------------------------------- error classification
def _adapter(exchange: str) -> base.ExchangeAdapter:
    conn = Connection(1, "Offline", exchange, Market.SPOT, "…abcd")
    return create_adapter(conn, Credentials(Secret("k" * 16), Secret("s" * 16), Secret("p")))


MEXC_CODES = [
    (ccxt.BadRequest, '{"code":10072,"msg":"Api key info invalid"}', "invalid_key"),
    (ccxt.BadRequest, '{"code":400,"msg":"api key required"}', "invalid_key"),
    (ccxt.AuthenticationError, '{"code":700001,"msg":"Signature invalid"}', "invalid_key"),
    (
        ccxt.AuthenticationError,
        '{"code":700002,"msg":"Signature for this request is not valid."}',
        "invalid_key",
    ),
    (
        ccxt.InvalidNonce,
        '{"code":700003,"msg":"Timestamp for this request is outside of the recvWindow."}',
        "clock_skew",
    ),
    (
        ccxt.BadRequest,
        '{"code":700006,"msg":"IP [168.181.160.97] not in the ip white list"}',
        "ip_not_allowed",
    ),
    (
        ccxt.AuthenticationError,
        '{"code":700007,"msg":"No permission to access the endpoint."}',
        "no_permission",
    ),
    (
        ccxt.PermissionDenied,
        '{"code":70011,"msg":"Pair user ban trade apikey."}',
        "no_trading_permission",
    ),
    (ccxt.AuthenticationError, '{"code":140002,"msg":"sub-account forbidden"}', "account_frozen"),
    (ccxt.AccountSuspended, '{"code":30018,"msg":"account abnormal"}', "account_frozen"),
    (ccxt.RateLimitExceeded, '{"code":429,"msg":"Too Many Requests"}', "rate_limited"),
    (
        ccxt.OnMaintenance,
        '{"code":500,"message":"Under maintenance, please try again later"}',
        "exchange_unavailable",
    ),
    # contract v1
    (
        ccxt.PermissionDenied,
        '{"success":false,"code":406,"message":"Accessing IP is not in the whitelist!"}',
        "ip_not_allowed",
    ),
    (
        ccxt.AuthenticationError,
        '{"success":false,"code":602,"message":"Signature verification failed!"}',
        "invalid_key",
    ),
    (
        ccxt.AuthenticationError,
        '{"success":false,"code":402,"message":"API key expired"}',
        "invalid_key",
    ),
    (
        ccxt.PermissionDenied,
        '{"success":false,"code":701,"message":"Please enable API Key read access"}',
        "no_permission",
    ),
    (
        ccxt.BadRequest,
        '{"success":false,"code":513,"message":"Invalid request"}',
        "clock_skew",
    ),
    (
        ccxt.BadRequest,
        '{"success":false,"code":10073,"message":"invalid Request-Time"}',
        "clock_skew",
    ),
    (
        ccxt.RateLimitExceeded,
        '{"success":false,"code":510,"message":"Requests are too frequent"}',
        "rate_limited",
    ),
]
KUCOIN_CODES = [
    (ccxt.AuthenticationError, "400001", "KC-API-KEY is missing", "invalid_key"),
    (ccxt.InvalidNonce, "400002", "Invalid KC-API-TIMESTAMP.", "clock_skew"),
    (ccxt.AuthenticationError, "400003", "KC-API-KEY does not exist.", "invalid_key"),
    (ccxt.AuthenticationError, "400004", "Invalid KC-API-PASSPHRASE.", "wrong_passphrase"),
    (ccxt.AuthenticationError, "400005", "Invalid KC-API-SIGN.", "invalid_key"),
    (
        ccxt.AuthenticationError,
        "400006",
        "Invalid request IP, the current client IP is: 203.0.113.7.",
        "ip_not_allowed",
    ),
    (
        ccxt.AuthenticationError,
        "400007",
        "Access denied, requires more permission.",
        "no_permission",
    ),
    (ccxt.NotSupported, "400008", "V1 & V2 API keys are no longer supported", "invalid_key"),
    (ccxt.ExchangeError, "400010", "UID access denied, requires more permission.", "no_permission"),
    (ccxt.AccountSuspended, "411100", "User are frozen", "account_frozen"),
    (ccxt.RateLimitExceeded, "429000", "Too many requests", "rate_limited"),
    (ccxt.ExchangeNotAvailable, "500000", "Internal Server Error", "exchange_unavailable"),
]


@pytest.mark.parametrize(("cls", "body", "category"), MEXC_CODES)
def test_classify_mexc_codes(cls, body, category):
    error = _adapter("mexc").classify(cls(f"mexc {body}"))
    assert error.category.id == category
    assert error.code == str(json.loads(body)["code"])
    assert error.exchange == "MEXC"
    if category == "ip_not_allowed" and "168." in body:
        assert error.reported_ip == "168.181.160.97"


@pytest.mark.parametrize(("cls", "code", "msg", "category"), KUCOIN_CODES)
def test_classify_kucoin_codes(cls, code, msg, category):
    body = json.dumps({"code": code, "msg": msg}, separators=(",", ":"))
    error = _adapter("kucoin").classify(cls(f"kucoin {body}"))
    assert error.category.id == category
    assert error.code == code
    assert error.detail == msg
    if code == "400006":
        assert error.reported_ip == "203.0.113.7"


CLASS_FALLBACKS = [
    (ccxt.InvalidNonce, "clock_skew"),
    (ccxt.RateLimitExceeded, "rate_limited"),
    (ccxt.DDoSProtection, "rate_limited"),
    (ccxt.OnMaintenance, "exchange_unavailable"),
    (ccxt.ExchangeNotAvailable, "exchange_unavailable"),
    (ccxt.RequestTimeout, "exchange_unavailable"),
    (ccxt.NetworkError, "exchange_unavailable"),
    (ccxt.OperationFailed, "exchange_unavailable"),
    (ccxt.AccountSuspended, "account_frozen"),
    (ccxt.PermissionDenied, "no_permission"),
    (ccxt.AuthenticationError, "invalid_key"),
    (ccxt.BadRequest, "unknown"),
    (ccxt.BadSymbol, "unknown"),
    (ccxt.ExchangeError, "unknown"),
]


@pytest.mark.parametrize("exchange", ["mexc", "kucoin"])
@pytest.mark.parametrize(("cls", "category"), CLASS_FALLBACKS)
def test_classify_falls_back_on_the_ccxt_class(exchange, cls, category):
    message = f"{exchange} GET https://api.example.com/api/v3/account 503 Service Unavailable"
    assert _adapter(exchange).classify(cls(message)).category.id == category


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        (TimeoutError("timed out"), "exchange_unavailable"),
        (ConnectionResetError("reset"), "exchange_unavailable"),
        # an unknown code falls through to the class: BadSymbol is the caller's mistake
        (ccxt.BadSymbol('kucoin {"code":"400100","msg":"Unsupported trading pair."}'), "unknown"),
        # codes are per exchange: a MEXC code means nothing to KuCoin
        (ccxt.BadRequest('kucoin {"code":"700006","msg":"IP [1.2.3.4] not in list"}'), "unknown"),
        (ValueError("not JSON"), "unknown"),
    ],
)
def test_classify_other_failures(exc, category):
    assert _adapter("kucoin").classify(exc).category.id == category


def test_classify_keeps_an_exchange_error_and_unreadable_answers_say_so():
    adapter = _adapter("mexc")
    original = ExchangeError("rate_limited", "slow down")
    assert adapter.classify(original) is original
    assert "could not read" in adapter.classify(ValueError("x")).detail


def test_sanitize_removes_query_strings_and_html():
    signed = (
        "mexc GET https://api.mexc.com/api/v3/apiKeyInfo?accessKey=mx0vglSECRETKEY&timestamp="
        "1700000000000&recvWindow=5000&signature=0a1b2c3d4e5f 400 Bad Request"
    )
    clean = sanitize(signed)
    assert clean == "mexc GET https://api.mexc.com/api/v3/apiKeyInfo 400 Bad Request"
    html = (
        "kucoin GET http://127.0.0.1:9/api/v1/accounts?type=trade 502 Bad Gateway <html>\r\n"
        "<head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    )
    assert sanitize(html) == "kucoin GET http://127.0.0.1:9/api/v1/accounts 502 Bad Gateway"
    assert sanitize("down <!DOCTYPE html><html><body>x</body></html>") == "down"
    long = sanitize("x" * 1000)
    assert len(long) <= 300
    assert long.endswith("…")


def test_classified_errors_carry_no_signature_or_markup():
    message = (
        "mexc GET http://127.0.0.1:9/mexc/api/v3/account?timestamp=1&signature=deadbeefcafe "
        "502 Bad Gateway <html><head><title>502</title></head></html>"
    )
    error = _adapter("mexc").classify(ccxt.ExchangeNotAvailable(message))
    assert error.category.id == "exchange_unavailable"
    for leaked in ("signature", "deadbeefcafe", "<html", "timestamp="):
        assert leaked not in error.detail
        assert leaked not in str(error)


def test_a_retried_time_request_is_not_read_as_a_slow_clock(sb):
    key = fresh_key(sb, template("mexc"), market="spot")
    sb.set_fault("rate_limit", retry_after=3, count=1)  # the only request: the server time

    async def offset():
        async with create_adapter(connection_for(sb, key), credentials_for(key)) as adapter:
            return await adapter.clock_offset(), adapter.retries

    (_, skew), retries = asyncio.run(offset())
    assert retries == 1  # it waited 3 s for the retry...
    assert abs(skew) < 1_000  # ...which is not read as the clock being 1.5 s off
    assert [r.status for r in sb.requests if r.path.endswith("/time")][-2:] == [429, 200]


@EXCHANGES
def test_connection_refused_is_exchange_unavailable(fast_backoff, exchange):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    key = template(exchange)
    conn = Connection(
        1, "Refused", exchange, Market.SPOT, "…", api_base_url=f"http://127.0.0.1:{port}"
    )
    report = asyncio.run(diagnostics.run_async(conn, credentials_for(key)))
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"
    assert states(report)["reachable"] == FAIL
    assert not any(s == PASS for s in states(report).values())


@pytest.mark.parametrize(
    ("exchange", "scenario"),
    [
        (exchange, scenario)
        for exchange in ("mexc", "kucoin")
        for scenario in ("wrong_secret", "wrong_passphrase", "server_error", "malformed_json")
        if not (exchange == "mexc" and scenario == "wrong_passphrase")  # MEXC has none
    ],
)
def test_secrets_stay_out_of_logs_and_error_text(sb, caplog, fast_backoff, exchange, scenario):
    key = fresh_key(sb, template(exchange), market="both")
    creds = credentials_for(key)
    if scenario == "wrong_secret":
        creds = credentials_for(key, secret=key.secret + "x")
    elif scenario == "wrong_passphrase":
        creds = credentials_for(key, passphrase="not-" + key.passphrase)
    else:
        sb.set_fault(scenario, key=key.api_key)
    caplog.set_level(logging.DEBUG)  # everything ccxt, aiohttp and BackFuture log
    conn = connection_for(sb, key)
    errors = []

    async def every_error():
        async with create_adapter(conn, creds) as adapter:
            for probe in (adapter.key_info, adapter.spot_balance, adapter.futures_balance):
                try:
                    await probe()
                except ExchangeError as exc:
                    errors.append(exc)
        return await diagnostics.run_async(conn, creds)

    report = asyncio.run(every_error())
    assert report.status != Status.ONLINE
    texts = [caplog.text, diagnostics.report_json(report), repr(report)]
    texts += [f"{e} {e.detail} {e!r} {e.__cause__!r} {e.__context__!r}" for e in errors]
    secrets = [s for s in (key.api_key, creds.secret.reveal(), key.secret, key.passphrase) if s]
    if creds.passphrase is not None:
        secrets.append(creds.passphrase.reveal())
    for text in texts:
        for secret in secrets:
            assert secret not in text
