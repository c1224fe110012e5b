"""The vault: envelope encryption of secret fields (DESIGN.md section 4, security.md 1-16).

A random 256-bit data key (DEK) encrypts each secret field with AES-256-GCM; the associated
data binds the ciphertext to its vault, connection, field and exchange, so a blob copied to
another row or field fails, and to the connection's address (API base URL and proxy: where
signed requests go), so a database edit that re-points a connection makes its keys refuse.
The DEK is stored only wrapped by a key-encryption key (KEK) from the keyfile (the
zero-config default, `keyfile.py`) or from the master passphrase (`passphrase.py`), in the
one `vault_meta` row. Changing the passphrase re-wraps the DEK only;
row blobs stay byte-identical. Nothing here deletes or rewrites data when a key is wrong.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils import Database

from backfuture_core.config import KdfParams, Settings
from backfuture_core.errors import (
    AddressChanged,
    CorruptedRecord,
    UnsupportedFormat,
    VaultLocked,
    WrongMasterKey,
)
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
BLOB_VERSION = b"\x01"  # bound to vault, connection, field and exchange (before m006)
BOUND_VERSION = b"\x02"  # also bound to the address, whose digest is sealed with the value
NONCE_BYTES = 12
ADDRESS_DIGEST_BYTES = 16
SEALED_ROWS = (
    "SELECT count(*) FROM connections WHERE api_key_enc IS NOT NULL OR secret_enc IS NOT NULL"
)
WRAPPED_BYTES = NONCE_BYTES + 32 + 16  # nonce, data key, GCM tag
# The stored Argon2id cost must lie in these ranges (memory in KiB: up to 4 GiB); a value
# outside them is damage, and deriving with it could exhaust the memory or run for hours.
KDF_RANGES = ((8, 4 * 1024 * 1024), (1, 1000), (1, 255))


def address_binding(api_base_url: str | None, proxy: str | None) -> str:
    """What a connection's secrets are bound to besides their row: where signed requests go."""
    return f"url:{api_base_url or ''}|proxy:{proxy or ''}"


NO_ADDRESS = address_binding(None, None)  # the exchange's own address, no proxy
ADDRESS_CHANGED = (
    "This connection's address (API base URL or proxy) was changed outside BackFuture: enter "
    "the keys again."
)


def _address_digest(address: str) -> bytes:
    """The address's digest, sealed with the value: an address changed outside BackFuture is
    told apart from damage (which fails the integrity check) and refused with its own message."""
    return hashlib.sha256(address.encode()).digest()[:ADDRESS_DIGEST_BYTES]


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

    def _aad(self, version: bytes, conn_id: int, field: str, exchange: str) -> bytes:
        binding = f"{self.vault_id}|conn:{conn_id}|field:{field}|ex:{exchange}"
        return f"v{version[0]}|{binding}".encode()

    def fingerprint(self, api_key: str) -> str:
        """A keyed fingerprint of an API key (security/fingerprint.py): equal keys, equal
        fingerprints, in this vault only."""
        return keyed_fingerprint(self._fingerprint_key, api_key)

    def encrypt(
        self, value: str, *, conn_id: int, field: str, exchange: str, address: str = NO_ADDRESS
    ) -> bytes:
        """Seal `value` bound to its row, field, exchange and `address` (`address_binding`)."""
        nonce = os.urandom(NONCE_BYTES)
        plain = _address_digest(address) + value.encode()
        aad = self._aad(BOUND_VERSION, conn_id, field, exchange)
        return BOUND_VERSION + nonce + self._aead.encrypt(nonce, plain, aad)

    def decrypt(
        self, blob: bytes, *, conn_id: int, field: str, exchange: str, address: str = NO_ADDRESS
    ) -> Secret:
        """Raises AddressChanged when the row's address is not the one the blob was bound to,
        CorruptedRecord when the blob is damaged, altered or belongs to another row, field or
        exchange. The message names the row by its id: `open_secret` names it."""
        return _decrypt(self, blob, conn_id, f"connection {conn_id}", field, exchange, address)

    @staticmethod
    def is_legacy(blob: object) -> bool:
        """Whether `blob` was sealed before keys were bound to their connection's address."""
        return isinstance(blob, bytes) and blob[:1] == BLOB_VERSION

    def _open(self, blob: bytes, conn_id: int, field: str, exchange: str, address: str) -> bytes:
        version = blob[:1]
        if version not in (BLOB_VERSION, BOUND_VERSION):
            raise UnsupportedFormat(f"unknown format {version.hex() or 'none'}")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        plain = self._aead.decrypt(nonce, sealed, self._aad(version, conn_id, field, exchange))
        if version == BLOB_VERSION:  # written before keys were bound to their address
            return plain
        if plain[:ADDRESS_DIGEST_BYTES] != _address_digest(address):
            raise AddressChanged(ADDRESS_CHANGED)
        return plain[ADDRESS_DIGEST_BYTES:]


