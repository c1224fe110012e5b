"""The one error classifier: each exchange's own codes first, then the ccxt class; the text
it keeps is sanitised (no signed query strings, no HTML)."""

from __future__ import annotations

import json

import ccxt
import pytest

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.exchanges.classify import sanitize
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.models import Connection, Credentials, Market, Secret


def _adapter(exchange: str) -> ExchangeAdapter:
    conn = Connection(1, "Offline", exchange, Market.SPOT, "…abcd")
    return create_adapter(conn, Credentials(Secret("k" * 16), Secret("s" * 16), Secret("p")))


MEXC_CODES = [
    (ccxt.BadRequest, '{"code":10072,"msg":"Api key info invalid"}', "invalid_key"),
    (ccxt.BadRequest, '{"code":400,"msg":"api key required"}', "invalid_key"),
    (ccxt.AuthenticationError, '{"code":700001,"msg":"Signature invalid"}', "invalid_key"),
    (
        ccxt.AuthenticationError,
        '{"code":700002,"msg":"Signature for this request is not valid."}',
        "invalid_key",
    ),
    (
        ccxt.InvalidNonce,
        '{"code":700003,"msg":"Timestamp for this request is outside of the recvWindow."}',
        "clock_skew",
    ),
    (
        ccxt.BadRequest,
        '{"code":700006,"msg":"IP [168.181.160.97] not in the ip white list"}',
        "ip_not_allowed",
    ),
    (
        ccxt.AuthenticationError,
        '{"code":700007,"msg":"No permission to access the endpoint."}',
        "no_permission",
    ),
    (
        ccxt.PermissionDenied,
        '{"code":70011,"msg":"Pair user ban trade apikey."}',
        "no_trading_permission",
    ),
    (ccxt.AuthenticationError, '{"code":140002,"msg":"sub-account forbidden"}', "account_frozen"),
    # M10 (MEXC spot v3 error codes): "market order is disabled", not a frozen account
    (ccxt.AccountSuspended, '{"code":30018,"msg":"account abnormal"}', "account_restricted"),
    (ccxt.RateLimitExceeded, '{"code":429,"msg":"Too Many Requests"}', "rate_limited"),
    (
        ccxt.OnMaintenance,
        '{"code":500,"message":"Under maintenance, please try again later"}',
        "exchange_unavailable",
    ),
    # contract v1
    (
        ccxt.PermissionDenied,
        '{"success":false,"code":406,"message":"Accessing IP is not in the whitelist!"}',
        "ip_not_allowed",
    ),
    (
        ccxt.AuthenticationError,
        '{"success":false,"code":602,"message":"Signature verification failed!"}',
        "invalid_key",
    ),
    (
        ccxt.AuthenticationError,
        '{"success":false,"code":402,"message":"API key expired"}',
        "invalid_key",
    ),
    (
        ccxt.PermissionDenied,
        '{"success":false,"code":701,"message":"Please enable API Key read access"}',
        "no_permission",
    ),
    (
        ccxt.BadRequest,
        '{"success":false,"code":513,"message":"Invalid request"}',
        "clock_skew",
    ),
    (
        ccxt.BadRequest,
        '{"success":false,"code":10073,"message":"invalid Request-Time"}',
        "clock_skew",
    ),
    (
        ccxt.RateLimitExceeded,
        '{"success":false,"code":510,"message":"Requests are too frequent"}',
        "rate_limited",
    ),
]
KUCOIN_CODES = [
    (ccxt.AuthenticationError, "400001", "KC-API-KEY is missing", "invalid_key"),
    (ccxt.InvalidNonce, "400002", "Invalid KC-API-TIMESTAMP.", "clock_skew"),
    (ccxt.AuthenticationError, "400003", "KC-API-KEY does not exist.", "invalid_key"),
    (ccxt.AuthenticationError, "400004", "Invalid KC-API-PASSPHRASE.", "wrong_passphrase"),
    (ccxt.AuthenticationError, "400005", "Invalid KC-API-SIGN.", "invalid_key"),
    (
        ccxt.AuthenticationError,
        "400006",
        "Invalid request IP, the current client IP is: 203.0.113.7.",
        "ip_not_allowed",
    ),
    (
        ccxt.AuthenticationError,
        "400007",
        "Access denied, requires more permission.",
        "no_permission",
    ),
    (ccxt.NotSupported, "400008", "V1 & V2 API keys are no longer supported", "invalid_key"),
    (ccxt.ExchangeError, "400010", "UID access denied, requires more permission.", "no_permission"),
    (ccxt.AccountSuspended, "411100", "User are frozen", "account_frozen"),
    (ccxt.RateLimitExceeded, "429000", "Too many requests", "rate_limited"),
    (ccxt.ExchangeNotAvailable, "500000", "Internal Server Error", "exchange_unavailable"),
]


@pytest.mark.parametrize(("cls", "body", "category"), MEXC_CODES)
def test_classify_mexc_codes(cls, body, category):
    error = _adapter("mexc").classify(cls(f"mexc {body}"))
    assert error.category.id == category
    assert error.code == str(json.loads(body)["code"])
    assert error.exchange == "MEXC"
    if category == "ip_not_allowed" and "168." in body:
        assert error.reported_ip == "168.181.160.97"


