"""Bitget's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
every outcome of the connection test with its status, category and every check's state, the
request budget of a test, the CLI and the account id. The tests live in `matrix.py`."""

from __future__ import annotations

from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.matrix import (  # noqa: F401 - collected here
    FAILED,
    NOT_PROVEN,
    Case,
    F,
    Spec,
    pytest_generate_tests,
    spec,
    standard_cases,
    test_a_test_sends_exactly_the_probes_and_downloads_no_market,
    test_cli_reports_the_outcome_with_its_exit_code,
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
    restricted=Case(
        FAILED, "account_restricted", {**NOT_PROVEN, "read": F}, key={"account": "restricted"}
    ),
    passphrase=True,
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
    cli_failure="wrong passphrase",
)
