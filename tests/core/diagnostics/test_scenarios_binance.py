"""Binance's scenario matrix: every outcome of a connection test against the sandbox's Binance
dialect (real ccxt, real signing, loopback), through `run_async` and the command line (the
shared tests live in `matrix.py`).

Binance says whether an IP restriction exists but never lists the addresses, so the IP check of
a restricted key passes and says it cannot confirm this computer's address from the list; its
`-2015` covers an unknown key, a refused IP and a missing permission alike: when the
key-information call itself is refused, the checklist says Binance does not say which; when it
answered, a later -2015 is a missing permission."""

from __future__ import annotations

import dataclasses

from backfuture_core.errors import CATEGORIES
from backfuture_core.models import Status
from backfuture_core.sandbox.keys import DOCUMENTATION_IP
from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.matrix import *  # noqa: F403 - the shared tests, collected here
from tests.core.diagnostics.matrix import FAILED, NOT_PROVEN, Case, F, Spec, standard_cases

MAIN = sc.KEYS["Binance Spot Main"]
TRADE = ("enableReading", "enableSpotAndMarginTrading")
FUTURES = dataclasses.replace(
    MAIN, label="Binance Futures (test)", permissions=(*TRADE, "enableFutures"),
    market="both", account="futures",
)  # fmt: skip
REFUSED = {**NOT_PROVEN, "key_valid": F}  # -2015 on the key-information call itself

CASES = standard_cases(
    withdraw=(*TRADE, "enableWithdrawals"),
    unknown_token=None,  # apiRestrictions answers every flag as true or false
    read_only=("enableReading",),
    futures_off=(
        "futures off",
        Case(FAILED, "no_permission", {"futures": F}, market="both"),
    ),
    unknown_key="bnNOSUCHKEY0000000000",
    restricted=None,  # no code for a restricted account on the calls a test makes
    passphrase=False,
    overrides={
        # -2015: Binance does not say whether the key, the IP or a permission is refused.
        "IP not allowed": Case(
            FAILED, "invalid_key", REFUSED, key={"ip_whitelist": (DOCUMENTATION_IP,)}
        ),
    },
)

SPEC = Spec(
    exchange="binance",
    spot=MAIN,
    futures=FUTURES,
    time_path="/api/v3/time",
    key_path="/sapi/v1/account/apiRestrictions",
    spot_path="/api/v3/account",
    futures_path="/fapi/v3/account",
    market_downloads=frozenset({"/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo"}),
    cases=CASES,
    cli_failure="read-only",
    account_path="/api/v3/account",  # the account id comes with the spot account
)


def test_a_restricted_key_says_binance_does_not_list_the_addresses(sb):
    report = sc.run_test(sb, sc.fresh_key(sb, MAIN))
    assert sc.states(report)["ip_restricted"] == sc.PASS
    assert "does not list the addresses" in report.check("ip_restricted").detail


def test_unknown_key_says_binance_does_not_tell_key_ip_and_permission_apart(sb):
    key = sc.fresh_key(sb, MAIN)
    report = sc.run_test(sb, key, creds=sc.credentials_for(key, api_key="bnNOSUCHKEY0000000000"))
    assert report.status == Status.FAILED
    assert report.error_category == "invalid_key"
    assert sc.states(report)["key_valid"] == sc.FAIL
    detail = report.check("key_valid").detail
    assert "-2015" in detail
    assert "IP" in detail
    assert "does not say which" in detail


def test_futures_refusal_after_a_readable_key_is_a_missing_permission(sb):
    """The futures account answers -2015, but the key-information call from this computer
    was answered: the key and the IP are accepted, so it is a permission, not the key."""
    report = sc.run_test(sb, sc.fresh_key(sb, MAIN), "futures")
    assert report.status == Status.FAILED
    assert report.error_category == "no_permission"
    states = sc.states(report)
    assert (states["key_valid"], states["read"], states["futures"]) == (sc.PASS, sc.PASS, sc.FAIL)
    assert report.check("futures").remedy
    assert CATEGORIES["invalid_key"].remedy not in {c.remedy for c in report.checks}
