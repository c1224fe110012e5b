"""Bitget's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
every outcome of the connection test with its status, category and every check's state, the
request budget of a test, the CLI and the account id. The tests live in `matrix.py`."""

from __future__ import annotations

import pytest

from backfuture_core.models import Status
from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.matrix import (  # noqa: F401 - collected here
    UNREACHABLE,
    Case,
    Spec,
    test_a_test_sends_exactly_the_probes_and_downloads_no_market,
    test_cli_reports_a_healthy_key_with_exit_0,
    test_cli_reports_a_wrong_passphrase_with_exit_1,
    test_keys_of_one_account_report_one_account_id,
    test_scenario_matrix,
)

F, U, W = sc.FAIL, sc.UNKNOWN, sc.WARN
ONLINE, WARNING, UNSAFE, FAILED = Status.ONLINE, Status.WARNING, Status.UNSAFE, Status.FAILED
NOT_PROVEN = {"key_valid": U, "read": U, "trade": U, "withdrawal_disabled": U, "ip_restricted": U}

CASES = {
    "healthy": Case(ONLINE, None, {}),
    "no IP restriction": Case(WARNING, None, {"ip_restricted": W}, key={"ip_whitelist": ()}),
    "withdrawal enabled": Case(
        UNSAFE, None, {"withdrawal_disabled": F},
        key={"permissions": ("stor", "stow", "wwow")},
    ),
    "unknown permission": Case(
        WARNING, None, {"withdrawal_disabled": U},
        key={"permissions": ("stor", "stow", "wwor")},
    ),
    "read-only": Case(
        FAILED, "no_trading_permission", {"trade": F}, key={"permissions": ("stor",)}
    ),
    "futures on": Case(ONLINE, None, {}, futures=True, market="both"),
    "futures off (no futures authority)": Case(
        FAILED, "no_permission", {"futures": F}, market="both"
    ),
    "IP not allowed": Case(
        FAILED, "ip_not_allowed", {**NOT_PROVEN, "ip_restricted": F},
        key={"ip_whitelist": (sc.KEYS["MEXC Wrong IP"].ip_whitelist)},
    ),
    "unknown key": Case(
        FAILED, "invalid_key", {**NOT_PROVEN, "key_valid": F},
        creds={"api_key": "bg_ffffffffffffffffffffffffffffffff"},
    ),
    "wrong secret": Case(
        FAILED, "invalid_key", {**NOT_PROVEN, "key_valid": F},
        creds={"secret": "not-the-right-secret-000"},
    ),
    "wrong passphrase": Case(
        FAILED, "wrong_passphrase", {**NOT_PROVEN, "key_valid": F},
        creds={"passphrase": "Not-The-Passphrase-9"},
    ),
    "clock skew": Case(
        WARNING, None, {"clock": W}, fault=("clock_skew", {"ms": 60_000}), global_fault=True
    ),
    "rate limited once": Case(ONLINE, None, {}, fault=("rate_limit", {"count": 1})),
    "rate limited": Case(
        FAILED, "rate_limited", {**NOT_PROVEN, "key_valid": U}, fault=("rate_limit", {})
    ),
    "maintenance": Case(
        FAILED, "exchange_unavailable", {**NOT_PROVEN, "reachable": F, "clock": U},
        fault=("maintenance", {}), global_fault=True,
    ),
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

SPEC = Spec(
    exchange="bitget",
    spot=sc.KEYS["Bitget Spot Main"],
    futures=sc.KEYS["Bitget Futures"],
    time_path="/api/v2/public/time",
    key_path="/api/v2/spot/account/info",
    spot_path="/api/v2/spot/account/assets",
    futures_path="/api/v2/mix/account/accounts",
    market_downloads=frozenset(
        {"/api/v2/spot/public/symbols", "/api/v2/mix/market/contracts", "/api/v2/spot/public/coins"}
    ),
    cases=CASES,
)


@pytest.fixture
def spec() -> Spec:
    return SPEC


@pytest.fixture(params=list(CASES))
def case_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
