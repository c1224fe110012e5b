"""OKX's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
every outcome of the connection test with its status, category and every check's state, the
request budget of a test, the CLI and the account id. The tests live in `matrix.py`.

OKX has no spot/futures split in its permissions; an account in Spot mode (acctLv 1) has no
futures account: futures_not_enabled."""

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
    withdraw=("read_only", "trade", "withdraw"),
    unknown_token=("read_only", "trade", "transfer"),
    read_only=("read_only",),
    futures_off=(
        "futures off (spot mode account)",
        Case(FAILED, "futures_not_enabled", {"futures": F}, market="both"),
    ),
    unknown_key="0d6e1f2a-ffff-4fff-8fff-ffffffffffff",
    restricted=Case(
        FAILED, "account_restricted", {**NOT_PROVEN, "read": F}, key={"account": "restricted"}
    ),
    passphrase=True,
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
    cli_failure="wrong passphrase",
)
