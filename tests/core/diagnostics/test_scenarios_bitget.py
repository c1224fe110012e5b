"""Bitget's scenario matrix against the sandbox (real ccxt, real signing, real HTTP on loopback):
every outcome of the connection test with its status, category and every check's state, the
request budget of a test, the CLI and the account id. The tests live in `matrix.py`."""

from __future__ import annotations

from tests.core.diagnostics.matrix import *  # noqa: F403 - the shared tests, collected here
from tests.core.diagnostics.matrix import FAILED, Case, F, passphrase_spec

SPEC = passphrase_spec(
    "bitget",
    "Bitget",
    withdraw=("stor", "stow", "wwow"),
    unknown_token=("stor", "stow", "wwor"),
    read_only=("stor",),
    futures_off=(
        "futures off (no futures authority)",
        Case(FAILED, "no_permission", {"futures": F}, market="both"),
    ),
    unknown_key="bg_ffffffffffffffffffffffffffffffff",
    time_path="/api/v2/public/time",
    key_path="/api/v2/spot/account/info",
    spot_path="/api/v2/spot/account/assets",
    futures_path="/api/v2/mix/account/accounts",
    market_downloads=frozenset(
        {"/api/v2/spot/public/symbols", "/api/v2/mix/market/contracts", "/api/v2/spot/public/coins"}
    ),
)