@pytest.mark.parametrize(("cls", "code", "msg", "category"), KUCOIN_CODES)
def test_classify_kucoin_codes(cls, code, msg, category):
    body = json.dumps({"code": code, "msg": msg}, separators=(",", ":"))
    error = _adapter("kucoin").classify(cls(f"kucoin {body}"))
    assert error.category.id == category
    assert error.code == code
    assert error.detail == msg
    if code == "400006":
        assert error.reported_ip == "203.0.113.7"


CLASS_FALLBACKS = [
    (ccxt.InvalidNonce, "clock_skew"),
    (ccxt.RateLimitExceeded, "rate_limited"),
    (ccxt.DDoSProtection, "rate_limited"),
    (ccxt.OnMaintenance, "exchange_unavailable"),
    (ccxt.ExchangeNotAvailable, "exchange_unavailable"),
    (ccxt.RequestTimeout, "exchange_unavailable"),
    (ccxt.NetworkError, "exchange_unavailable"),
    (ccxt.OperationFailed, "exchange_unavailable"),
    (ccxt.AccountSuspended, "account_frozen"),
    (ccxt.PermissionDenied, "no_permission"),
    (ccxt.AuthenticationError, "invalid_key"),
    (ccxt.BadRequest, "unknown"),
    (ccxt.BadSymbol, "unknown"),
    (ccxt.ExchangeError, "unknown"),
]


@pytest.mark.parametrize("exchange", ["mexc", "kucoin"])
@pytest.mark.parametrize(("cls", "category"), CLASS_FALLBACKS)
def test_classify_falls_back_on_the_ccxt_class(exchange, cls, category):
    message = f"{exchange} GET https://api.example.com/api/v3/account 503 Service Unavailable"
    assert _adapter(exchange).classify(cls(message)).category.id == category


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        (TimeoutError("timed out"), "exchange_unavailable"),
        (ConnectionResetError("reset"), "exchange_unavailable"),
        # an unknown code falls through to the class: BadSymbol is the caller's mistake
        (ccxt.BadSymbol('kucoin {"code":"400100","msg":"Unsupported trading pair."}'), "unknown"),
        # codes are per exchange: a MEXC code means nothing to KuCoin
        (ccxt.BadRequest('kucoin {"code":"700006","msg":"IP [1.2.3.4] not in list"}'), "unknown"),
        # an answer of the wrong shape is not the exchange's API (issue 12)
        (ValueError("not JSON"), "wrong_address"),
    ],
)
def test_classify_other_failures(exc, category):
    assert _adapter("kucoin").classify(exc).category.id == category


def test_classify_keeps_an_exchange_error_and_unreadable_answers_say_so():
    adapter = _adapter("mexc")
    original = ExchangeError("rate_limited", "slow down")
    assert adapter.classify(original) is original
    assert "could not read" in adapter.classify(ValueError("x")).detail