FIELD_LABELS = {"api_key": "API Key", "secret": "Secret Key", "passphrase": "Passphrase"}


def open_secret(
    vault: Vault,
    blob: object,
    *,
    conn_id: int,
    name: str,
    field: str,
    exchange: str,
    address: str = NO_ADDRESS,
) -> Secret:
    """Decrypt one stored secret field of the connection called `name`, bound to `address`.

    Whatever is wrong with the stored value (missing, not a blob, unknown version, truncated,
    altered, moved from another row, field or exchange, not text) ends in CorruptedRecord naming
    the connection and the field, never in a raw exception; an address changed outside
    BackFuture ends in AddressChanged (a CorruptedRecord) saying so.
    """
    return _decrypt(vault, blob, conn_id, name, field, exchange, address)


def _decrypt(
    vault: Vault, blob: object, conn_id: int, name: str, field: str, exchange: str, address: str
) -> Secret:
    try:
        if not isinstance(blob, bytes) or not blob:
            raise UnsupportedFormat("nothing is saved")
        return Secret(vault._open(blob, conn_id, field, exchange, address).decode())
    except AddressChanged:
        raise AddressChanged(f'"{name}": {ADDRESS_CHANGED}') from None
    except InvalidTag:
        why = "failed its integrity check"
    except UnsupportedFormat as exc:
        why = f"is damaged ({exc})"
    except (ValueError, TypeError):  # a truncated nonce, text that is not UTF-8
        why = "is damaged (truncated or not text)"
    raise CorruptedRecord(
        f'Damaged record: the saved {FIELD_LABELS.get(field, field)} of "{name}" {why}, so this '
        "connection cannot be used. Replace its keys (Connections, Replace keys); the other "
        "connections are not affected."
    )


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


def _damaged_settings(what: str) -> CorruptedRecord:
    return CorruptedRecord(
        f"Damaged record: the vault settings in the database are damaged ({what}), so no saved "
        "key can be decrypted. Nothing was changed. Restore backfuture.db from your backup."
    )


def _unlock_dek(meta: dict[str, Any], settings: Settings, passphrase: str | None) -> bytes:
    """Unwrap the data key with the KEK of the vault's current mode.

    Damaged settings (unknown mode, bad KDF parameters or salt, a truncated wrapped key) raise
    CorruptedRecord; a key that does not fit raises WrongMasterKey."""
    mode, wrapped, vault_id = meta.get("mode"), meta.get("wrapped_dek"), meta.get("vault_id")
    if not isinstance(vault_id, str) or not vault_id:
        raise _damaged_settings("no vault id")
    if not isinstance(wrapped, bytes) or len(wrapped) != WRAPPED_BYTES:
        raise _damaged_settings("the wrapped data key has the wrong size")
    if mode == "keyfile":
        if meta.get("salt") is not None or meta.get("kdf") is not None:
            raise _damaged_settings("the protection mode does not match its settings")
        kek = read_keyfile(settings)
    elif mode == "passphrase":
        if passphrase is None:
            raise VaultLocked("Enter the master passphrase to unlock BackFuture.")
        kek = _passphrase_kek(meta, passphrase)
    else:
        raise _damaged_settings(f"unknown protection mode {str(mode)[:20]!r}")
    return unwrap(kek, wrapped, vault_id)


def _passphrase_kek(meta: dict[str, Any], passphrase: str) -> bytes:
    salt = meta.get("salt")
    numbers = [meta.get(k) or 0 for k in ("kdf_memory_kib", "kdf_iterations", "kdf_lanes")]
    if meta.get("kdf") != "argon2id" or not isinstance(salt, bytes) or len(salt) < 8:
        raise _damaged_settings("the passphrase's key-derivation settings are missing")
    ranges = zip(numbers, KDF_RANGES, strict=True)
    if not all(isinstance(n, int) and low <= n <= high for n, (low, high) in ranges):
        raise _damaged_settings("the passphrase's key-derivation cost is out of range")
    try:
        return derive_kek(passphrase, KdfRecord(salt=salt, params=KdfParams(*map(int, numbers))))
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. memory below 8 x lanes KiB
        raise _damaged_settings(f"the key-derivation settings are refused: {exc}") from None


def open_vault(db: Database, settings: Settings, passphrase: str | None = None) -> Vault:
    """Open the vault, creating it (keyfile mode) on first start.

    Raises:
        VaultLocked: passphrase mode and no passphrase given.
        WrongMasterKey, KeyfileMissing, KeyfileInsecure, KeyfileDamaged, UnsupportedFormat.
        CorruptedRecord: the vault settings are damaged (or missing beside saved keys).
    """
    meta = _meta(db)
    if meta is None:
        if db.execute(SEALED_ROWS).fetchone()[0]:
            raise _damaged_settings("the record of the data key is missing")
        return _create_vault(db, settings)
    version = meta.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise UnsupportedFormat("The vault was written by a newer version of BackFuture.")
    if version != FORMAT_VERSION:
        raise _damaged_settings("unknown format version")
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
