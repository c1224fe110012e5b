"""Issue 12, "Tell the truth": what the connection test says about a key is what the exchange
says, and where it cannot know, it says so. Each scenario runs the real test (`run_async`,
real ccxt, real HTTP on loopback) against the sandbox or a tiny server of the test's own; each
mapping test names its source (reference/exchanges.md section 4 row and the exchange's doc)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backfuture_core.diagnostics.checks import NOT_REACHED
from backfuture_core.errors import CATEGORIES
from backfuture_core.models import Status
from tests.core.diagnostics import scenarios as sc

MEXC_FUTURES = sc.KEYS["MEXC Futures"]


class _Answers(BaseHTTPRequestHandler):
    """Answers every request with the server's fixed status and body."""

    def do_GET(self) -> None:
        status, body, kind = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator:
    """Start a loopback server answering (status, body, content type) to everything."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int, body: str, kind: str = "application/json") -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
        server.answer = (status, body, kind)  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def run_at(sb, key, base_url: str, market: str = "spot"):
    """The test of `key` with its connection pointed at `base_url`."""
    import asyncio
    import dataclasses

    from backfuture_core.diagnostics.run import run_async
    from tests.core.fake_timing import FakeTiming

    conn = dataclasses.replace(sc.connection_for(sb, key, market), api_base_url=base_url)
    return asyncio.run(run_async(conn, sc.credentials_for(key), timing=FakeTiming()))


# --- 1. unreachable is not "wait", a wrong address is not the exchange -----------------------


@sc.EXCHANGES
def test_a_base_url_that_answers_404_is_wrong_address(sb, exchange):
    key = sc.fresh_key(sb, sc.template(exchange), market="spot")
    report = run_at(sb, key, f"{sb.url}/no-such-prefix")  # the sandbox answers 404 there
    assert report.status == Status.FAILED
    assert report.error_category == "wrong_address"
    reachable = report.check("reachable")
    assert sc.states(report)["reachable"] == sc.FAIL
    assert reachable.detail.startswith(f"127.0.0.1:{sb.port} answered HTTP 404")
    assert f"{exchange} GET" not in reachable.detail.lower()  # a sentence, not ccxt's text
    assert reachable.remedy == CATEGORIES["wrong_address"].remedy
    assert sc.PASS not in set(sc.states(report).values())


@sc.EXCHANGES
def test_a_web_page_is_wrong_address(sb, answering, exchange):
    key = sc.fresh_key(sb, sc.template(exchange), market="spot")
    page = answering(200, "<html><body>Welcome to nginx!</body></html>", "text/html")
    report = run_at(sb, key, page)
    assert report.status == Status.FAILED
    assert report.error_category == "wrong_address"
    assert sc.PASS not in set(sc.states(report).values())


# --- 2. answers are validated --------------------------------------------------------------


@sc.EXCHANGES
def test_a_server_answering_code_0_to_everything_never_passes(sb, answering, exchange):
    """Before: MEXC "API Key valid: passed" for {"code":0}; key_info accepted any object."""
    key = sc.fresh_key(sb, sc.template(exchange), market="both")
    report = run_at(sb, key, answering(200, json.dumps({"code": 0})), market="both")
    assert report.status == Status.FAILED
    assert report.error_category == "wrong_address"
    assert sc.PASS not in set(sc.states(report).values())
    assert sc.states(report)["key_valid"] != sc.PASS


@sc.EXCHANGES
def test_a_server_error_page_is_exchange_unavailable(sb, answering, exchange):
    key = sc.fresh_key(sb, sc.template(exchange), market="spot")
    report = run_at(sb, key, answering(502, "<html>Bad Gateway</html>", "text/html"))
    assert report.error_category == "exchange_unavailable"
    assert "answered HTTP 502" in report.check("reachable").detail


# --- 3. withdrawal is never green by omission ----------------------------------------------


def test_mexc_any_withdraw_token_that_is_not_read_enables_withdrawal(sb):
    """M3 (MEXC spot v3 permission list): only SPOT_WITHDRAW_WRITE is documented."""
    key = sc.fresh_key(sb, sc.MEXC_SPOT, permissions=(*sc.MEXC_SPOT.permissions, "WITHDRAW_NEW"))
    report = sc.run_test(sb, key)
    assert report.status == Status.UNSAFE
    assert sc.states(report)["withdrawal_disabled"] == sc.FAIL


def test_mexc_withdraw_read_alone_keeps_withdrawal_disabled(sb):
    key = sc.fresh_key(
        sb, sc.MEXC_SPOT, permissions=(*sc.MEXC_SPOT.permissions, "SPOT_WITHDRAW_READ")
    )
    report = sc.run_test(sb, key)
    assert report.status == Status.ONLINE
    assert sc.states(report)["withdrawal_disabled"] == sc.PASS


@pytest.mark.parametrize(("exchange", "token"), [("mexc", "SPOT_MAGIC_WRITE"), ("kucoin", "Pay")])
def test_a_permission_the_adapter_does_not_know_makes_withdrawal_unknown(sb, exchange, token):
    base = sc.template(exchange)
    key = sc.fresh_key(sb, base, market="spot", permissions=(*base.permissions, token))
    report = sc.run_test(sb, key)
    assert sc.states(report)["withdrawal_disabled"] == sc.UNKNOWN
    assert report.status == Status.WARNING
    assert report.check("withdrawal_disabled").remedy


# --- 4. codes and permissions as documented ------------------------------------------------


def test_m9_mexc_http_403_access_denied_is_not_a_missing_permission(sb):
    """M9 (www.mexc.com/api-docs/spot-v3/error-code): 403 "Access Denied" is request frequency
    or access rules; ccxt raises PermissionDenied."""
    key = sc.fresh_key(sb, sc.MEXC_SPOT)
    sb.set_fault("account", key=key.api_key, state="access_denied")
    report = sc.run_test(sb, key)
    assert report.error_category == "exchange_unavailable"
    assert report.status == Status.FAILED
    assert "no_permission" not in {report.error_category}
    assert sc.states(report)["read"] == sc.UNKNOWN


@pytest.mark.parametrize("market", ["futures", "both"])
def test_m11_mexc_contract_1000_is_futures_not_enabled(sb, market):
    """M11 (MEXC contract v1 error codes): 1000 "Account does not exist" means the futures
    account was never opened, not an invalid key."""
    key = sc.fresh_key(sb, MEXC_FUTURES)
    sb.set_fault("account", key=key.api_key, state="futures_not_opened")
    report = sc.run_test(sb, key, market=market)
    assert report.status == Status.FAILED
    assert report.error_category == "futures_not_enabled"
    assert sc.states(report)["futures"] == sc.FAIL
    assert report.check("futures").remedy == CATEGORIES["futures_not_enabled"].remedy
    assert sc.states(report)["key_valid"] == sc.PASS
    assert sc.states(report)["read"] == sc.PASS


@pytest.mark.parametrize(
    ("state", "market", "check"),
    [
        ("abnormal", "spot", "read"),  # spot 60005 "your account is abnormal"
        ("unusual_status", "spot", "read"),  # spot 730100 "Unusual user status"
        ("trading_forbidden", "futures", "futures"),  # contract 6001 "trading forbidden"
    ],
)
def test_m13_mexc_account_states_are_account_restricted(sb, state, market, check):
    """M13 (MEXC spot v3 / contract error codes): 60005, 6001 and 730100 are about the
    account; before they ended as `unknown`."""
    key = sc.fresh_key(sb, MEXC_FUTURES)
    sb.set_fault("account", key=key.api_key, state=state)
    report = sc.run_test(sb, key, market=market)
    assert report.status == Status.FAILED
    assert report.error_category == "account_restricted"
    assert sc.states(report)[check] == sc.FAIL
    assert report.check(check).remedy == CATEGORIES["account_restricted"].remedy


@pytest.mark.parametrize(
    "state", ["kyc_required", "region_restricted", "compliance_restricted", "region_unsupported"]
)
def test_k8_kucoin_kyc_and_region_codes_are_account_restricted(sb, state):
    """K8 (KuCoin error-code docs): 400303 is KYC required (before: no_permission with "enable
    the permission"); 400301, 400302 and 400500 are region restrictions (before: unknown)."""
    key = sc.fresh_key(sb, sc.KUCOIN_FULL, market="spot")
    sb.set_fault("account", key=key.api_key, state=state)
    report = sc.run_test(sb, key)
    assert report.status == Status.FAILED
    assert report.error_category == "account_restricted"
    remedies = {c.remedy for c in report.checks}
    assert CATEGORIES["no_permission"].remedy not in remedies
    assert CATEGORIES["account_restricted"].remedy in remedies
    assert sc.states(report)["read"] == sc.FAIL


def test_k5_general_only_kucoin_key_on_futures_fails_futures_not_read(sb):
    """K5 (KuCoin openapi-futures-account.json): account-overview needs the Futures
    permission; before, the test failed "read"."""
    key = sc.fresh_key(sb, sc.KUCOIN_FULL, permissions=("General",))
    report = sc.run_test(sb, key, market="futures")
    assert report.status == Status.FAILED
    assert sc.states(report)["read"] == sc.PASS
    assert sc.states(report)["futures"] == sc.FAIL
    assert report.error_category == "no_permission"


def test_k3_kucoin_masked_whitelist_is_explained(sb):
    """K3 (KuCoin openapi-account-account.json): the whitelist comes masked ("127.**.1")."""
    report = sc.run_test(sb, sc.fresh_key(sb, sc.KUCOIN_FULL, market="spot"))
    check = report.check("ip_restricted")
    assert check.state == sc.PASS
    assert "127.**.1" in check.detail
    assert "cannot confirm" in check.detail


def test_k7_kucoin_unified_account_is_reported_plainly(sb):
    """K7 (KuCoin support article 48142946141359): a Unified Trading Account's funds may not
    show in the classic balance calls; the adapter used to turn the mode check off."""
    key = sc.fresh_key(sb, sc.KUCOIN_FULL, market="spot")
    sb.set_fault("account", key=key.api_key, state="unified")
    report = sc.run_test(sb, key)
    assert report.status == Status.WARNING
    assert sc.states(report)["read"] == sc.WARN
    assert "this account is in unified mode: balances may be incomplete" in (
        report.check("read").detail.lower()
    )
    assert report.extra["account_mode"] == "UNIFIED"
    assert sc.paths(sb, "kucoin", key.api_key)[sc.ACCOUNT_PATH["kucoin"]] == 1


def test_kucoin_classic_account_is_not_mentioned(sb):
    report = sc.run_test(sb, sc.fresh_key(sb, sc.KUCOIN_FULL, market="spot"))
    assert report.status == Status.ONLINE
    assert report.extra["account_mode"] == "CLASSIC"
    assert "Unified" not in report.check("read").detail


# --- 5. the account id, read in the same round trip ----------------------------------------


@sc.EXCHANGES
def test_keys_of_one_account_report_the_same_account_id(sb, exchange):
    """M14 (MEXC GET /api/v3/uid) and K1 (KuCoin api-key `uid`)."""
    first = sc.fresh_key(sb, sc.template(exchange), market="spot", account="main")
    second = sc.fresh_key(sb, sc.template(exchange), market="spot", account="main")
    other = sc.fresh_key(sb, sc.template(exchange), market="spot", account="empty")
    ids = [sc.run_test(sb, k).account_id for k in (first, second, other)]
    assert ids[0] is not None
    assert ids[0] == ids[1]
    assert ids[2] not in (None, ids[0])


# --- 6. key age and expiry -----------------------------------------------------------------


@sc.EXCHANGES
def test_the_checklist_shows_the_key_age(sb, exchange):
    report = sc.run_test(sb, sc.fresh_key(sb, sc.template(exchange), market="spot"))
    detail = report.check("key_valid").detail
    assert "The key was created" in detail
    assert "days ago" in detail
    assert "Delete old keys" in detail
    assert report.extra["key_created_at_ms"] > 0


def test_a_mexc_key_without_ip_list_shows_its_expiry(sb):
    """M4 (MEXC API FAQ Q1): a key with no linked IP expires after 90 days."""
    key = sc.fresh_key(sb, sc.MEXC_SPOT, ip_whitelist=())
    report = sc.run_test(sb, key)
    assert "expires in 76 days" in report.check("key_valid").detail
    assert sc.states(report)["key_valid"] == sc.PASS
    assert report.extra["key_expires_in_days"] == 76


def test_checks_that_never_reached_the_exchange_say_so(sb):
    key = sc.fresh_key(sb, sc.MEXC_SPOT)
    report = run_at(sb, key, "http://127.0.0.1:9")
    assert report.error_category == "network_unreachable"
    assert report.check("trade").detail == NOT_REACHED
    assert report.check("clock").detail == NOT_REACHED
