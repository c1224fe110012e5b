"""Bybit's scenario matrix: every outcome of a connection test against the sandbox's Bybit
dialect (real ccxt, real signing, loopback), through `run_async` and the command line.

Bybit says the most of any exchange: read-only or not, each permission, the IP list (`["*"]`
for none), the key's expiry and the account; one Unified wallet answers spot and futures."""

from __future__ import annotations

from collections import Counter

import pytest

from backfuture_core.models import Status
from tests.core.diagnostics import scenarios as sc
from tests.core.diagnostics.matrix import (
    Scenario,
    check_never_green,
    check_scenario,
    cli_report,
    run_cli,
)

MAIN = sc.KEYS["Bybit Unified Futures"]
SPOT_ONLY = ("Spot:SpotTrade", "Wallet:AccountTransfer")
TIME, KEY, WALLET = "/v5/market/time", "/v5/user/query-api", "/v5/account/wallet-balance"

# reachable, key_valid, read, trade, futures, withdrawal_disabled, ip_restricted, clock
MATRIX = [
    Scenario("healthy", Status.ONLINE, None, "PPPPSPPP"),
    Scenario("no IP restriction", Status.WARNING, None, "PPPPSPWP", changes={"ip_whitelist": ()}),
    Scenario(
        "withdrawal enabled", Status.UNSAFE, None, "PPPPSFPP",
        changes={"permissions": (*MAIN.permissions, "Wallet:Withdraw")},
    ),
    Scenario("read only", Status.FAILED, "no_trading_permission", "PPPFSPPP", changes={"permissions": ("ReadOnly",)}),
    Scenario("futures on", Status.ONLINE, None, "PPPPPPPP", "both"),
    Scenario("futures off", Status.FAILED, "no_permission", "PPPPFPPP", "both", {"permissions": SPOT_ONLY}),
    Scenario("IP not allowed", Status.FAILED, "ip_not_allowed", "PUUUSUFP", changes={"ip_whitelist": ("203.0.113.7",)}),
    Scenario("unknown key", Status.FAILED, "invalid_key", "PFUUSUUP", wrong={"api_key": "bybitNOSUCHKEY0001"}),
    Scenario("wrong secret", Status.FAILED, "invalid_key", "PFUUSUUP", wrong={"secret": "not-the-secret"}),
    Scenario("clock skew", Status.WARNING, None, "PPPPSPPW", fault=("clock_skew", {"ms": 20_000})),
    Scenario("rate limit", Status.ONLINE, None, "PPPPSPPP", fault=("rate_limit", {"retry_after": 0, "count": 1})),
    Scenario("maintenance", Status.FAILED, "exchange_unavailable", "PUUUSUUP", fault=("maintenance", {})),
]  # fmt: skip


@pytest.mark.parametrize("s", MATRIX, ids=[s.name for s in MATRIX])
def test_matrix(sb, s):
    check_scenario(sb, MAIN, s)


def test_an_unbound_key_shows_its_expiry(sb):
    key = sc.fresh_key(sb, MAIN, ip_whitelist=())
    report = sc.run_test(sb, key)
    assert "expire" in report.check("ip_restricted").detail


def test_account_under_review_is_not_a_key_problem(sb):
    key = sc.fresh_key(sb, MAIN, permissions=(*MAIN.permissions, "Compliance:Restricted"))
    report = sc.run_test(sb, key)
    assert report.status != Status.ONLINE
    assert sc.states(report)["key_valid"] == sc.PASS
    assert sc.states(report)["read"] != sc.PASS
    assert "Compliance" in report.check("read").detail


@pytest.mark.parametrize("fault", ["malformed_json", None], ids=["malformed", "unreachable"])
def test_malformed_or_unreachable_is_never_green(sb, fault):
    check_never_green(sb, MAIN, fault)


@pytest.mark.parametrize("market", ["spot", "futures", "both"])
def test_a_test_sends_exactly_the_probes_and_downloads_no_market(sb, market):
    key = sc.fresh_key(sb, MAIN)
    sc.run_test(sb, key, market)
    sent = sc.paths(sb, "bybit")
    assert sent == Counter({TIME: 1, KEY: 1, WALLET: 1})  # one Unified wallet for both
    assert "/v5/market/instruments-info" not in sent


def test_cli_healthy_and_failing(sb, tmp_path):
    url = sb.base_url("bybit")
    good = sc.fresh_key(sb, MAIN)
    result = run_cli("bybit", url, good, tmp_path)
    assert result.returncode == 0, result.stderr
    assert cli_report(result)["status"] == "online"
    bad = sc.fresh_key(sb, MAIN, ip_whitelist=("203.0.113.7",))
    result = run_cli("bybit", url, bad, tmp_path)
    assert result.returncode == 1
    assert cli_report(result)["error_category"] == "ip_not_allowed"
    assert good.secret not in result.stdout + result.stderr
