"""Untrusted text (issue 12, item 5): a server that echoes the key in its error messages never
gets a secret into the report, the Connection test page, the log or the JSON download."""

from __future__ import annotations

import base64
import json
import logging
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from backfuture_core.diagnostics.reports import latest_report, report_json, save_report
from backfuture_core.diagnostics.run import run
from backfuture_core.exchanges.redact import Redactor, redact_tokens
from backfuture_core.security.vault import open_vault
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import open_db
from tests.app.conftest import APP, open_page, rendered_text
from tests.core.http_stubs import json_answer, serve, url_of

# A key with characters that URL-encode, so that its encoded form differs from it.
KEY, SECRET = "mx0+Echo/Key=Canary4242", "Echo-Secret-Canary-0042-never-shown"
NAME = "Echoing Server"


def forms_of(value: str) -> list[str]:
    raw = value.encode()
    return [value, quote(value, safe=""), base64.b64encode(raw).decode().rstrip("=")]


LEAKS = [*forms_of(KEY), *forms_of(SECRET)]


def echo(method: str, path: str, headers: dict[str, str]):
    """A MEXC-like server that answers the time, and every other call with an error that
    echoes the key (raw, URL-encoded, base64), the secret and the request's signature."""
    if path.startswith("/api/v3/time"):
        return json_answer(200, {"serverTime": int(time.time() * 1000)})
    key = headers.get("X-MEXC-APIKEY", KEY)
    signature = parse_qs(urlsplit(path).query).get("signature", ["none"])[0]
    message = (
        f"Signature for this request is not valid. Received key {key} "
        f"({quote(key, safe='')}, {base64.b64encode(key.encode()).decode()}), "
        f"secret {base64.b64encode(SECRET.encode()).decode()} {SECRET}, signature {signature}"
    )
    return json_answer(400, {"code": 700002, "msg": message})


def assert_clean(text: str, where: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{where} shows a secret form"


@pytest.fixture
def echo_server():
    with serve(echo) as server:
        yield server


def saved_connection(db, vault, server) -> int:
    form = core.ConnectionForm(
        exchange="mexc", name=NAME, api_key=KEY, secret=SECRET, api_base_url=url_of(server)
    )
    return core.add_connection(db, vault, form).id


def test_echoed_secrets_are_redacted_from_the_report_storage_and_log(
    db, vault, echo_server, caplog
):
    caplog.set_level(logging.DEBUG)
    conn_id = saved_connection(db, vault, echo_server)
    connection = core.get_connection(db, conn_id)
    report = run(connection, core.load_credentials(db, vault, conn_id))
    save_report(db, conn_id, report)

    assert report.status.value == "failed"
    assert_clean(json.dumps(report.to_dict()), "the report")
    (stored,) = db.execute("SELECT body FROM reports").fetchone()
    assert_clean(stored, "the stored report")
    assert_clean(report_json(latest_report(db, conn_id)), "the JSON download")
    assert_clean(caplog.text, "the log")
    details = " ".join(check.detail for check in report.checks)
    assert "Signature for this request is not valid" in details  # the message itself survives
    assert "[redacted]" in details


def test_the_connection_test_page_shows_no_echoed_secret(app_env, echo_server):
    db = open_db(app_env.db_path)
    try:
        saved_connection(db, open_vault(db, app_env), echo_server)
    finally:
        db.close()
    at = open_page(AppTest.from_file(APP, default_timeout=60).run(), "connection_test")
    at = at.button(key="test.run_one").click().run()
    assert not at.exception
    page = rendered_text(at)
    assert "Signature for this request is not valid" in page
    assert_clean(page, "the page")


@pytest.mark.parametrize(
    "ordinary",
    [
        "Signature for this request is not valid.",
        "No permission SPOT_WITHDRAW_WRITE for /api/v3/capital/withdraw/apply",
        "Order 123456789012345678901234567 was not found at 1715000000000.",
        "api.mexc.com answered HTTP 404 for /api/v1/hf/accounts/opened",
        "Invalid KC-API-PASSPHRASE header (KC-API-KEY-VERSION 2).",
    ],
)
def test_ordinary_messages_survive(ordinary):
    assert Redactor([KEY, SECRET])(ordinary) == ordinary


@pytest.mark.parametrize(
    "token",
    [
        "fe14b0837fdbd1c1acb816c0493a2ce38e70e45845483e47122e7e7e",  # a signature
        "mx0vglOTHERKEY000000000001",  # another key
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301",  # a request id
        "bXgwK0VjaG8vS2V5PUNhbmFyeTQyNDI=",  # base64
    ],
)
def test_token_like_strings_are_redacted_without_knowing_the_secrets(token):
    assert token not in redact_tokens(f"error near {token} here")


def test_a_short_passphrase_is_redacted_only_where_it_stands_alone():
    redact = Redactor(["pw12"])
    assert redact("passphrase pw12 refused") == "passphrase [redacted] refused"
    assert redact("version pw123") == "version pw123"