def test_sanitize_removes_query_strings_and_html():
    signed = (
        "mexc GET https://api.mexc.com/api/v3/apiKeyInfo?accessKey=mx0vglSECRETKEY&timestamp="
        "1700000000000&recvWindow=5000&signature=0a1b2c3d4e5f 400 Bad Request"
    )
    clean = sanitize(signed)
    assert clean == "mexc GET https://api.mexc.com/api/v3/apiKeyInfo 400 Bad Request"
    html = (
        "kucoin GET http://127.0.0.1:9/api/v1/accounts?type=trade 502 Bad Gateway <html>\r\n"
        "<head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    )
    assert sanitize(html) == "kucoin GET http://127.0.0.1:9/api/v1/accounts 502 Bad Gateway"
    assert sanitize("down <!DOCTYPE html><html><body>x</body></html>") == "down"
    long = sanitize("x" * 1000)
    assert len(long) <= 300
    assert long.endswith("…")


def test_classified_errors_carry_no_signature_or_markup():
    message = (
        "mexc GET http://127.0.0.1:9/mexc/api/v3/account?timestamp=1&signature=deadbeefcafe "
        "502 Bad Gateway <html><head><title>502</title></head></html>"
    )
    error = _adapter("mexc").classify(ccxt.ExchangeNotAvailable(message))
    assert error.category.id == "exchange_unavailable"
    for leaked in ("signature", "deadbeefcafe", "<html", "timestamp="):
        assert leaked not in error.detail
        assert leaked not in str(error)


def _wrapped(cause: BaseException, url: str = "https://api.example.com/api/v3/account?x=1"):
    """An error as ccxt's async fetch raises it: ExchangeNotAvailable from aiohttp's."""
    try:
        try:
            raise cause
        except BaseException as inner:
            raise ccxt.ExchangeNotAvailable(f"mexc GET {url}") from inner
    except ccxt.ExchangeNotAvailable as outer:
        return outer


def _connector(cls, os_error: OSError):
    import aiohttp

    key = aiohttp.client_reqrep.ConnectionKey("api.example.com", 443, True, True, None, None, None)
    return cls(key, os_error)


@pytest.mark.parametrize(
    ("cause", "sentence"),
    [
        ("dns", "The name api.example.com could not be resolved (DNS)."),
        ("refused", "api.example.com refused the connection."),
        ("tls", "The secure (TLS) connection to api.example.com failed."),
        ("proxy", "The proxy did not connect this computer to api.example.com."),
        ("gaierror", "The name api.example.com could not be resolved (DNS)."),
    ],
)
def test_failures_that_never_reach_the_exchange_are_network_unreachable(cause, sentence):
    """Issue 12: DNS, refused, TLS and proxy failures were "Exchange unavailable: wait"."""
    import socket
    import ssl

    import aiohttp

    causes = {
        "dns": lambda: _connector(aiohttp.ClientConnectorDNSError, socket.gaierror(-2, "x")),
        "refused": lambda: _connector(aiohttp.ClientConnectorError, ConnectionRefusedError(111)),
        "tls": lambda: _connector(aiohttp.ClientConnectorSSLError, ssl.SSLError("bad")),
        "proxy": lambda: _connector(aiohttp.ClientProxyConnectionError, OSError(1, "x")),
        "gaierror": lambda: socket.gaierror(-2, "Name or service not known"),
    }
    error = _adapter("mexc").classify(_wrapped(causes[cause]()))
    assert error.category.id == "network_unreachable"
    assert error.detail == sentence
    assert "Wait" not in str(error)


@pytest.mark.parametrize(
    ("message", "category", "detail"),
    [
        (
            "kucoin GET https://gw.example.com/api/v1/accounts 404 Not Found <html>x</html>",
            "wrong_address",
            "gw.example.com answered HTTP 404 (Not Found): that is not KuCoin's API.",
        ),
        (
            "kucoin GET https://gw.example.com/api/v1/accounts 400 Bad Request <html>x</html>",
            "wrong_address",
            "gw.example.com answered HTTP 400 (Bad Request): that is not KuCoin's API.",
        ),
        (
            "kucoin GET https://gw.example.com/api/v1/accounts 403 Forbidden <html>x</html>",
            "exchange_unavailable",  # a WAF or geo block in front of the exchange
            "gw.example.com answered HTTP 403 (Forbidden).",
        ),
        (
            "kucoin GET https://gw.example.com/api/v1/accounts 503 Service Unavailable ",
            "exchange_unavailable",
            "gw.example.com answered HTTP 503 (Service Unavailable).",
        ),
    ],
)
def test_http_answers_are_sentences_with_host_and_status(message, category, detail):
    error = _adapter("kucoin").classify(ccxt.ExchangeNotAvailable(message))
    assert error.category.id == category
    assert error.detail == detail


def test_kucoin_answers_with_a_code_kucoin_never_uses_are_wrong_address():
    error = _adapter("kucoin").classify(ccxt.ExchangeError('kucoin {"code":0}'))
    assert error.category.id == "wrong_address"
    assert error.detail == "KuCoin answered with code 0."


@pytest.mark.parametrize(
    ("body", "category"),
    [
        # M11 (MEXC contract v1 error codes): futures never opened, not an invalid key
        ('{"success":false,"code":1000,"message":"Account does not exist"}', "futures_not_enabled"),
        # M13 (MEXC spot v3 / contract error codes)
        ('{"code":60005,"msg":"your account is abnormal"}', "account_restricted"),
        ('{"success":false,"code":6001,"message":"Trading forbidden"}', "account_restricted"),
        ('{"code":730100,"msg":"Unusual user status"}', "account_restricted"),
        # M9 (MEXC spot v3 error codes): access or frequency rules, not a key permission
        ('{"code":403,"msg":"Access Denied"}', "exchange_unavailable"),
    ],
)
def test_mexc_codes_as_documented(body, category):
    error = _adapter("mexc").classify(ccxt.PermissionDenied(f"mexc {body}"))
    assert error.category.id == category


@pytest.mark.parametrize("code", ["400303", "400301", "400302", "400500"])
def test_kucoin_kyc_and_region_codes_are_account_restricted(code):
    """K8 (KuCoin error-code docs)."""
    body = json.dumps({"code": code, "msg": "restricted"})
    assert _adapter("kucoin").classify(ccxt.PermissionDenied(f"kucoin {body}")).category.id == (
        "account_restricted"
    )


def test_data_pages_get_advice_that_fits_them():
    """Issue 12: Balances and Orders told the user to "run the test again"."""
    from backfuture_core.errors import CATEGORIES, page_message
    from backfuture_core.models import Connection, Market
    from backfuture_core.portfolio.notices import notices
    from backfuture_core.session_cache import Fetched

    conn = Connection(1, "MEXC Spot Main", "mexc", Market.SPOT, "…abcd")
    for category in CATEGORIES:
        error = ExchangeError(category, reported_ip="203.0.113.7")
        (notice,) = notices([conn], [Fetched(None, None, error.message, category)])
        assert "test again" not in notice.text.lower(), category
        assert "203.0.113.7" in notice.text
        assert page_message(error.message, category).startswith(error.category.title)
