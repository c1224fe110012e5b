"""OKX's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
every outcome of the connection test with its status, category and every check's state, the
request budget of a test, the CLI and the account id. The tests live in `case_matrix.py`."""

from __future__ import annotations

import pytest

from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.case_matrix import (  # noqa: F401 - collected here
    FAILED,
    WARNING,
    Case,
    F,
    Spec,
    U,
    standard_cases,
    test_a_test_sends_exactly_the_probes_and_downloads_no_market,
    test_cli_reports_a_healthy_key_with_exit_0,
    test_cli_reports_a_wrong_passphrase_with_exit_1,
    test_keys_of_one_account_report_one_account_id,
    test_scenario_matrix,
)

CASES = standard_cases(
    withdraw=("read_only", "trade", "withdraw"),
    unknown_token=("read_only", "trade", "transfer"),
    read_only=("read_only",),
    # The futures probe says futures_not_enabled (acctLv 1); the checklist reads it as not
    # confirmed until it learns that category (issue 12): then FAILED, futures F.
    futures_off=(
        "futures off (spot mode account)",
        Case(WARNING, None, {"futures": U}, market="both"),
    ),
    unknown_key="0d6e1f2a-ffff-4fff-8fff-ffffffffffff",
)


SPEC = Spec(
    exchange="okx",
    spot=sc.KEYS["OKX Spot Main"],
    futures=sc.KEYS["OKX Futures"],
    time_path="/api/v5/public/time",
    key_path="/api/v5/account/config",
    spot_path="/api/v5/account/balance",
    futures_path="/api/v5/account/balance",
    market_downloads=frozenset({"/api/v5/public/instruments", "/api/v5/asset/currencies"}),
    cases=CASES,
)


@pytest.fixture
def spec() -> Spec:
    return SPEC


@pytest.fixture(params=list(CASES))
def case_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
