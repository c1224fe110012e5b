"""The connection test under injected faults (clock skew, rate limits, outages, malformed
answers, timeouts, refused connections), with the adapter on an injected clock: retries and
Retry-After are proven on that clock, and no test waits for real."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter

import pytest

from backfuture_core.diagnostics.checks import NOT_REACHED
from backfuture_core.diagnostics.run import run_async
from backfuture_core.exchanges.base import MAX_RETRIES, SPOT, ExchangeAdapter
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.models import CHECK_IDS, Connection, Market, Status
from backfuture_core.sandbox import Sandbox
from tests.core.diagnostics import scenarios as sc
from tests.core.fake_timing import FakeTiming

COLD_START_S = 3.0  # a cold ccxt import and client build on a slow machine


@sc.EXCHANGES
def test_clock_skew_is_resynced_once_and_every_probe_still_runs(sb, adapters, exchange):
    key = sc.fresh_key(sb, sc.futures_template(exchange), market="both")
    sb.set_fault("clock_skew", ms=20_000)  # global: the server's time endpoint shows it too
    report = sc.run_test(sb, key)
    (adapter,) = adapters
    assert adapter.resynced
    assert sc.states(report)["clock"] == sc.WARN
    # After the one resync, every signed probe was answered: nothing is left unconfirmed.
    assert {i: s for i, s in sc.states(report).items() if i != "clock"} == dict.fromkeys(
        set(CHECK_IDS) - {"clock"}, sc.PASS
    )
    assert report.status == Status.WARNING
    assert sc.paths(sb, exchange)[sc.TIME_PATH[exchange]] == 2  # the probe, then exactly one resync


@sc.EXCHANGES
def test_rate_limit_once_is_retried_once(sb, adapters, exchange):
    key = sc.fresh_key(sb, sc.template(exchange), market="spot")
    sb.set_fault("rate_limit", key=key.api_key, retry_after=0, count=1)
    timing = FakeTiming()
    report = sc.run_test(sb, key, timing=timing)
    assert report.status == Status.ONLINE
    (adapter,) = adapters
    assert adapter.retries == 1
    assert len(timing.sleeps) == 1  # one back-off, on the injected clock
    signed = [r for r in sb.requests if r.api_key == key.api_key]
    assert [r.status for r in signed].count(429) == 1
    limited = next(r.path for r in signed if r.status == 429)
    per_path = sc.paths(sb, exchange, key.api_key)
    assert per_path[limited] == 2  # the refused request and its one retry
    assert sum(per_path.values()) == 4  # key info, balance, account probe, one retry


@sc.EXCHANGES
@pytest.mark.parametrize("fault", ["server_error", "maintenance"])
def test_persistent_outage_fails_after_at_most_three_retries(sb, exchange, fault):
    key = sc.fresh_key(sb, sc.template(exchange), market="spot")
    sb.set_fault(fault)
    report = sc.run_test(sb, key)
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"
    assert sc.states(report)["reachable"] == sc.FAIL
    assert not any(s == sc.PASS for s in sc.states(report).values())
    sent = sc.paths(sb, exchange)
    assert set(sent) == sc.SPOT_PROBES[exchange]
    # One try plus MAX_RETRIES for each probe, the deadline being far away.
    assert set(sent.values()) == {1 + MAX_RETRIES}


@sc.EXCHANGES
def test_malformed_json_is_never_green(sb, exchange):
    key = sc.fresh_key(sb, sc.template(exchange), market="both")
    sb.set_fault("malformed_json")
    report = sc.run_test(sb, key)
    assert report.status == Status.FAILED
    unconfirmed = {i: s for i, s in sc.states(report).items() if i != "reachable"}
    assert sc.PASS not in unconfirmed.values()
    assert report.error_category is not None


@sc.EXCHANGES
def test_one_malformed_answer_is_never_green(sb, exchange):
    key = sc.fresh_key(sb, sc.template(exchange), market="spot")
    sb.set_fault("malformed_json", key=key.api_key, count=1)
    report = sc.run_test(sb, key)
    assert report.status != Status.ONLINE
    broken = next(r.path for r in sb.requests if r.api_key == key.api_key)
    if broken == sc.KEY_PATH[exchange]:
        for check_id in ("trade", "withdrawal_disabled", "ip_restricted"):
            assert sc.states(report)[check_id] == sc.UNKNOWN
    else:
        assert sc.states(report)["read"] == sc.UNKNOWN


@sc.EXCHANGES
def test_timeout_is_exchange_unavailable_within_the_deadline(exchange):
    with Sandbox() as own:  # its own: held requests must not linger into other tests
        key = sc.fresh_key(own, sc.template(exchange), market="spot")
        own.set_fault("timeout", key=key.api_key, seconds=60)
        report = sc.run_test(own, key, timeout_ms=200, deadline_s=0.6)
        # The sandbox logs a request when it answers (after 60 s): the client gave up first.
        assert sc.paths(own, exchange, key.api_key) == Counter()
    assert report.status == Status.FAILED
    assert report.error_category == "exchange_unavailable"
    assert sc.states(report)["key_valid"] == sc.UNKNOWN
    assert sc.states(report)["clock"] == sc.PASS  # the public time endpoint was not held


def test_client_start_up_is_not_counted_as_clock_skew(sb, monkeypatch):
    """The first test of a process imports ccxt and builds the client (slow on a cold start):
    that time must not be taken for a difference between the clocks."""
    timing = sc.world_clock(sb)
    client = ExchangeAdapter.client
    started: set[tuple[int, str]] = set()

    def slow_first_client(self: ExchangeAdapter, market: str = SPOT):
        if (id(self), market) not in started:  # the client is built on its first use
            started.add((id(self), market))
            timing.advance(COLD_START_S)
        return client(self, market)

    monkeypatch.setattr(ExchangeAdapter, "client", slow_first_client)
    key = sc.fresh_key(sb, sc.MEXC_SPOT)
    report = sc.run_test(sb, key, timing=timing)
    assert timing.offset == COLD_START_S  # the start-up took its time on the injected clock
    assert sc.states(report)["clock"] == sc.PASS
    assert report.status == Status.ONLINE


def test_a_retried_time_request_is_not_read_as_a_slow_clock(sb):
    key = sc.fresh_key(sb, sc.template("mexc"), market="spot")
    sb.set_fault("rate_limit", retry_after=3, count=1)  # the only request: the server time
    timing = sc.world_clock(sb)
    conn, creds = sc.connection_for(sb, key), sc.credentials_for(key)

    async def offset():
        async with create_adapter(conn, creds, timing=timing) as adapter:
            return await adapter.clock_offset(), adapter.retries

    (_, skew), retries = asyncio.run(offset())
    assert retries == 1
    assert sum(timing.sleeps) >= 3  # it waited the 3 s Retry-After for the retry...
    assert abs(skew) < 1_000  # ...which is not read as the clock being 1.5 s off
    assert [r.status for r in sb.requests if r.path.endswith("/time")][-2:] == [429, 200]


@sc.EXCHANGES
def test_connection_refused_is_network_unreachable_and_nothing_is_checked(exchange):
    """Issue 12: a refused connection was "Exchange unavailable: wait and run the test again"
    with every check "the exchange does not say"; the exchange was never reached."""
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    key = sc.template(exchange)
    conn = Connection(
        1, "Refused", exchange, Market.SPOT, "…", api_base_url=f"http://127.0.0.1:{port}"
    )
    timing = FakeTiming()
    report = asyncio.run(run_async(conn, sc.credentials_for(key), timing=timing))
    assert report.status == Status.FAILED
    assert report.error_category == "network_unreachable"
    assert sc.states(report)["reachable"] == sc.FAIL
    reachable = report.check("reachable")
    assert reachable.detail == f"127.0.0.1:{port} refused the connection."
    assert "API base URL" in reachable.remedy
    assert "Wait" not in reachable.remedy
    assert timing.sleeps == []  # waiting would not help: no retry
    for check in report.checks:
        if check.id not in ("reachable", "futures"):
            assert check.state == sc.UNKNOWN
            assert check.detail == NOT_REACHED, check.id
