"""The scenario matrix of one exchange as data, and the tests that run it.

A test module builds its exchange's `Spec` (most cases from `standard_cases`) as ``SPEC`` and
star-imports the tests, the ``spec`` fixture and ``pytest_generate_tests`` from here (pytest
collects them there), so every exchange runs the same scenarios through the same path as the app: each
asserts the status, the error category and every check's state, through `run_async` against the
sandbox and through the command line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from backfuture_core.diagnostics.run import run_async
from backfuture_core.models import CHECK_IDS, CheckState, ConnectionReport, Credentials, Status
from backfuture_core.sandbox import DemoKey, Sandbox
from backfuture_core.sandbox.keys import DOCUMENTATION_IP
from tests.core.diagnostics import scenarios as sc
from tests.core.fake_timing import FakeTiming

# What a test module takes with `from tests.core.diagnostics.matrix import *`: the shared
# tests, the `spec` fixture and the hook that makes one test per case.
__all__ = [
    "pytest_generate_tests",
    "spec",
    "test_a_test_sends_exactly_the_probes_and_downloads_no_market",
    "test_cli_reports_the_outcome_with_its_exit_code",
    "test_keys_of_one_account_report_one_account_id",
    "test_scenario_matrix",
]
ROOT = Path(__file__).resolve().parents[3]
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
    futures: DemoKey  # healthy spot-and-futures key, on another account than `spot`
    time_path: str
    key_path: str
    spot_path: str
    futures_path: str
    market_downloads: frozenset[str]
    cases: dict[str, Case]
    cli_failure: str  # the case the command line runs to show a failure (exit 1)
    account_path: str | None = None  # a probe every test sends (the account id), if any


F, U, W = sc.FAIL, sc.UNKNOWN, sc.WARN
ONLINE, WARNING, UNSAFE, FAILED = Status.ONLINE, Status.WARNING, Status.UNSAFE, Status.FAILED
NOT_PROVEN = {"key_valid": U, "read": U, "trade": U, "withdrawal_disabled": U, "ip_restricted": U}
NOT_ANSWERED = {**NOT_PROVEN, "reachable": F, "clock": U}  # no answer from the exchange's API
# A key of an account the sandbox marks restricted, refused before anything is proven
# (Bitget's and OKX's own account-state codes).
RESTRICTED_ACCOUNT = Case(
    FAILED, "account_restricted", {**NOT_PROVEN, "read": F}, key={"account": "restricted"}
)


def passphrase_spec(
    exchange: str,
    name: str,
    *,
    time_path: str,
    key_path: str,
    spot_path: str,
    futures_path: str,
    market_downloads: frozenset[str],
    **cases: Any,
) -> Spec:
    """The matrix of an exchange whose keys have a Passphrase (Bitget, OKX): its demo keys
    "`name` Spot Main" and "`name` Futures", the sandbox's restricted account, a wrong
    passphrase as the command line's failure, and `cases` as :func:`standard_cases` takes."""
    return Spec(
        exchange=exchange,
        spot=sc.KEYS[f"{name} Spot Main"],
        futures=sc.KEYS[f"{name} Futures"],
        time_path=time_path,
        key_path=key_path,
        spot_path=spot_path,
        futures_path=futures_path,
        market_downloads=market_downloads,
        cases=standard_cases(restricted=RESTRICTED_ACCOUNT, passphrase=True, **cases),
        cli_failure="wrong passphrase",
    )


def standard_cases(
    *,
    withdraw: tuple[str, ...],
    unknown_token: tuple[str, ...] | None,
    read_only: tuple[str, ...],
    futures_off: tuple[str, Case],
    unknown_key: str,
    restricted: Case | None,
    passphrase: bool,
    overrides: dict[str, Case] | None = None,
) -> dict[str, Case]:
    """The matrix every exchange answers, from its permission tokens (a key that withdraws,
    one with a token the adapter does not know, a read-only one), its way of refusing futures,
    an API key of its shape that it does not know and its account restriction (None where the
    exchange has no such token or code); `overrides` replaces a case where the exchange
    answers otherwise (Binance's -2015)."""
    cases = {
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
            FAILED, "exchange_unavailable", NOT_ANSWERED,
            fault=("maintenance", {}), global_fault=True,
        ),
        # Something answered, but not the exchange's API (issue 12): wrong_address.
        "malformed answer": Case(
            FAILED, "wrong_address", NOT_ANSWERED, fault=("malformed_json", {}), global_fault=True
        ),
        # Never reached: every check that needs an answer says "not checked".
        "unreachable": Case(FAILED, "network_unreachable", NOT_ANSWERED, base_url=UNREACHABLE),
    }  # fmt: skip
    if restricted is not None:
        cases["account restricted"] = restricted
    if unknown_token is None:
        del cases["unknown permission"]
    if not passphrase:
        del cases["wrong passphrase"]
    return {**cases, **(overrides or {})}


