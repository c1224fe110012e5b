"""Key hygiene: one API key saved in two connections is noticed through keyed fingerprints
(HMAC under a key derived from the vault's data key), never through the key or a plain hash."""

from __future__ import annotations

import hashlib

from backfuture_core.config import Settings
from backfuture_core.security.vault import open_vault
from backfuture_core.storage.connections import ConnectionForm, add_connection, replace_keys
from backfuture_core.storage.database import open_db, write
from backfuture_core.storage.key_fingerprints import (
    backfill_fingerprints,
    shared_key_warnings,
    shared_keys,
)
from tests.conftest import FAST_KDF

API_KEY = "mx0vglSHAREDKEY000000001"
OTHER_KEY = "mx0vglOWNKEY0000000000002"


def add(db, vault, name: str, api_key: str):
    form = ConnectionForm(exchange="mexc", name=name, api_key=api_key, secret="s" * 32)
    return add_connection(db, vault, form)


def stored_fingerprints(db) -> dict[int, str | None]:
    return dict(db.execute("SELECT id, key_fingerprint FROM connections").fetchall())


def test_one_key_in_two_connections_is_flagged_on_both(db, vault):
    a, b = add(db, vault, "MEXC A", API_KEY), add(db, vault, "MEXC B", API_KEY)
    own = add(db, vault, "MEXC Own", OTHER_KEY)
    warnings = shared_key_warnings(db, vault)
    expected = (
        "The same API Key is saved in MEXC A and MEXC B: "
        "use separate API keys for different strategies."
    )
    assert warnings == {a.id: expected, b.id: expected}
    assert own.id not in warnings
    assert API_KEY not in expected


def test_new_keys_end_the_sharing(db, vault):
    a, _ = add(db, vault, "MEXC A", API_KEY), add(db, vault, "MEXC B", API_KEY)
    replace_keys(db, vault, a.id, version=a.version, api_key=OTHER_KEY, secret="t" * 32)
    assert shared_keys(db, vault) == []


def test_the_fingerprint_is_keyed_never_the_key_or_a_plain_hash(db, vault, tmp_path):
    conn = add(db, vault, "MEXC A", API_KEY)
    stored = stored_fingerprints(db)[conn.id]
    assert stored is not None
    assert API_KEY not in stored
    assert stored != hashlib.sha256(API_KEY.encode()).hexdigest()
    # Another vault (another data key) gives another fingerprint for the same key.
    settings = Settings(data_dir=tmp_path / "other", key_dir=tmp_path / "other-keys", kdf=FAST_KDF)
    other_db = open_db(settings.db_path)
    other = open_vault(other_db, settings)
    try:
        other_conn = add(other_db, other, "MEXC A", API_KEY)
        assert stored_fingerprints(other_db)[other_conn.id] != stored
    finally:
        other_db.close()


def test_rows_saved_before_fingerprints_get_one_when_the_vault_is_open(db, vault):
    a, b = add(db, vault, "MEXC A", API_KEY), add(db, vault, "MEXC B", API_KEY)
    with write(db):  # as rows saved before migration m007 are
        db.execute("UPDATE connections SET key_fingerprint = NULL")
    assert set(shared_key_warnings(db, vault)) == {a.id, b.id}
    assert None not in stored_fingerprints(db).values()
    assert backfill_fingerprints(db, vault) == 0  # idempotent: nothing left to fill
