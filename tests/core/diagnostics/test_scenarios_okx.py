"""OKX's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
every outcome of the connection test with its status, category and every check's state, the
request budget of a test, the CLI and the account id. The tests live in `matrix.py`.

OKX has no spot/futures split in its permissions; an account in Spot mode (acctLv 1) has no
futures account: futures_not_enabled."""

from __future__ import annotations

from tests.core.diagnostics.matrix import *  # noqa: F403 - the shared tests, collected here
from tests.core.diagnostics.matrix import FAILED, Case, F, passphrase_spec

SPEC = passphrase_spec(
    "okx",
    "OKX",
    withdraw=("read_only", "trade", "withdraw"),
    unknown_token=("read_only", "trade", "transfer"),
    read_only=("read_only",),
    futures_off=(
        "futures off (spot mode account)",
        Case(FAILED, "futures_not_enabled", {"futures": F}, market="both"),
    ),
    unknown_key="0d6e1f2a-ffff-4fff-8fff-ffffffffffff",
    time_path="/api/v5/public/time",
    key_path="/api/v5/account/config",
    spot_path="/api/v5/account/balance",
    futures_path="/api/v5/account/balance",
    market_downloads=frozenset({"/api/v5/public/instruments", "/api/v5/asset/currencies"}),
)
