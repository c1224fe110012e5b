"""Envelope encryption of secrets (DESIGN.md section 4, reference/security.md requirements 1-16).

A random 256-bit data key (DEK) encrypts each secret field with AES-256-GCM; the associated
data binds the ciphertext to its vault, connection, field and exchange, so a blob copied to
another row or field fails. The DEK is stored only wrapped by a key-encryption key (KEK) from a
0600 keyfile (the zero-config default) or from a master passphrase through Argon2id. Changing
the passphrase re-wraps the DEK only; row blobs stay byte-identical. Nothing here deletes or
rewrites data when a key is wrong.
"""

from __future__ import annotations

import os
import secrets
import stat
import unicodedata
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from sqlite_utils import Database

from backfuture_core.config import KdfParams, Settings
from backfuture_core.errors import (
    CorruptedRecord,
    KeyfileInsecure,
    KeyfileMissing,
    UnsupportedFormat,
    ValidationError,
    VaultLocked,
    WrongMasterKey,
)
from backfuture_core.models import Secret
from backfuture_core.store import now_iso, write

FORMAT_VERSION = 1
BLOB_VERSION = b"\x01"
NONCE_BYTES = 12
PASSPHRASE_MIN, PASSPHRASE_MAX = 12, 1024


class Vault:
    """An unlocked vault: encrypts and decrypts secret fields with the data key."""

    __slots__ = ("_aead", "vault_id")

    def __init__(self, vault_id: str, dek: bytes):
        self.vault_id = vault_id
        self._aead = AESGCM(dek)

    def __repr__(self) -> str:
        return f"Vault(id={self.vault_id[:8]}…, unlocked)"

    def __reduce__(self):
        raise TypeError("An unlocked vault cannot be pickled")

    def _aad(self, conn_id: int, field: str, exchange: str) -> bytes:
        return f"v1|{self.vault_id}|conn:{conn_id}|field:{field}|ex:{exchange}".encode()

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


# --- Key-encryption keys -----------------------------------------------------------------------


def _wrap(kek: bytes, dek: bytes, vault_id: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, dek, f"v1|dek|{vault_id}".encode())


def _unwrap(kek: bytes, wrapped: bytes, vault_id: str) -> bytes:
    try:
        return AESGCM(kek).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], f"v1|dek|{vault_id}".encode()
        )
    except InvalidTag:
        raise WrongMasterKey(
            "This key does not open the vault. Check the passphrase (or restore the keyfile "
            "that belongs to this database). Nothing was changed."
        ) from None


