"""The scenario matrix of one exchange as data, and the tests that run it: a test module sets
the ``spec`` fixture to its exchange's `Spec` and imports the tests from here (pytest collects
them there), so every exchange runs the same scenarios through the same path as the app."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from backfuture_core.diagnostics.run import run_async
from backfuture_core.models import CHECK_IDS, CheckState, Status
from backfuture_core.sandbox import DemoKey, Sandbox
from backfuture_core.sandbox.keys import DOCUMENTATION_IP
from tests.core.diagnostics import scenarios as sc
from tests.core.fake_timing import FakeTiming

UNREACHABLE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Case:
    """One scenario: how the key, connection or sandbox differ from healthy, and the outcome."""

    status: Status
    category: str | None
    states: dict[str, CheckState]  # every check not named here passes (futures: skipped)
    key: dict[str, Any] = field(default_factory=dict)  # changes to the spot template
    futures: bool = False  # start from the futures template
    market: str = "spot"
    creds: dict[str, str] = field(default_factory=dict)
    fault: tuple[str, dict[str, Any]] | None = None  # (kind, params); key-scoped unless global
    global_fault: bool = False
    base_url: str | None = None


@dataclass(frozen=True)
class Spec:
    exchange: str
    spot: DemoKey  # healthy spot key, 127.0.0.1 only
    futures: DemoKey  # healthy spot-and-futures key
    time_path: str
    key_path: str
    spot_path: str
    futures_path: str
    market_downloads: frozenset[str]
    cases: dict[str, Case]


F, U, W = sc.FAIL, sc.UNKNOWN, sc.WARN
ONLINE, WARNING, UNSAFE, FAILED = Status.ONLINE, Status.WARNING, Status.UNSAFE, Status.FAILED
NOT_PROVEN = {"key_valid": U, "read": U, "trade": U, "withdrawal_disabled": U, "ip_restricted": U}


def standard_cases(
    *,
    withdraw: tuple[str, ...],
    unknown_token: tuple[str, ...],
    read_only: tuple[str, ...],
    futures_off: tuple[str, Case],
    unknown_key: str,
) -> dict[str, Case]:
    """The matrix every exchange answers, from its permission tokens (a key that withdraws,
    one with a token the adapter does not know, a read-only one), its way of refusing futures
    and an API key of its shape that it does not know."""
    return {
        "healthy": Case(ONLINE, None, {}),
        "no IP restriction": Case(WARNING, None, {"ip_restricted": W}, key={"ip_whitelist": ()}),
        "withdrawal enabled": Case(
            UNSAFE, None, {"withdrawal_disabled": F}, key={"permissions": withdraw}
        ),
        "unknown permission": Case(
            WARNING, None, {"withdrawal_disabled": U}, key={"permissions": unknown_token}
        ),
        "read-only": Case(
            FAILED, "no_trading_permission", {"trade": F}, key={"permissions": read_only}
        ),
        "futures on": Case(ONLINE, None, {}, futures=True, market="both"),
        futures_off[0]: futures_off[1],
        "IP not allowed": Case(
            FAILED, "ip_not_allowed", {**NOT_PROVEN, "ip_restricted": F},
            key={"ip_whitelist": (DOCUMENTATION_IP,)},
        ),
        "unknown key": Case(
            FAILED, "invalid_key", {**NOT_PROVEN, "key_valid": F}, creds={"api_key": unknown_key}
        ),
        "wrong secret": Case(
            FAILED, "invalid_key", {**NOT_PROVEN, "key_valid": F},
            creds={"secret": "NOT-the-right-secret-0000000000"},
        ),
        "wrong passphrase": Case(
            FAILED, "wrong_passphrase", {**NOT_PROVEN, "key_valid": F},
            creds={"passphrase": "Not-The-Passphrase-9"},
        ),
        "clock skew": Case(
            WARNING, None, {"clock": W}, fault=("clock_skew", {"ms": 60_000}), global_fault=True
        ),
        "rate limited once": Case(ONLINE, None, {}, fault=("rate_limit", {"count": 1})),
        "rate limited": Case(FAILED, "rate_limited", NOT_PROVEN, fault=("rate_limit", {})),
        "maintenance": Case(
            FAILED, "exchange_unavailable", {**NOT_PROVEN, "reachable": F, "clock": U},
            fault=("maintenance", {}), global_fault=True,
        ),
        # Issue 12 turns these two into wrong_address and network_unreachable.
        "malformed answer": Case(
            FAILED, "unknown", {**NOT_PROVEN, "clock": U},
            fault=("malformed_json", {}), global_fault=True,
        ),
        "unreachable": Case(
            FAILED, "exchange_unavailable", {**NOT_PROVEN, "reachable": F, "clock": U},
            base_url=UNREACHABLE,
        ),
        "account restricted": Case(
            FAILED, "account_restricted", NOT_PROVEN, key={"account": "restricted"}
        ),
    }  # fmt: skip


def expected(case: Case) -> dict[str, CheckState]:
    base = dict.fromkeys(CHECK_IDS, sc.PASS)
    if case.market == "spot":
        base["futures"] = sc.SKIPPED
    return {**base, **case.states}


def run_case(sb: Sandbox, spec: Spec, case: Case) -> Any:
    template = spec.futures if case.futures else spec.spot
    key = sc.fresh_key(sb, template, market=case.market, **case.key)
    if case.fault is not None:
        kind, params = case.fault
        sb.set_fault(kind, key=None if case.global_fault else key.api_key, **params)
    conn = sc.connection_for(sb, key, case.market)
    if case.base_url:
        conn = dataclasses.replace(conn, api_base_url=case.base_url)
    creds = sc.credentials_for(key, **case.creds)
    return asyncio.run(run_async(conn, creds, timing=FakeTiming()))


def test_scenario_matrix(sb, spec, case_name):
    case = spec.cases[case_name]
    report = run_case(sb, spec, case)
    assert (report.status, report.error_category) == (case.status, case.category)
    assert sc.states(report) == expected(case)


def test_a_test_sends_exactly_the_probes_and_downloads_no_market(sb, spec):
    for market, extra in (
        ("spot", {spec.spot_path}),
        ("both", {spec.spot_path, spec.futures_path}),
    ):
        sb.clear_requests()
        key = sc.fresh_key(sb, spec.futures, market=market)
        report = sc.run_test(sb, key)
        assert report.status == Status.ONLINE
        sent = sc.paths(sb, spec.exchange)
        assert sent == Counter({spec.time_path, spec.key_path, *extra})  # each once
        assert not spec.market_downloads & set(sent)


def _cli(sb: Sandbox, spec: Spec, key: DemoKey, tmp_path: Any) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKFUTURE_")}
    env.update(
        BACKFUTURE_DATA_DIR=str(tmp_path),
        BACKFUTURE_API_KEY=key.api_key,
        BACKFUTURE_API_SECRET=key.secret,
        BACKFUTURE_API_PASSPHRASE=key.passphrase or "",
    )
    args = ["test", "--exchange", spec.exchange, "--api-base-url", sb.base_url(spec.exchange)]
    return subprocess.run(
        [sys.executable, "-m", "backfuture_core", *args, "--market", "spot", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_reports_a_healthy_key_with_exit_0(sb, spec, tmp_path):
    key = sc.fresh_key(sb, spec.spot)
    result = _cli(sb, spec, key, tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["status"], report["error_category"]) == ("online", None)
    assert [c["id"] for c in report["checks"]] == list(CHECK_IDS)
    assert key.secret not in result.stdout + result.stderr


def test_cli_reports_a_wrong_passphrase_with_exit_1(sb, spec, tmp_path):
    key = sc.fresh_key(sb, spec.spot)
    wrong = dataclasses.replace(key, passphrase="Not-The-Passphrase-9")
    result = _cli(sb, spec, wrong, tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["status"], report["error_category"]) == ("failed", "wrong_passphrase")
    assert {c["id"]: c["state"] for c in report["checks"]}["key_valid"] == "fail"


def test_keys_of_one_account_report_one_account_id(sb, spec):
    from backfuture_core.exchanges.registry import create_adapter

    async def account_id(key: DemoKey) -> str | None:
        conn = sc.connection_for(sb, key)
        async with create_adapter(conn, sc.credentials_for(key), timing=FakeTiming()) as adapter:
            return (await adapter.key_info()).account_id

    same = [sc.fresh_key(sb, spec.spot), sc.fresh_key(sb, spec.spot, ip_whitelist=())]
    other = sc.fresh_key(sb, spec.futures)
    ids = [asyncio.run(account_id(k)) for k in (*same, other)]
    assert ids[0]
    assert ids[0] == ids[1] != ids[2]
