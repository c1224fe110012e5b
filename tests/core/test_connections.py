"""Connections core: validation table, encrypted storage, edit, replace keys, delete."""

from __future__ import annotations

import pytest

from backfuture_core.errors import NotFound, ValidationError
from backfuture_core.models import Market, Status
from backfuture_core.storage import connections as core

GOOD = {
    "exchange": "mexc",
    "name": "MEXC Spot Main",
    "api_key": "mx0vglAPIKEY1234",
    "secret": "SECRETvalue0123456789",
    "market": "spot",
}


def form(**changes) -> core.ConnectionForm:
    return core.ConnectionForm(**{**GOOD, **changes})


# (changes, field label, part of the message)
BAD_INPUTS = [
    ({"name": ""}, "Connection name", "Enter a connection name"),
    ({"name": "   "}, "Connection name", "Enter a connection name"),
    ({"name": "\t\n"}, "Connection name", "Enter a connection name"),
    ({"name": "x" * 65}, "Connection name", "at most 64"),
    ({"name": "é" * 65}, "Connection name", "at most 64"),
    ({"name": "MEXC\x00Main"}, "Connection name", "invisible"),
    ({"name": "MEXC\x07Main"}, "Connection name", "invisible"),
    ({"name": "MEXC\u200bMain"}, "Connection name", "invisible"),
    ({"name": "MEXC\u202eMain"}, "Connection name", "invisible"),
    ({"name": "MEXC\ufeffMain"}, "Connection name", "invisible"),
    ({"name": "MEXC\x1bMain"}, "Connection name", "invisible"),
    ({"name": "Main\u2066x"}, "Connection name", "invisible"),
    ({"name": "Existing One"}, "Connection name", "already exists"),
    ({"name": "existing one"}, "Connection name", "already exists"),
    ({"name": "  EXISTING ONE  "}, "Connection name", "already exists"),
    ({"api_key": ""}, "API Key", "Enter the API Key"),
    ({"api_key": "    "}, "API Key", "Enter the API Key"),
    ({"api_key": "mx0v glKEY1234"}, "API Key", "spaces or line breaks"),
    ({"api_key": "mx0vgl\nKEY1234"}, "API Key", "spaces or line breaks"),
    ({"api_key": "mx0vgl\tKEY1234"}, "API Key", "spaces or line breaks"),
    ({"api_key": "k" * 257}, "API Key", "too long"),
    ({"api_key": "abc"}, "API Key", "too short"),
    ({"api_key": "mx0vgl\u200bKEY1234"}, "API Key", "invisible"),
    ({"secret": ""}, "Secret Key", "Enter the Secret Key"),
    ({"secret": "secret with spaces inside"}, "Secret Key", "spaces or line breaks"),
    ({"secret": "s" * 4097}, "Secret Key", "too long"),
    ({"secret": "SECRET\x00value123"}, "Secret Key", "invisible"),
    ({"exchange": "kucoin", "passphrase": ""}, "Passphrase", "requires"),
    ({"exchange": "kucoin", "passphrase": "   "}, "Passphrase", "requires"),
    ({"exchange": "kucoin", "passphrase": "pass phrase"}, "Passphrase", "spaces"),
    ({"exchange": "kucoin", "passphrase": "p" * 129}, "Passphrase", "too long"),
    ({"api_base_url": "api.mexc.com"}, "API base URL", "full URL"),
    ({"api_base_url": "ftp://api.mexc.com"}, "API base URL", "full URL"),
    ({"api_base_url": "https://"}, "API base URL", "full URL"),
    ({"api_base_url": "https://api.mexc.com/?x=1"}, "API base URL", "full URL"),
    ({"api_base_url": "https://user:pw@api.mexc.com"}, "API base URL", "full URL"),
    ({"api_base_url": "https://api.mexc.com:99999"}, "API base URL", "full URL"),
    ({"api_base_url": "javascript:alert(1)"}, "API base URL", "full URL"),
    ({"api_base_url": "https://api mexc.com"}, "API base URL", "full URL"),
    ({"proxy": "not a url"}, "Proxy", "full URL"),
    ({"proxy": "socks9://x"}, "Proxy", "full URL"),
    ({"exchange": "gate"}, "Exchange", "supported exchange"),
    ({"exchange": ""}, "Exchange", "supported exchange"),
    ({"exchange": "MEXC'; DROP TABLE connections;--"}, "Exchange", "supported exchange"),
    ({"market": "margin"}, "Market", "Spot, Futures"),
]


@pytest.mark.parametrize(("changes", "label", "message"), BAD_INPUTS)
def test_bad_input_rejected_and_nothing_stored(db, vault, changes, label, message):
    core.add_connection(db, vault, form(name="Existing One", api_key="mx0vglOTHER9999"))
    before = db.execute("SELECT count(*) FROM connections").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        core.add_connection(db, vault, form(**changes))
    assert label in caught.value.problems
    assert message in caught.value.problems[label]
    assert db.execute("SELECT count(*) FROM connections").fetchone()[0] == before


