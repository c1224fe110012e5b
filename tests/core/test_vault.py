"""Vault: envelope encryption, binding, wrong keys change nothing, passphrase mode."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backfuture_core.config import KdfParams, Settings
from backfuture_core.errors import (
    CorruptedRecord,
    KeyfileInsecure,
    KeyfileMissing,
    ValidationError,
    VaultLocked,
    WrongMasterKey,
)
from backfuture_core.models import Secret
from backfuture_core.security.keyfile import read_keyfile
from backfuture_core.security.passphrase import normalize_passphrase
from backfuture_core.security.vault import (
    Vault,
    open_vault,
    remove_passphrase,
    set_passphrase,
    unwrap,
    vault_mode,
)
from backfuture_core.storage.database import open_db

PASSPHRASE = "correct horse battery staple"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def files_state(settings: Settings) -> dict[str, str]:
    paths = [settings.db_path, settings.keyfile_path]
    paths += [settings.db_path.with_name(settings.db_path.name + s) for s in ("-wal", "-shm")]
    return {p.name: digest(p) for p in paths}


def test_round_trip(vault):
    blob = vault.encrypt("s3cret-value", conn_id=1, field="secret", exchange="mexc")
    assert b"s3cret-value" not in blob
    assert vault.decrypt(blob, conn_id=1, field="secret", exchange="mexc").reveal() == (
        "s3cret-value"
    )


def test_fresh_nonce_every_time(vault):
    blobs = {vault.encrypt("same", conn_id=1, field="secret", exchange="mexc") for _ in range(500)}
    assert len({b[1:13] for b in blobs}) == 500


def test_flipped_bit_fails(vault):
    blob = bytearray(vault.encrypt("value", conn_id=1, field="secret", exchange="mexc"))
    blob[20] ^= 0x01
    with pytest.raises(CorruptedRecord):
        vault.decrypt(bytes(blob), conn_id=1, field="secret", exchange="mexc")


@pytest.mark.parametrize(
    ("conn_id", "field", "exchange"),
    [(2, "secret", "mexc"), (1, "api_key", "mexc"), (1, "secret", "kucoin")],
)
def test_ciphertext_moved_to_other_row_field_or_exchange_fails(vault, conn_id, field, exchange):
    blob = vault.encrypt("value", conn_id=1, field="secret", exchange="mexc")
    with pytest.raises(CorruptedRecord):
        vault.decrypt(blob, conn_id=conn_id, field=field, exchange=exchange)


@given(value=st.text(min_size=1, max_size=200), conn_id=st.integers(1, 10**6))
def test_property_round_trip(tmp_path_factory, value, conn_id):
    vault = _shared_vault(tmp_path_factory)
    blob = vault.encrypt(value, conn_id=conn_id, field="secret", exchange="kucoin")
    assert vault.decrypt(blob, conn_id=conn_id, field="secret", exchange="kucoin").reveal() == value


@given(
    value=st.text(min_size=1, max_size=50), position=st.integers(0, 10**4), bit=st.integers(0, 7)
)
def test_property_any_tampering_detected(tmp_path_factory, value, position, bit):
    vault = _shared_vault(tmp_path_factory)
    blob = bytearray(vault.encrypt(value, conn_id=7, field="secret", exchange="mexc"))
    index = 1 + position % (len(blob) - 1)  # any byte after the version byte
    blob[index] ^= 1 << bit
    with pytest.raises(CorruptedRecord):
        vault.decrypt(bytes(blob), conn_id=7, field="secret", exchange="mexc")


_VAULTS: dict = {}


def _shared_vault(tmp_path_factory):
    if "v" not in _VAULTS:
        base = tmp_path_factory.mktemp("vault")
        s = Settings(base / "data", base / "keys", KdfParams(1024, 1, 1))
        _VAULTS["v"] = open_vault(open_db(s.db_path), s)
    return _VAULTS["v"]


def test_keyfile_created_private(vault, settings):
    mode = stat.S_IMODE(settings.keyfile_path.stat().st_mode)
    folder = stat.S_IMODE(settings.key_dir.stat().st_mode)
    assert (mode, folder) == (0o600, 0o700)
    assert settings.key_dir != settings.data_dir
    assert len(settings.keyfile_path.read_bytes()) == 32


def test_world_readable_keyfile_refused(vault, db, settings):
    os.chmod(settings.keyfile_path, 0o644)
    with pytest.raises(KeyfileInsecure, match="chmod 600"):
        open_vault(db, settings)


def test_missing_keyfile_is_clear_and_changes_nothing(vault, db, settings):
    settings.keyfile_path.unlink()
    db.close()
    before = files_state(settings)
    for _ in range(3):
        handle = open_db(settings.db_path)
        with pytest.raises(KeyfileMissing, match="missing"):
            open_vault(handle, settings)
        handle.close()
    assert files_state(settings) == before
    assert not settings.keyfile_path.exists()  # never regenerated over existing data


def test_data_key_stored_only_wrapped(vault, db, settings):
    blob = vault.encrypt("x", conn_id=1, field="secret", exchange="mexc")
    wrapped = db.execute("SELECT wrapped_dek FROM vault_meta").fetchone()[0]
    dek = unwrap(read_keyfile(settings), wrapped, vault.vault_id)
    db.conn.commit()
    raw = (
        settings.db_path.read_bytes() + settings.db_path.with_name("backfuture.db-wal").read_bytes()
    )
    assert len(dek) == 32
    assert dek not in raw
    assert Vault(vault.vault_id, dek).decrypt(blob, conn_id=1, field="secret", exchange="mexc")


def test_passphrase_mode_unlock_and_wrong_passphrase(vault, db, settings):
    set_passphrase(db, settings, vault, PASSPHRASE)
    assert vault_mode(db) == "passphrase"
    with pytest.raises(VaultLocked):
        open_vault(db, settings)
    reopened = open_vault(db, settings, PASSPHRASE)
    assert reopened.vault_id == vault.vault_id


def test_wrong_passphrase_changes_no_file(vault, db, settings):
    set_passphrase(db, settings, vault, PASSPHRASE)
    db.close()
    before = files_state(settings)
    for _ in range(5):
        handle = open_db(settings.db_path)
        with pytest.raises(WrongMasterKey, match="Nothing was changed"):
            open_vault(handle, settings, "not the passphrase!")
        handle.close()
    assert files_state(settings) == before


def test_passphrase_change_rewraps_only(vault, db, settings):
    blob = vault.encrypt("value", conn_id=1, field="secret", exchange="mexc")
    db.execute(
        "INSERT INTO connections (name, name_key, exchange, market, key_hint, secret_enc, "
        "created_at, updated_at) VALUES ('a', 'a', 'mexc', 'spot', '…1234', ?, '', '')",
        [blob],
    )
    db.conn.commit()
    set_passphrase(db, settings, vault, PASSPHRASE)
    set_passphrase(db, settings, vault, "another passphrase 2", PASSPHRASE)
    with pytest.raises(WrongMasterKey):
        open_vault(db, settings, PASSPHRASE)
    unlocked = open_vault(db, settings, "another passphrase 2")
    stored = db.execute("SELECT secret_enc FROM connections").fetchone()[0]
    assert stored == blob  # byte-identical row blob
    assert unlocked.decrypt(stored, conn_id=1, field="secret", exchange="mexc").reveal() == "value"
    remove_passphrase(db, settings, unlocked, "another passphrase 2")
    assert vault_mode(db) == "keyfile"
    assert (
        open_vault(db, settings)
        .decrypt(stored, conn_id=1, field="secret", exchange="mexc")
        .reveal()
        == "value"
    )


def test_change_needs_the_current_passphrase(vault, db, settings):
    set_passphrase(db, settings, vault, PASSPHRASE)
    with pytest.raises(WrongMasterKey):
        set_passphrase(db, settings, vault, "brand new passphrase", "wrong current one")
    assert open_vault(db, settings, PASSPHRASE)


@pytest.mark.parametrize(
    ("passphrase", "message"),
    [("", "Enter"), ("   ", "Enter"), ("short", "at least 12"), ("x" * 1025, "at most 1024")],
)
def test_weak_passphrase_rejected(passphrase, message):
    with pytest.raises(ValidationError, match=message):
        normalize_passphrase(passphrase)


def test_passphrase_is_nfc_normalised(vault, db, settings):
    composed, decomposed = "café passphrase ok", "cafe\u0301 passphrase ok"
    set_passphrase(db, settings, vault, composed)
    assert open_vault(db, settings, decomposed).vault_id == vault.vault_id


def test_production_kdf_defaults():
    params = Settings.from_env({}).kdf
    assert (params.memory_kib, params.iterations, params.lanes) == (65536, 3, 1)


def test_secret_never_shows_itself():
    secret = Secret("CANARY-1234567890")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, "")):
        assert "CANARY" not in text
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.hint == "…7890"


def test_vault_not_picklable(vault):
    with pytest.raises(TypeError):
        pickle.dumps(vault)
    assert "unlocked" in repr(vault)


# --- Damaged records: named, never raised raw --------------------------------------------------

GOOD_FORM = {
    "exchange": "mexc",
    "api_key": "mx0vglAPIKEY1234",
    "secret": "SECRETvalue0123456789",
    "market": "spot",
}


def _two_connections(db, vault):
    from backfuture_core.storage.connections import ConnectionForm, add_connection

    broken = add_connection(db, vault, ConnectionForm(name="Broken Account", **GOOD_FORM))
    healthy = add_connection(db, vault, ConnectionForm(name="Healthy Account", **GOOD_FORM))
    return broken, healthy


def _set_column(db, conn_id: int, column: str, value) -> None:
    db.execute(f"UPDATE connections SET {column} = ? WHERE id = ?", [value, conn_id])  # noqa: S608
    db.conn.commit()


def _blob(db, conn_id: int, column: str) -> bytes:
    return db.execute(
        f"SELECT {column} FROM connections WHERE id = ?",  # noqa: S608 - a fixed column name
        [conn_id],
    ).fetchone()[0]


# (what is done to the stored secret, the column, the new value from the stored blob and the
# other connection's blob)
ROW_DAMAGE = [
    ("truncated", "secret_enc", lambda own, other: own[:5]),
    ("one byte", "secret_enc", lambda own, other: own[:1]),
    ("empty", "secret_enc", lambda own, other: b""),
    ("missing key", "api_key_enc", lambda own, other: None),
    ("missing secret", "secret_enc", lambda own, other: None),
    ("unknown version", "secret_enc", lambda own, other: b"\x07" + own[1:]),
    ("flipped bit", "api_key_enc", lambda own, other: own[:-1] + bytes([own[-1] ^ 1])),
    ("copied from another row", "secret_enc", lambda own, other: other),
    ("text instead of bytes", "secret_enc", lambda own, other: "not a blob"),
    ("a number", "api_key_enc", lambda own, other: 42),
]


@pytest.mark.parametrize(("damage", "column", "change"), ROW_DAMAGE, ids=[d[0] for d in ROW_DAMAGE])
def test_damaged_secret_names_its_connection_and_spares_the_others(
    db, vault, damage, column, change
):
    from backfuture_core.storage.connections import load_credentials

    broken, healthy = _two_connections(db, vault)
    _set_column(
        db, broken.id, column, change(_blob(db, broken.id, column), _blob(db, healthy.id, column))
    )
    with pytest.raises(CorruptedRecord) as caught:
        load_credentials(db, vault, broken.id)
    message = str(caught.value)
    assert '"Broken Account"' in message
    assert "Damaged record" in message
    assert f"connection {broken.id}" not in message
    assert "Replace its keys" in message
    assert load_credentials(db, vault, healthy.id).secret.reveal() == GOOD_FORM["secret"]


def _set_meta(db, **values) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE vault_meta SET {sets} WHERE id = 1", list(values.values()))  # noqa: S608
    db.conn.commit()


# Damage to the vault settings, and the passphrase the user then types (None: keyfile mode).
SETTINGS_DAMAGE = [
    ("mode flipped to passphrase", {"mode": "passphrase"}, PASSPHRASE),
    ("mode flipped to keyfile", {"mode": "keyfile"}, None),
    ("memory cost zero", {"kdf_memory_kib": 0}, PASSPHRASE),
    ("iterations absurd", {"kdf_iterations": 10**9}, PASSPHRASE),
    ("lanes not a number", {"kdf_lanes": "four"}, PASSPHRASE),
    ("memory below the lanes' minimum", {"kdf_memory_kib": 8, "kdf_lanes": 4}, PASSPHRASE),
    ("salt missing", {"salt": None}, PASSPHRASE),
    ("kdf unknown", {"kdf": "md5"}, PASSPHRASE),
    ("wrapped key truncated", {"wrapped_dek": b"\x00" * 10}, PASSPHRASE),
    ("format version not a number", {"format_version": "one"}, PASSPHRASE),
]


@pytest.mark.parametrize(
    ("damage", "values", "typed"), SETTINGS_DAMAGE, ids=[d[0] for d in SETTINGS_DAMAGE]
)
def test_damaged_vault_settings_are_a_damaged_record(db, vault, settings, damage, values, typed):
    keyfile_mode = damage == "mode flipped to passphrase"
    if not keyfile_mode:
        set_passphrase(db, settings, vault, PASSPHRASE)
    _set_meta(db, **values)
    db.close()
    before = files_state(settings)
    handle = open_db(settings.db_path)
    with pytest.raises(CorruptedRecord, match="vault settings in the database are damaged"):
        open_vault(handle, settings, typed)
    handle.close()
    assert files_state(settings) == before