def expected(case: Case) -> dict[str, CheckState]:
    base = dict.fromkeys(CHECK_IDS, sc.PASS)
    if case.market == "spot":
        base["futures"] = sc.SKIPPED
    return {**base, **case.states}


def prepare(sb: Sandbox, spec: Spec, case: Case) -> tuple[DemoKey, Credentials]:
    """The case's key registered with the sandbox (faults set), and the credentials to send."""
    template = spec.futures if case.futures else spec.spot
    key = sc.fresh_key(sb, template, market=case.market, **case.key)
    if case.fault is not None:
        kind, params = case.fault
        sb.set_fault(kind, key=None if case.global_fault else key.api_key, **params)
    return key, sc.credentials_for(key, **case.creds)


def run_case(sb: Sandbox, spec: Spec, case: Case) -> ConnectionReport:
    key, creds = prepare(sb, spec, case)
    conn = sc.connection_for(sb, key, case.market)
    if case.base_url:
        conn = dataclasses.replace(conn, api_base_url=case.base_url)
    return asyncio.run(run_async(conn, creds, timing=FakeTiming()))


def outcome(status: str, category: str | None, states: dict[str, str]) -> str:
    return f"{status} {category} " + " ".join(f"{i}={states[i]}" for i in CHECK_IDS)


def assert_outcome(case: Case, status: str, category: str | None, states: dict[str, str]) -> None:
    want = {i: s.value for i, s in expected(case).items()}
    got = outcome(status, category, states)
    assert got == outcome(case.status.value, case.category, want), got


@pytest.fixture
def spec(request: pytest.FixtureRequest) -> Spec:
    """The exchange's matrix: the ``SPEC`` of the test module."""
    value: Spec = request.module.SPEC
    return value


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per case of the module's matrix."""
    if "case_name" in metafunc.fixturenames and "exit_code" not in metafunc.fixturenames:
        metafunc.parametrize("case_name", list(metafunc.module.SPEC.cases))


def test_scenario_matrix(sb, spec, case_name):
    report = run_case(sb, spec, spec.cases[case_name])
    states = {c.id: c.state.value for c in report.checks}
    status = report.status.value
    assert_outcome(spec.cases[case_name], status, report.error_category, states)


@pytest.mark.parametrize("market", ["spot", "futures", "both"])
def test_a_test_sends_exactly_the_probes_and_downloads_no_market(sb, spec, market):
    probes = {
        "spot": {spec.spot_path},
        "futures": {spec.futures_path},
        "both": {spec.spot_path, spec.futures_path},
    }[market]
    key = sc.fresh_key(sb, spec.futures, market=market)
    report = sc.run_test(sb, key)
    assert report.status == Status.ONLINE
    sent = sc.paths(sb, spec.exchange)
    account = {spec.account_path} if spec.account_path else set()
    assert sent == Counter({spec.time_path, spec.key_path, *probes, *account})  # each once
    assert not spec.market_downloads & set(sent)


def run_cli(sb: Sandbox, spec: Spec, key: DemoKey, creds: Credentials, tmp: Path, market: str):
    """`python -m backfuture_core test --exchange ... --json` in a real process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKFUTURE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        BACKFUTURE_DATA_DIR=str(tmp / "data"),
        BACKFUTURE_KEY_DIR=str(tmp / "keys"),
        BACKFUTURE_API_KEY=creds.api_key.reveal(),
        BACKFUTURE_API_SECRET=creds.secret.reveal(),
        BACKFUTURE_API_PASSPHRASE=creds.passphrase.reveal() if creds.passphrase else "",
    )
    url = sb.base_url(spec.exchange)
    argv = ["test", "--exchange", spec.exchange, "--api-base-url", url, "--market", market]
    result = subprocess.run(
        [sys.executable, "-m", "backfuture_core", *argv, "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert key.secret not in result.stdout + result.stderr
    return result


@pytest.mark.parametrize(("case_name", "exit_code"), [("healthy", 0), (None, 1)])
def test_cli_reports_the_outcome_with_its_exit_code(sb, spec, tmp_path, case_name, exit_code):
    """A healthy key exits 0, the exchange's failing case (`Spec.cli_failure`) exits 1."""
    case = spec.cases[case_name or spec.cli_failure]
    key, creds = prepare(sb, spec, case)
    result = run_cli(sb, spec, key, creds, tmp_path, case.market)
    assert result.returncode == exit_code, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    states = {c["id"]: c["state"] for c in report["checks"]}
    assert [c["id"] for c in report["checks"]] == list(CHECK_IDS)
    assert_outcome(case, report["status"], report["error_category"], states)


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