def test_at_least_thirty_bad_inputs():
    assert len(BAD_INPUTS) >= 30


def test_every_bad_field_reported_at_once(db, vault):
    with pytest.raises(ValidationError) as caught:
        core.add_connection(db, vault, form(name="", api_key="", secret="", exchange="kucoin"))
    assert {"Connection name", "API Key", "Secret Key", "Passphrase"} <= set(caught.value.problems)


def test_names_stored_literally(db, vault):
    tricky = "Robert'); DROP TABLE connections;-- **bold** <b>x</b>"
    saved = core.add_connection(db, vault, form(name=tricky))
    assert saved.name == tricky
    assert "connections" in db.table_names()


def test_saved_connection_is_encrypted_and_masked(db, vault, settings):
    saved = core.add_connection(db, vault, form(exchange="kucoin", passphrase="myPassphrase1"))
    assert saved.key_hint == "…1234"
    assert saved.status is Status.UNTESTED
    assert saved.market is Market.SPOT
    db.conn.commit()
    raw = b"".join(p.read_bytes() for p in settings.data_dir.iterdir() if p.is_file())
    for value in (GOOD["api_key"], GOOD["secret"], "myPassphrase1"):
        assert value.encode() not in raw
    creds = core.load_credentials(db, vault, saved.id)
    assert creds.api_key.reveal() == GOOD["api_key"]
    assert creds.secret.reveal() == GOOD["secret"]
    assert creds.passphrase.reveal() == "myPassphrase1"


def test_passphrase_ignored_for_exchange_without_one(db, vault):
    saved = core.add_connection(db, vault, form(passphrase="notneeded"))
    assert core.load_credentials(db, vault, saved.id).passphrase is None


def test_rename_and_edit(db, vault):
    saved = core.add_connection(db, vault, form())
    other = core.add_connection(db, vault, form(name="Second", api_key="mx0vglSECOND0000"))
    edited = core.update_connection(
        db,
        saved.id,
        version=saved.version,
        name="MEXC Futures",
        market="both",
        api_base_url="https://api.mexc.com/",
        vault=vault,
    )
    assert (edited.name, edited.market, edited.api_base_url) == (
        "MEXC Futures",
        Market.BOTH,
        "https://api.mexc.com",
    )
    with pytest.raises(ValidationError, match="already exists"):
        core.update_connection(db, other.id, version=other.version, name="mexc futures")
    # keeping its own name (in another case) is fine
    renamed = core.update_connection(db, saved.id, version=edited.version, name="MEXC FUTURES")
    assert (renamed.name, renamed.market) == ("MEXC FUTURES", Market.BOTH)


def new_keys(db, vault, saved: core.Connection) -> core.Connection:
    return core.replace_keys(
        db,
        vault,
        saved.id,
        version=saved.version,
        api_key="mx0vglNEWKEY9876",
        secret="NEWSECRET123",
    )


def test_replace_keys(db, vault):
    saved = core.add_connection(db, vault, form())
    updated = new_keys(db, vault, saved)
    assert updated.key_hint == "…9876"
    assert core.load_credentials(db, vault, saved.id).secret.reveal() == "NEWSECRET123"
    with pytest.raises(ValidationError):
        core.replace_keys(db, vault, saved.id, version=updated.version, api_key="", secret="x y")
    assert core.load_credentials(db, vault, saved.id).secret.reveal() == "NEWSECRET123"


def test_delete(db, vault):
    saved = core.add_connection(db, vault, form())
    core.delete_connection(db, saved.id, version=saved.version)
    assert core.list_connections(db) == []
    with pytest.raises(NotFound):
        core.get_connection(db, saved.id)
    actions = [row["action"] for row in db.query("SELECT action FROM audit_log")]
    assert actions[-1] == "connection deleted"


def test_audit_log_holds_no_secret(db, vault):
    saved = core.add_connection(db, vault, form())
    new_keys(db, vault, saved)
    text = repr(list(db.query("SELECT * FROM audit_log")))
    assert "NEWSECRET123" not in text
    assert GOOD["secret"] not in text


def test_the_base_url_example_is_the_chosen_exchange_s_own(db):
    from backfuture_core.connection_form import validate_form

    form = core.ConnectionForm(
        exchange="kucoin",
        name="KuCoin Main",
        api_key="64d3e000000000000000aaaa",
        secret="s" * 36,
        passphrase="pass-1",
        api_base_url="not a url",
    )
    with pytest.raises(ValidationError) as raised:
        validate_form(db, form)
    assert "https://api.kucoin.com" in raised.value.problems["API base URL"]
    assert "mexc" not in raised.value.problems["API base URL"]
