"""The master passphrase: its rules (NFC, 12-1024 characters) and its Argon2id derivation.

A passphrase becomes a key-encryption key through Argon2id with a random salt; the salt and the
cost parameters are stored with the wrapped data key (`KdfRecord`), so the same passphrase
derives the same key later even if the default cost changes. Switching the vault to or from
passphrase mode is `backfuture_core.security.vault.set_passphrase` / `remove_passphrase`.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from backfuture_core.config import KdfParams
from backfuture_core.errors import ValidationError

PASSPHRASE_MIN, PASSPHRASE_MAX = 12, 1024
SALT_BYTES = 16
NORMALIZATION: Final = "NFC"


@dataclass(frozen=True)
class KdfRecord:
    """What is stored beside the wrapped data key to derive the same key again."""

    salt: bytes
    params: KdfParams
    kdf: str = "argon2id"
    normalization: str = NORMALIZATION


def normalize_passphrase(passphrase: str) -> str:
    """NFC-normalise and check length (12-1024 characters, not blank)."""
    text = unicodedata.normalize(NORMALIZATION, passphrase or "")
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


def derive_kek(passphrase: str, record: KdfRecord) -> bytes:
    """The 32-byte key-encryption key for `passphrase` (NFC-normalised here, not length-checked:
    unlocking must accept whatever was accepted when the passphrase was set)."""
    params = record.params
    return Argon2id(
        salt=record.salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(unicodedata.normalize(NORMALIZATION, passphrase).encode())


def new_kdf_record(params: KdfParams) -> KdfRecord:
    """A fresh random salt with the configured cost, for a newly set passphrase."""
    return KdfRecord(salt=secrets.token_bytes(SALT_BYTES), params=params)
