"""Keyed fingerprints of API keys: tell that two connections hold the same key without
storing the key or a plain hash of it.

The fingerprint key is derived from the vault's data key with HKDF-SHA256 under a fixed label,
and a fingerprint is HMAC-SHA256 of the API key under it. Without the data key a fingerprint
cannot be recomputed or matched against a list of keys (a plain SHA-256 could); two vaults
give different fingerprints for the same key. Changing the master passphrase re-wraps the data
key only, so fingerprints stay valid.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FINGERPRINT_LABEL = b"backfuture|api-key-fingerprint|v1"
KEY_BYTES = 32


def fingerprint_key(data_key: bytes) -> bytes:
    """The HMAC key for fingerprints, derived from the vault's data key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=FINGERPRINT_LABEL
    ).derive(data_key)


def keyed_fingerprint(key: bytes, api_key: str) -> str:
    """HMAC-SHA256 of the API key (surrounding spaces ignored) under `key`, as hex."""
    return hmac.new(key, api_key.strip().encode(), hashlib.sha256).hexdigest()
