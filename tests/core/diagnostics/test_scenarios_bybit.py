"""Bybit's scenario matrix: every outcome of a connection test against the sandbox's Bybit
dialect (real ccxt, real signing, loopback), through `run_async` and the command line (the
shared tests live in `matrix.py`).

Bybit says the most of any exchange: read-only or not, each permission, the IP list (`["*"]`
for none), the key's expiry (only keys without an IP binding expire) and the account; one
Unified wallet answers spot and futures."""

from __future__ import annotations

import dataclasses

from backfuture_core.models import Status
from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.matrix import *  # noqa: F403 - the shared tests, collected here
from tests.core.diagnostics.matrix import FAILED, Case, F, Spec, standard_cases

MAIN = sc.KEYS["Bybit Unified Futures"]
OTHER = dataclasses.replace(MAIN, label="Bybit Unified Main (test)", account="main")
SPOT_ONLY = ("Spot:SpotTrade", "Wallet:AccountTransfer")
WALLET = "/v5/account/wallet-balance"

CASES = standard_cases(
    withdraw=(*MAIN.permissions, "Wallet:Withdraw"),
    unknown_token=(*MAIN.permissions, "Wallet:SomethingNew"),
    read_only=("ReadOnly",),
    futures_off=(
        "futures off",
        Case(FAILED, "no_permission", {"futures": F}, key={"permissions": SPOT_ONLY}, market="both"),
    ),
    unknown_key="bybitNOSUCHKEY0001",
    # 10024 "Compliance rules triggered": the account, not the key (the sandbox's marker).
    restricted=Case(
        FAILED, "account_restricted", {"read": F},
        key={"permissions": (*MAIN.permissions, "Compliance:Restricted")},
    ),
    passphrase=False,
)  # fmt: skip

SPEC = Spec(
    exchange="bybit",
    spot=MAIN,
    futures=OTHER,
    time_path="/v5/market/time",
    key_path="/v5/user/query-api",
    spot_path=WALLET,  # one Unified wallet for both
    futures_path=WALLET,
    market_downloads=frozenset({"/v5/market/instruments-info"}),
    cases=CASES,
    cli_failure="IP not allowed",
)


def test_an_unbound_key_shows_its_expiry(sb):
    key = sc.fresh_key(sb, MAIN, ip_whitelist=())
    report = sc.run_test(sb, key)
    assert "expire" in report.check("ip_restricted").detail


def test_a_key_bound_to_an_ip_does_not_expire(sb):
    """Bybit answers deadlineDay 0 for keys bound to IPs: they never expire (apikey-info)."""
    report = sc.run_test(sb, sc.fresh_key(sb, MAIN))
    assert sc.states(report)["key_valid"] == sc.PASS
    assert "expire" not in report.check("key_valid").detail


def test_account_under_review_is_not_a_key_problem(sb):
    key = sc.fresh_key(sb, MAIN, permissions=(*MAIN.permissions, "Compliance:Restricted"))
    report = sc.run_test(sb, key)
    assert report.status != Status.ONLINE
    assert sc.states(report)["key_valid"] == sc.PASS
    assert sc.states(report)["read"] != sc.PASS
    assert "Compliance" in report.check("read").detail