def read_keyfile(settings: Settings) -> bytes:
    path = settings.keyfile_path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyfileMissing(
            f"The keyfile {path} is missing, so the saved keys cannot be decrypted. Restore it "
            "from your backup; BackFuture will not create a new one over existing data."
        ) from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
        raise KeyfileInsecure(
            f"The keyfile {path} can be read by other users. Run: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != 32:
        raise UnsupportedFormat(f"The keyfile {path} is not a BackFuture keyfile.")
    return key


def _create_keyfile(settings: Settings) -> bytes:
    """Create the keyfile (0600 in a 0700 folder) unless one exists; never overwrite."""
    settings.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(settings.key_dir, 0o700)
    try:
        fd = os.open(settings.keyfile_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return read_keyfile(settings)
    with os.fdopen(fd, "wb") as handle:
        key = secrets.token_bytes(32)
        handle.write(key)
    return key


def normalize_passphrase(passphrase: str) -> str:
    """NFC-normalise and check length (12-1024 characters, not blank)."""
    text = unicodedata.normalize("NFC", passphrase or "")
    if not text.strip():
        raise ValidationError({"Passphrase": "Enter a passphrase."})
    if len(text) < PASSPHRASE_MIN:
        raise ValidationError(
            {"Passphrase": f"Use at least {PASSPHRASE_MIN} characters for the passphrase."}
        )
    if len(text) > PASSPHRASE_MAX:
        raise ValidationError(
            {"Passphrase": f"Use at most {PASSPHRASE_MAX} characters for the passphrase."}
        )
    return text


def _derive(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(passphrase.encode())


# --- Opening and changing the vault ------------------------------------------------------------


def _meta(db: Database) -> dict | None:
    return next(iter(db.query("SELECT * FROM vault_meta WHERE id = 1")), None)


def vault_mode(db: Database) -> str | None:
    """'keyfile', 'passphrase', or None before the first start."""
    meta = _meta(db)
    return meta["mode"] if meta else None


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
    if meta["mode"] == "keyfile":
        kek = read_keyfile(settings)
    else:
        if passphrase is None:
            raise VaultLocked("Enter the master passphrase to unlock BackFuture.")
        params = KdfParams(meta["kdf_memory_kib"], meta["kdf_iterations"], meta["kdf_lanes"])
        kek = _derive(unicodedata.normalize("NFC", passphrase), meta["salt"], params)
    return Vault(meta["vault_id"], _unwrap(kek, meta["wrapped_dek"], meta["vault_id"]))


def _create_vault(db: Database, settings: Settings) -> Vault:
    kek = _create_keyfile(settings)
    vault_id, dek, now = str(uuid.uuid4()), secrets.token_bytes(32), now_iso()
    with write(db):
        db.execute(
            "INSERT INTO vault_meta (id, vault_id, format_version, mode, wrapped_dek, "
            "created_at, updated_at) VALUES (1, ?, ?, 'keyfile', ?, ?, ?)",
            [vault_id, FORMAT_VERSION, _wrap(kek, dek, vault_id), now, now],
        )
    return Vault(vault_id, dek)


def _rewrap(db: Database, vault: Vault, dek: bytes, mode: str, kek: bytes, kdf: dict) -> None:
    with write(db):
        db.execute(
            "UPDATE vault_meta SET mode = ?, kdf = ?, kdf_memory_kib = ?, kdf_iterations = ?, "
            "kdf_lanes = ?, salt = ?, normalization = ?, wrapped_dek = ?, updated_at = ? "
            "WHERE id = 1",
            [
                mode,
                kdf.get("kdf"),
                kdf.get("memory_kib"),
                kdf.get("iterations"),
                kdf.get("lanes"),
                kdf.get("salt"),
                kdf.get("normalization"),
                _wrap(kek, dek, vault.vault_id),
                now_iso(),
            ],
        )
        db.execute(
            "INSERT INTO audit_log (at, action, detail) VALUES (?, ?, '')",
            [now_iso(), f"vault mode set to {mode}"],
        )


def _current_dek(db: Database, settings: Settings, current_passphrase: str | None) -> bytes:
    """Unwrap the DEK again with the current key: proves the user may change it."""
    meta = _meta(db)
    if meta["mode"] == "keyfile":
        kek = read_keyfile(settings)
    else:
        if current_passphrase is None:
            raise VaultLocked("Enter the current passphrase.")
        params = KdfParams(meta["kdf_memory_kib"], meta["kdf_iterations"], meta["kdf_lanes"])
        kek = _derive(unicodedata.normalize("NFC", current_passphrase), meta["salt"], params)
    return _unwrap(kek, meta["wrapped_dek"], meta["vault_id"])


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
    salt, params = secrets.token_bytes(16), settings.kdf
    kdf = {
        "kdf": "argon2id",
        "memory_kib": params.memory_kib,
        "iterations": params.iterations,
        "lanes": params.lanes,
        "salt": salt,
        "normalization": "NFC",
    }
    _rewrap(db, vault, dek, "passphrase", _derive(new, salt, params), kdf)


def remove_passphrase(
    db: Database, settings: Settings, vault: Vault, current_passphrase: str
) -> None:
    """Go back to keyfile mode (the keyfile is created if needed). Re-wraps the data key only."""
    dek = _current_dek(db, settings, current_passphrase)
    _rewrap(db, vault, dek, "keyfile", _create_keyfile(settings), {})
