"""Where signed requests may go (issue 12, item 6): https or this computer only, no redirects,
and a connection's keys bound to its address so that a database edit cannot re-point them."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backfuture_core import cli as cli_module
from backfuture_core.diagnostics.run import run
from backfuture_core.errors import AddressChanged, CorruptedRecord, ValidationError
from backfuture_core.models import Connection, Credentials, Market, Secret
from backfuture_core.security.keyfile import read_keyfile
from backfuture_core.security.vault import open_vault, unwrap
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import open_db
from tests.core.http_stubs import json_answer, serve, url_of

KEY, SECRET = "mx0vglCANARY00KEY0001", "canary-secret-0001-never-leaves"


def form(**changes: str) -> core.ConnectionForm:
    values = {"exchange": "mexc", "name": "MEXC Main", "api_key": KEY, "secret": SECRET}
    return core.ConnectionForm(**{**values, **changes})


@pytest.mark.parametrize(
    ("field", "url", "why"),
    [
        ("api_base_url", "http://169.254.169.254/", "link-local"),
        ("api_base_url", "https://169.254.169.254/latest/meta-data", "link-local"),
        ("api_base_url", "http://[fe80::1]/", "link-local"),
        ("api_base_url", "https://metadata.google.internal/", "metadata"),
        ("api_base_url", "http://api.mexc.com", "unencrypted"),
        ("api_base_url", "http://192.168.1.20:8080", "unencrypted"),
        ("api_base_url", "http://2130706433/", "unusual form"),
        ("api_base_url", "http://0x7f000001/", "unusual form"),
        ("api_base_url", "http://0177.0.0.1/", "unusual form"),
        ("api_base_url", "http://127.1/", "unusual form"),
        ("api_base_url", "http://[::ffff:127.0.0.1]/", "inside an IPv6"),
        ("api_base_url", "http://0.0.0.0:9000/", "not an address"),
        ("proxy", "http://proxy.example.com:8080", "unencrypted"),
        ("proxy", "socks5://127.0.0.1:1080", "SOCKS"),
        ("proxy", "http://169.254.169.254:80", "link-local"),
    ],
)
def test_the_form_refuses_a_destination_that_would_expose_the_key(db, vault, field, url, why):
    with pytest.raises(ValidationError) as caught:
        core.add_connection(db, vault, form(**{field: url}))
    label = "API base URL" if field == "api_base_url" else "Proxy"
    assert why in caught.value.problems[label]
    assert core.list_connections(db) == []


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("api_base_url", "https://api.mexc.com"),
        ("api_base_url", "https://api.mexc.co.jp:8443"),
        ("api_base_url", "http://127.0.0.1:9000"),
        ("api_base_url", "http://127.8.9.10:9000"),
        ("api_base_url", "http://localhost:9000"),
        ("api_base_url", "http://[::1]:9000"),
        ("proxy", "http://127.0.0.1:8080"),
        ("proxy", "https://proxy.example.com:8443"),
    ],
)
def test_https_anywhere_and_http_on_this_computer_are_accepted(db, vault, field, url):
    saved = core.add_connection(db, vault, form(**{field: url}))
    assert getattr(saved, field) == url


def test_the_command_line_refuses_plain_http_to_a_public_host(app_env, monkeypatch, capsys):
    monkeypatch.setenv("BACKFUTURE_API_KEY", KEY)
    monkeypatch.setenv("BACKFUTURE_API_SECRET", SECRET)
    args = ["test", "--exchange", "mexc", "--api-base-url", "http://api.mexc.com", "--json"]
    assert cli_module.main(args) == 2
    assert "unencrypted" in capsys.readouterr().err


# --- redirects ---------------------------------------------------------------------------------


def test_a_redirect_is_never_followed_and_is_a_wrong_address():
    received: list[tuple[str, dict[str, str]]] = []

    def record(method, path, headers):
        received.append((path, headers))
        return json_answer(200, {"serverTime": 1})

    with serve(record) as recorder:

        def redirect(method, path, headers):
            return 302, {"Location": url_of(recorder) + path}, b""

        with serve(redirect) as redirector:
            connection = Connection(
                1, "Redirected", "mexc", Market.SPOT, "…0001", api_base_url=url_of(redirector)
            )
            report = run(connection, Credentials(Secret(KEY), Secret(SECRET)))
    assert received == []  # neither the key header nor a signed query reached the second port
    assert report.status.value == "failed"
    assert report.error_category == "wrong_address"
    assert any("redirect (HTTP 302)" in check.detail for check in report.checks)


# --- the address bound into the keys -----------------------------------------------------------


def repoint(db, conn_id: int, url: str) -> None:
    """What anyone who can edit the database file could do, without the keyfile."""
    db.execute("UPDATE connections SET api_base_url = ? WHERE id = ?", [url, conn_id])
    db.conn.commit()


def test_a_connection_re_pointed_in_the_database_refuses_its_keys(db, vault):
    saved = core.add_connection(db, vault, form(api_base_url="https://api.mexc.com"))
    repoint(db, saved.id, "https://capture.example.com")
    with pytest.raises(AddressChanged, match="changed outside BackFuture: enter the keys again"):
        core.load_credentials(db, vault, saved.id)
    repoint(db, saved.id, "https://api.mexc.com")  # put back, the keys open again
    assert core.load_credentials(db, vault, saved.id).api_key.reveal() == KEY


def test_a_re_pointed_saved_connection_sends_nothing_from_the_command_line(
    app_env, monkeypatch, capsys
):
    received: list[str] = []

    def capture(method, path, headers):
        received.append(path)
        return json_answer(200, {"serverTime": 1})

    db = open_db(app_env.db_path)
    try:
        saved = core.add_connection(db, open_vault(db, app_env), form())
        with serve(capture) as capture_server:
            repoint(db, saved.id, url_of(capture_server))
            code = cli_module.main(["test", "--connection", "MEXC Main", "--json"])
    finally:
        db.close()
    assert code == 1  # a failed report naming the connection (issue 11: one damaged row)
    assert "changed outside BackFuture: enter the keys again" in capsys.readouterr().out
    assert received == []


def test_editing_the_address_in_the_app_binds_the_keys_to_the_new_one(db, vault):
    saved = core.add_connection(db, vault, form())
    edited = core.update_connection(
        db, saved.id, version=saved.version, proxy="http://127.0.0.1:8080", vault=vault
    )
    assert edited.proxy == "http://127.0.0.1:8080"
    assert core.load_credentials(db, vault, saved.id).secret.reveal() == SECRET
    db.execute("UPDATE connections SET proxy = NULL WHERE id = ?", [saved.id])
    db.conn.commit()
    with pytest.raises(AddressChanged):
        core.load_credentials(db, vault, saved.id)


def legacy_blob(dek: bytes, vault_id: str, conn_id: int, field: str, value: str) -> bytes:
    """A secret as BackFuture wrote it before migration m006 (bound to its row only)."""
    nonce = os.urandom(12)
    aad = f"v1|{vault_id}|conn:{conn_id}|field:{field}|ex:mexc".encode()
    return b"\x01" + nonce + AESGCM(dek).encrypt(nonce, value.encode(), aad)


def test_keys_saved_before_the_binding_are_bound_on_first_use_and_never_lost(db, vault, settings):
    saved = core.add_connection(db, vault, form(api_base_url="https://api.mexc.com"))
    meta = next(db.query("SELECT vault_id, wrapped_dek FROM vault_meta"))
    dek = unwrap(read_keyfile(settings), meta["wrapped_dek"], meta["vault_id"])
    old = {
        "api_key_enc": legacy_blob(dek, meta["vault_id"], saved.id, "api_key", KEY),
        "secret_enc": legacy_blob(dek, meta["vault_id"], saved.id, "secret", SECRET),
        "key_binding": 1,
    }
    db.table("connections").update(saved.id, old)
    db.conn.commit()

    assert core.bind_legacy_keys(db, vault) == 1
    assert core.load_credentials(db, vault, saved.id).secret.reveal() == SECRET
    repoint(db, saved.id, "https://capture.example.com")
    with pytest.raises(AddressChanged):
        core.load_credentials(db, vault, saved.id)
    # An old copy of the blobs (from a backup) does not get around the binding either.
    db.table("connections").update(saved.id, {k: v for k, v in old.items() if k != "key_binding"})
    db.conn.commit()
    with pytest.raises(CorruptedRecord, match="older copy"):
        core.load_credentials(db, vault, saved.id)


def test_the_migration_marks_existing_rows_for_binding(settings):
    db = open_db(settings.db_path)
    try:
        columns = {c.name: c for c in db.table("connections").columns}
        assert columns["key_binding"].default_value == "1"
    finally:
        db.close()
