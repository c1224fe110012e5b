"""The vault: envelope encryption of secret fields (DESIGN.md section 4, security.md 1-16).

A random 256-bit data key (DEK) encrypts each secret field with AES-256-GCM; the associated
data binds the ciphertext to its vault, connection, field and exchange, so a blob copied to
another row or field fails. The DEK is stored only wrapped by a key-encryption key (KEK) from
the keyfile (the zero-config default, `keyfile.py`) or from the master passphrase
(`passphrase.py`), in the one `vault_meta` row. Changing the passphrase re-wraps the DEK only;
row blobs stay byte-identical. Nothing here deletes or rewrites data when a key is wrong.
"""

from __future__ import annotations

import os
import secrets
import uuid
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils import Database

from backfuture_core.config import KdfParams, Settings
from backfuture_core.errors import CorruptedRecord, UnsupportedFormat, VaultLocked, WrongMasterKey
from backfuture_core.models import Secret
from backfuture_core.security.fingerprint import fingerprint_key, keyed_fingerprint
from backfuture_core.security.keyfile import create_keyfile, read_keyfile
from backfuture_core.security.passphrase import (
    KdfRecord,
    derive_kek,
    new_kdf_record,
    normalize_passphrase,
)
from backfuture_core.storage.database import audit, now_iso, write

FORMAT_VERSION = 1
BLOB_VERSION = b"\x01"
NONCE_BYTES = 12


class Vault:
    """An unlocked vault: encrypts and decrypts secret fields with the data key."""

    __slots__ = ("_aead", "_fingerprint_key", "vault_id")

    def __init__(self, vault_id: str, dek: bytes):
        self.vault_id = vault_id
        self._aead = AESGCM(dek)
        self._fingerprint_key = fingerprint_key(dek)

    def __repr__(self) -> str:
        return f"Vault(id={self.vault_id[:8]}…, unlocked)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("An unlocked vault cannot be pickled")

    def _aad(self, conn_id: int, field: str, exchange: str) -> bytes:
        return f"v1|{self.vault_id}|conn:{conn_id}|field:{field}|ex:{exchange}".encode()

    def fingerprint(self, api_key: str) -> str:
        """A keyed fingerprint of an API key (security/fingerprint.py): equal keys, equal
        fingerprints, in this vault only."""
        return keyed_fingerprint(self._fingerprint_key, api_key)

    def encrypt(self, value: str, *, conn_id: int, field: str, exchange: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), self._aad(conn_id, field, exchange))
        return BLOB_VERSION + nonce + sealed

    def decrypt(self, blob: bytes, *, conn_id: int, field: str, exchange: str) -> Secret:
        """Raises CorruptedRecord when the blob was altered or belongs to another row or field."""
        if not blob or blob[:1] != BLOB_VERSION:
            raise UnsupportedFormat(f"The stored {field} uses an unknown format.")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, self._aad(conn_id, field, exchange))
        except InvalidTag:
            raise CorruptedRecord(
                f"The stored {field} of connection {conn_id} failed its integrity check; "
                "replace its keys."
            ) from None
        return Secret(plain.decode())


# --- Wrapping the data key ---------------------------------------------------------------------


def wrap(kek: bytes, dek: bytes, vault_id: str) -> bytes:
    """Seal the data key with a key-encryption key (AES-GCM bound to the vault id)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, dek, f"v1|dek|{vault_id}".encode())


def unwrap(kek: bytes, wrapped: bytes, vault_id: str) -> bytes:
    """Open the data key; raises WrongMasterKey (and changes nothing) for a wrong KEK."""
    try:
        return AESGCM(kek).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], f"v1|dek|{vault_id}".encode()
        )
    except InvalidTag:
        raise WrongMasterKey(
            "This key does not open the vault. Check the passphrase (or restore the keyfile "
            "that belongs to this database). Nothing was changed."
        ) from None


# --- The vault_meta row ------------------------------------------------------------------------


def _meta(db: Database) -> dict[str, Any] | None:
    return next(iter(db.query("SELECT * FROM vault_meta WHERE id = 1")), None)


def vault_mode(db: Database) -> str | None:
    """'keyfile', 'passphrase', or None before the first start."""
    meta = _meta(db)
    return meta["mode"] if meta else None


def _unlock_dek(meta: dict[str, Any], settings: Settings, passphrase: str | None) -> bytes:
    """Unwrap the data key with the KEK of the vault's current mode."""
    if meta["mode"] == "keyfile":
        kek = read_keyfile(settings)
    else:
        if passphrase is None:
            raise VaultLocked("Enter the master passphrase to unlock BackFuture.")
        params = KdfParams(meta["kdf_memory_kib"], meta["kdf_iterations"], meta["kdf_lanes"])
        kek = derive_kek(passphrase, KdfRecord(salt=meta["salt"], params=params))
    return unwrap(kek, meta["wrapped_dek"], meta["vault_id"])


