"""Bitget's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
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
    withdraw=("stor", "stow", "wwow"),
    unknown_token=("stor", "stow", "wwor"),
    read_only=("stor",),
    futures_off=(
        "futures off (no futures authority)",
        Case(FAILED, "no_permission", {"futures": F}, market="both"),
    ),
    unknown_key="bg_ffffffffffffffffffffffffffffffff",
)


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