def open_vault(db: Database, settings: Settings, passphrase: str | None = None) -> Vault:
    """Open the vault, creating it (keyfile mode) on first start.

    Raises:
        VaultLocked: passphrase mode and no passphrase given.
        WrongMasterKey, KeyfileMissing, KeyfileInsecure, UnsupportedFormat.
    """
    meta = _meta(db)
    if meta is None:
        return _create_vault(db, settings)
    if meta["format_version"] != FORMAT_VERSION:
        raise UnsupportedFormat("The vault was written by a newer version of BackFuture.")
    return Vault(meta["vault_id"], _unlock_dek(meta, settings, passphrase))


def _create_vault(db: Database, settings: Settings) -> Vault:
    kek = create_keyfile(settings)
    vault_id, dek, now = str(uuid.uuid4()), secrets.token_bytes(32), now_iso()
    with write(db):
        db.table("vault_meta").insert(
            {
                "id": 1,
                "vault_id": vault_id,
                "format_version": FORMAT_VERSION,
                "mode": "keyfile",
                "wrapped_dek": wrap(kek, dek, vault_id),
                "created_at": now,
                "updated_at": now,
            }
        )
    return Vault(vault_id, dek)


# --- Changing the protection mode --------------------------------------------------------------


def _current_dek(db: Database, settings: Settings, current_passphrase: str | None) -> bytes:
    """Unwrap the DEK again with the current key: proves the user may change it."""
    meta = _meta(db)
    if meta is None:
        raise VaultLocked("Open the vault first.")
    if meta["mode"] == "passphrase" and current_passphrase is None:
        raise VaultLocked("Enter the current passphrase.")
    return _unlock_dek(meta, settings, current_passphrase)


def _rewrap(
    db: Database, vault: Vault, dek: bytes, kek: bytes, mode: str, kdf: KdfRecord | None
) -> None:
    with write(db):
        db.table("vault_meta").update(
            1,
            {
                "mode": mode,
                "kdf": kdf.kdf if kdf else None,
                "kdf_memory_kib": kdf.params.memory_kib if kdf else None,
                "kdf_iterations": kdf.params.iterations if kdf else None,
                "kdf_lanes": kdf.params.lanes if kdf else None,
                "salt": kdf.salt if kdf else None,
                "normalization": kdf.normalization if kdf else None,
                "wrapped_dek": wrap(kek, dek, vault.vault_id),
                "updated_at": now_iso(),
            },
        )
        audit(db, f"vault mode set to {mode}")


def set_passphrase(
    db: Database,
    settings: Settings,
    vault: Vault,
    new_passphrase: str,
    current_passphrase: str | None = None,
) -> None:
    """Switch to (or change) master-passphrase mode. Re-wraps the data key only.

    Raises ValidationError for a weak passphrase, WrongMasterKey for a wrong current one.
    """
    new = normalize_passphrase(new_passphrase)
    dek = _current_dek(db, settings, current_passphrase)
    kdf = new_kdf_record(settings.kdf)
    _rewrap(db, vault, dek, derive_kek(new, kdf), "passphrase", kdf)


def remove_passphrase(
    db: Database, settings: Settings, vault: Vault, current_passphrase: str
) -> None:
    """Go back to keyfile mode (the keyfile is created if needed). Re-wraps the data key only."""
    dek = _current_dek(db, settings, current_passphrase)
    _rewrap(db, vault, dek, create_keyfile(settings), "keyfile", None)
